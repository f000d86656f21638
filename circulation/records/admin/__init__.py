"""Django admin for the records (收文记录), one module per model group.

Records made by the services (notices, rounds, acknowledgements, attachments, audit events) are
read-only here; their transitions are buttons that call the same services as the API.
"""

from django.contrib import admin

from circulation.records.admin import acknowledgements, audit, notices, organisation

admin.site.site_header = "收文传阅 circulation"
admin.site.site_title = "收文传阅"
admin.site.index_title = "管理 Administration"

__all__ = ["acknowledgements", "audit", "notices", "organisation"]
