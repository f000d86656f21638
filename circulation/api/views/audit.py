from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.api.serializers.audit import ChainReportSerializer
from workflows.services.audit import verify_chain
from workflows.services.permissions import require_perm


class AuditVerifyView(APIView):
    """Recompute the whole audit hash chain: {ok, events_checked, first_bad_event?}."""

    @extend_schema(responses=ChainReportSerializer)
    def get(self, request: Request) -> Response:
        require_perm(request.user, "verify_audit", "校验审计日志", "verify the audit log")  # type: ignore[arg-type]
        return Response(verify_chain().as_dict())
