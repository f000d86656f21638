"""The caller's own acknowledgements (阅知确认): list, open, confirm, return.

A delegate (代理) sees and answers the acknowledgements of the people they act for while the
delegation is in force: ``recipient`` names whose item it is, ``acted_by`` who answered it.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from circulation.api.actor import actor_from
from circulation.api.params import int_param
from circulation.api.serializers.acknowledgements import (
    AcknowledgementSerializer,
    ConfirmSerializer,
    acknowledgement_answer,
)
from circulation.api.serializers.notices import ReasonSerializer
from circulation.records.models import Acknowledgement
from workflows.machines import AckState
from workflows.services import acknowledging
from workflows.services.delegation import handled_by


class AcknowledgementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = AcknowledgementSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Acknowledgement]:
        user = actor_from(self.request).user
        acks = Acknowledgement.objects.filter(handled_by(user)).select_related(
            "notice", "round", "unit", "person", "acted_by"
        )
        state = self.request.query_params.get("state")
        if state in AckState.values:
            acks = acks.filter(state=state)
        # My acknowledgement of one notice; everyone's is GET notices/{id}/acknowledgements/.
        notice = int_param(self.request, "notice", minimum=1, maximum=2**63 - 1)
        if notice is not None:
            acks = acks.filter(notice_id=notice)
        return acks.order_by("state", "due_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("state", enum=AckState.values, required=False),
            OpenApiParameter(
                "notice",
                int,
                required=False,
                description="只看这件收文 / only this notice (everyone's rows: "
                "notices/{id}/acknowledgements/)",
            ),
        ]
    )
    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().list(request, *args, **kwargs)

    def _answer(self, ack: Acknowledgement) -> Response:
        """The acknowledgement as the service left it, locked and read with its notice, round,
        unit and people (no re-read)."""
        return Response(acknowledgement_answer(ack))

    @extend_schema(request=None, responses=AcknowledgementSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """已阅: the recipient opened the notice (first opening recorded)."""
        return self._answer(acknowledging.open_acknowledgement(actor_from(request), int(pk)))

    @extend_schema(request=ConfirmSerializer, responses=AcknowledgementSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """已确认: confirm having read and studied it; repeating changes nothing."""
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ack = acknowledging.confirm_acknowledgement(
            actor_from(request),
            int(pk),
            comment=body.validated_data["comment"],
            password=body.validated_data["password"] or None,
        )
        return self._answer(ack)

    @extend_schema(request=ReasonSerializer, responses=AcknowledgementSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        """退回 with a reason (e.g. 误发)."""
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ack = acknowledging.return_acknowledgement(
            actor_from(request), int(pk), body.validated_data["reason"]
        )
        return self._answer(ack)
