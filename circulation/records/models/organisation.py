"""Organisation (receiving organisation, 全宗), units (领导班子/股室/二级机构) and people."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    name = models.CharField(_("机关名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    fonds_code = models.CharField(_("全宗号"), max_length=20)
    require_password_on_confirm = models.BooleanField(_("确认时须重新输入密码"), default=False)
    filing_unit = models.ForeignKey(
        "records.Unit",
        verbose_name=_("默认归档机构"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("机关")
        verbose_name_plural = _("机关")

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    LEADERSHIP = "leadership", _("领导班子")
    SECTION = "section", _("股室")
    INSTITUTION = "institution", _("二级机构")


class Unit(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("机关"), on_delete=models.PROTECT, related_name="units"
    )
    code = models.CharField(
        _("机构代码"), max_length=16, help_text=_("档号中使用的机构（问题）代码，如 BGS")
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT
    )
    head = models.ForeignKey(
        "records.Person",
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_units",
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["organisation", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unit_code_unique"),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z0-9]{1,16}$"), name="unit_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Person(AbstractUser):
    """A user of the system. Roles are Django groups (clerk, staff, unit_head, archivist, admin)."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("机关"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("所属机构"), through="records.Membership", related_name="members"
    )
    # The interface language this person chose (blank: the default, zh-hans); applied at sign-in.
    language = models.CharField(
        _("界面语言"),
        max_length=10,
        blank=True,
        default="",
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Membership(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="memberships"
    )
    is_primary = models.BooleanField(_("主要所属"), default=True)

    class Meta:
        verbose_name = _("机构成员")
        verbose_name_plural = _("机构成员")
        constraints = [
            models.UniqueConstraint(fields=["person", "unit"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.unit}"
