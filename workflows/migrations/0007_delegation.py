"""代理 (delegation), with btree_gist for the exclusion constraint over (principal, period)."""

import django.contrib.postgres.constraints
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models

import workflows.models.delegation


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0006_manual_remind_unit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.CreateModel(
            name="Delegation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("starts_at", models.DateTimeField(verbose_name="开始时间")),
                ("ends_at", models.DateTimeField(verbose_name="结束时间")),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="事由")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="设置时间")),
                (
                    "cancelled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="取消时间"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="设置人",
                    ),
                ),
                (
                    "delegate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="delegations_taken",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="代理人",
                    ),
                ),
                (
                    "principal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="delegations_given",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="被代理人",
                    ),
                ),
            ],
            options={
                "verbose_name": "代理",
                "verbose_name_plural": "代理",
                "ordering": ["-starts_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("cancelled_at__isnull", True)),
                        fields=["delegate", "ends_at"],
                        name="delegation_delegate_open",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("principal", models.F("delegate")), _negated=True),
                        name="delegation_not_self",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                        name="delegation_ends_after_start",
                    ),
                    django.contrib.postgres.constraints.ExclusionConstraint(
                        condition=models.Q(("cancelled_at__isnull", True)),
                        expressions=[
                            ("principal", "="),
                            (workflows.models.delegation.TsTzRange("starts_at", "ends_at"), "&&"),
                        ],
                        name="delegation_no_overlap",
                    ),
                ],
            },
        ),
    ]
