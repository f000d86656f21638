"""The open acknowledgements of a notice by deadline: the board's 逾期 filter probes one index leaf
per open notice instead of every open row of it (docs/benchmarks.md, web pages)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0007_person_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="acknowledgement",
            index=models.Index(
                condition=models.Q(("state__in", ["pending", "read"])),
                fields=["notice", "due_at"],
                name="ack_open_notice_due",
            ),
        ),
    ]
