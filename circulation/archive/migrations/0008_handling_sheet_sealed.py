"""The sealed 处理笺 of a 批办 notice beside its record: file, SHA-256, SM3, size, signature.

The ``archive_archivedrecord_sealed`` trigger (0002) refuses every UPDATE and DELETE of a row,
whatever the column, so it covers these columns as they are added; ``row_sha256``
(``sealing.row_payload``) includes them when a sheet was sealed (a 阅知 row keeps its hash).
"""

from django.db import migrations, models

import circulation.archive.storage


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0007_search_vector_statistics"),
    ]

    operations = [
        migrations.AddField(
            model_name="archivedrecord",
            name="sheet_file",
            field=models.FileField(
                blank=True,
                default="",
                max_length=300,
                storage=circulation.archive.storage.sealed_storage,
                upload_to="",
                verbose_name="处理笺文件",
            ),
        ),
        migrations.AddField(
            model_name="archivedrecord",
            name="sheet_sha256",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="处理笺 SHA-256"
            ),
        ),
        migrations.AddField(
            model_name="archivedrecord",
            name="sheet_signature",
            field=models.JSONField(blank=True, default=dict, verbose_name="处理笺电子签章"),
        ),
        migrations.AddField(
            model_name="archivedrecord",
            name="sheet_size",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="处理笺大小"),
        ),
        migrations.AddField(
            model_name="archivedrecord",
            name="sheet_sm3",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="处理笺 SM3"
            ),
        ),
    ]
