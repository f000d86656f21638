"""``/records/``: the verify page that the record's QR code opens (login required)."""

from django.urls import path

from circulation.ackrecord.views import verify_page

app_name = "ackrecord"

urlpatterns = [
    path("<uuid:pk>/verify/", verify_page, name="verify"),
]
