"""代理 (delegation): my delegations (given or taken), appoint a delegate, cancel one."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from circulation.api.actor import actor_from
from circulation.api.serializers.delegations import AppointSerializer, DelegationSerializer
from workflows.models import Delegation
from workflows.services.delegation import (
    DelegationInput,
    appoint_delegate,
    cancel_delegation,
    delegations_of,
)


class DelegationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Delegations the caller gave (as principal) or took (as delegate), newest first.

    While one is in force the delegate sees and answers the principal's acknowledgements
    (``GET acknowledgements/``: ``recipient`` is the principal; the answer records ``acted_by``).
    """

    serializer_class = DelegationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Delegation]:
        return delegations_of(actor_from(self.request).user)

    @extend_schema(request=AppointSerializer, responses={201: DelegationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Appoint a delegate for a period (a leader's delegate must be a leader); overlapping
        an existing delegation of the same principal is a 409."""
        body = AppointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        delegation = appoint_delegate(
            actor_from(request),
            DelegationInput(
                delegate=data["delegate"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
                principal=data["principal"] or None,
            ),
        )
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel (the principal or whoever appointed it); repeating changes nothing."""
        delegation = cancel_delegation(actor_from(request), int(pk))
        return Response(DelegationSerializer(delegation).data)
