"""代理: who answered an acknowledgement for its recipient (their delegate), blank when they did."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0008_ack_open_notice_due"),
    ]

    operations = [
        migrations.AddField(
            model_name="acknowledgement",
            name="acted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="代为办理人",
            ),
        ),
    ]
