"""登记收文 (the clerk's register page), the 发文字号 check as it is typed, and the attachments
step. Thin over ``workflows.services.registration`` exactly as the API's ``create``: the form
only carries the text to the service, whose errors are shown at their fields in the current
language."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from circulation.client_ip import client_ip
from circulation.records.doc_number import DocNumberError, parse_doc_number
from circulation.records.models import ConfirmMethod, Handling, Notice, Person, Urgency
from circulation.records.selectors import visible_notices
from workflows.services import registration
from workflows.services.attachments import ATTACHABLE
from workflows.services.context import Actor
from workflows.services.errors import DomainError, InvalidInput
from workflows.services.validation import DOC_NUMBER

# 密级 as the clerk sees them: the two allowed, then the three the service refuses (shown so
# that choosing one explains why instead of hiding the choice).
SECRECY_CHOICES = [
    ("public", _("公开")),
    ("internal", _("内部")),
    ("秘密", _("秘密（不得在本系统办理）")),
    ("机密", _("机密（不得在本系统办理）")),
    ("绝密", _("绝密（不得在本系统办理）")),
]


def in_language(error: DomainError) -> str:
    """The service's message in the page's language (zh ``.message``, en ``.message_en``)."""
    return error.message_en if (get_language() or "").startswith("en") else error.message


def signed_in(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person):  # login_required runs first
        raise PermissionDenied
    return user


def web_actor(request: HttpRequest) -> Actor:
    return Actor(user=signed_in(request), ip=client_ip(request), method=ConfirmMethod.SESSION)


def classified_reason() -> str:
    """Why 秘密/机密/绝密 are refused: the service's own message, word for word."""
    try:
        registration.refuse_classified("秘密")
    except InvalidInput as refusal:
        return in_language(refusal)
    return ""  # pragma: no cover - the service always refuses 秘密


class RegisterForm(forms.Form):
    """The fields of the API's ``NoticeCreateSerializer``; the service checks every rule."""

    doc_number = forms.CharField(
        label=_("发文字号"),
        max_length=DOC_NUMBER.max_length,
        help_text=_("如 舞工信〔2022〕25号；方括号、圆括号、“第”、前导零会自动更正"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    title = forms.CharField(label=_("标题"), widget=forms.TextInput(attrs={"autocomplete": "off"}))
    issuer = forms.CharField(label=_("发文机关"))
    doc_type = forms.CharField(label=_("文种"), required=False, help_text=_("如 通知、意见"))
    addressees = forms.CharField(label=_("主送机关"), required=False)
    issued_on = forms.DateField(
        label=_("成文日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    secrecy = forms.ChoiceField(label=_("密级"), choices=SECRECY_CHOICES, initial="internal")
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)
    handling = forms.ChoiceField(label=_("办理方式"), choices=Handling.choices)
    forwards = forms.CharField(
        label=_("转发文件"),
        required=False,
        help_text=_("转发的上级文件标题，每行一个"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    instruction = forms.CharField(
        label=_("传阅要求"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    body = forms.CharField(
        label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        number = self.fields["doc_number"].widget
        number.attrs.update(
            {
                "hx-get": "/register/check-number/",
                "hx-trigger": "keyup changed delay:400ms, change",
                "hx-target": "#doc-number-check",
                "hx-swap": "innerHTML",
                "aria-describedby": "id_doc_number_helptext doc-number-check",
            }
        )
        self.fields["secrecy"].widget.attrs["aria-describedby"] = "secrecy-reason"

    def notice_input(self) -> registration.NoticeInput:
        data = self.cleaned_data
        return registration.NoticeInput(
            doc_number=data["doc_number"],
            title=data["title"],
            issuer=data["issuer"],
            secrecy=data["secrecy"],
            urgency=data["urgency"],
            handling=data["handling"],
            doc_type=data["doc_type"],
            addressees=data["addressees"],
            issued_on=data["issued_on"],
            instruction=data["instruction"],
            body=data["body"],
            forwards=[line for line in data["forwards"].splitlines() if line.strip()],
        )


def _require_register(user: Person) -> None:
    if not user.has_perm("records.register_notice"):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """登记收文: on success the attachments step of the new notice."""
    user = signed_in(request)
    _require_register(user)
    form = RegisterForm(request.POST or None)
    duplicate: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            result = registration.register_notice(web_actor(request), form.notice_input())
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, in_language(error))
            if error.code == "duplicate":
                duplicate = error.extra
        else:
            return redirect("web:register-attachments", pk=result.notice.pk)
    return render(
        request,
        "web/register/register.html",
        {"form": form, "classified_reason": classified_reason(), "duplicate": duplicate},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def check_number(request: HttpRequest) -> HttpResponse:
    """The fragment under the 发文字号 as it is typed: the normalised form and each correction,
    the registration it duplicates (with a link), or why it cannot be read."""
    user = signed_in(request)
    _require_register(user)
    text = request.GET.get("doc_number", "")
    context: dict[str, Any] = {"text": text}
    if text.strip():
        try:
            parsed = parse_doc_number(text)
        except DocNumberError as error:
            context["error"] = in_language(
                InvalidInput(error.message, error.message_en, code=error.code)
            )
        else:
            english = (get_language() or "").startswith("en")
            context["parsed"] = parsed
            context["corrections"] = [
                c.message_en if english else c.message for c in parsed.corrections
            ]
            organisation = user.organisation
            # The service's own duplicate rule (a notice returned at 初审 does not count).
            conflict = (
                None if organisation is None else registration._duplicate(organisation, parsed)
            )
            if conflict is not None:
                existing_id = conflict.extra["existing_id"]
                context["duplicate"] = {
                    "id": existing_id,
                    "registration_no": conflict.extra["existing_registration_no"],
                    "doc_number": conflict.extra["existing_doc_number"],
                    "title": Notice.objects.filter(pk=existing_id)
                    .values_list("title", flat=True)
                    .first(),
                    "message": in_language(conflict),
                }
    return render(request, "web/register/check_number.html", context)


@login_required
@require_GET
def attachments(request: HttpRequest, pk: int) -> HttpResponse:
    """附件: the drop zone (uploads go to the API with the session) and what is attached."""
    user = signed_in(request)
    _require_register(user)
    notice = (
        visible_notices(user).filter(pk=pk).prefetch_related("attachments").first()
    )  # another organisation's notice → 404, as in the API
    if notice is None:
        raise Http404
    return render(
        request,
        "web/register/attachments.html",
        {
            "notice": notice,
            "attachable": notice.state in ATTACHABLE,
            "upload_url": f"/api/v1/notices/{notice.pk}/attachments/",
        },
    )
