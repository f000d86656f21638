"""Sign-in for an API token; a person's own tokens: list, revoke one, revoke all."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.accounts import tokens
from circulation.api.actor import actor_from
from circulation.api.serializers.auth import (
    IssuedTokenSerializer,
    RevokedSerializer,
    SignInSerializer,
    TokenInfoSerializer,
)

REFUSED = OpenApiResponse(
    description="账户已锁定 (`locked_out`) 或本地址失败过多 (`address_throttled`); Retry-After"
)


class TokenView(APIView):
    """POST {username, password} → {token, expiry}.

    Successful sign-ins are never limited. Failed ones lock the account after
    ``SIGNIN_FAILURE_LIMIT`` failures from any address (429 ``locked_out`` saying until when)
    and slow down an address that fails too often (429 ``address_throttled``).
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=SignInSerializer,
        responses={200: IssuedTokenSerializer, 400: OpenApiResponse(), 429: REFUSED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = SignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issued = tokens.sign_in_for_token(
            request._request, body.validated_data["username"], body.validated_data["password"]
        )
        return Response(IssuedTokenSerializer(issued).data)


class OwnTokensView(APIView):
    """The caller's own live API tokens (no secret shown); DELETE revokes all of them."""

    @extend_schema(responses=TokenInfoSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = actor_from(request).user
        current = request.auth if isinstance(request.auth, AuthToken) else None
        return Response(TokenInfoSerializer(tokens.own_tokens(user, current), many=True).data)

    @extend_schema(
        request=None, responses=RevokedSerializer, operation_id="v1_auth_tokens_revoke_all"
    )
    def delete(self, request: Request) -> Response:
        return Response({"revoked": tokens.revoke_all(actor_from(request).user)})


class OwnTokenView(APIView):
    """DELETE revokes one of the caller's own tokens (404 for anyone else's)."""

    @extend_schema(
        request=None,
        responses={204: None, 404: OpenApiResponse()},
        operation_id="v1_auth_tokens_revoke",
    )
    def delete(self, request: Request, token_id: str) -> Response:
        tokens.revoke(actor_from(request).user, token_id)
        return Response(status=204)
