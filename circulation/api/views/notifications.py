"""The caller's own in-app notifications (站内通知): list with the unread count, mark read."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from circulation.api.actor import actor_from
from circulation.api.serializers.notifications import NotificationSerializer
from workflows.models import Notification
from workflows.services.notifications import mark_notification_read, notifications_of


class NotificationPagination(PageNumberPagination):
    """The usual page, plus ``unread_count`` over all the caller's notifications."""

    def get_paginated_response(self, data: Any) -> Response:
        assert self.request is not None  # set by paginate_queryset  # noqa: S101
        unread = notifications_of(actor_from(self.request).user).filter(read_at__isnull=True)
        response = super().get_paginated_response(data)
        response.data = {"unread_count": unread.count(), **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "unread_count": {"type": "integer", "example": 3, "description": "未读数 / unread"},
            **paginated["properties"],
        }
        paginated["required"] = ["unread_count", *paginated.get("required", [])]
        return paginated


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Notification]:
        notifications = notifications_of(actor_from(self.request).user)
        if self.request.query_params.get("unread") in {"1", "true"}:
            notifications = notifications.filter(read_at__isnull=True)
        return notifications

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, required=False, description="只看未读 / unread only")
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """My notifications, newest first, with ``unread_count``."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark one of my notifications read (repeating changes nothing)."""
        notification = mark_notification_read(actor_from(request).user, int(pk))
        return Response(NotificationSerializer(notification).data)
