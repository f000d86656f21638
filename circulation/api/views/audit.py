from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.api.serializers.audit import ChainReportSerializer
from circulation.archive.checkpoint import verify_checkpoint
from circulation.records import roles
from circulation.records.audit import Scope, verify_chain
from circulation.records.permissions import require_perm


class AuditVerifyView(APIView):
    """Recompute the whole audit hash chain: {ok, events_checked, first_bad_event?, reason?}.

    The whole chain is verified for everyone (integrity needs every link), but a caller who is
    not a superuser is told only about their own organisation: ``events_checked`` counts its
    events, and a bad event of another organisation is reported without its number. The chain is
    also checked against the latest signed checkpoint (``checkpoint``: ok, present, seq, …;
    absent while none was written); a rewritten chain fails there with the reason.
    """

    @extend_schema(responses=ChainReportSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        require_perm(user, roles.VERIFY_AUDIT)  # type: ignore[arg-type]
        scope = None if user.is_superuser else Scope(getattr(user, "organisation_id", None))
        body = verify_chain(scope=scope).as_dict()
        anchored = verify_checkpoint()
        if anchored.present:  # none written yet (no seal): the report stays as it was
            body["checkpoint"] = anchored.as_dict()
        if body["ok"] and not anchored.ok:
            body |= {"ok": False, "first_bad_event": None, "reason": anchored.reason}
        return Response(body)
