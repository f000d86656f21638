"""Attachments keep the active content found at upload (``warnings``; see ``active_content``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("records", "0004_audit_truncate_guard")]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="warnings",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="上传时发现的活动内容（脚本、启动动作、内嵌可执行文件等）",
                verbose_name="警告",
            ),
        ),
    ]
