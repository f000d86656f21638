"""API tokens (django-rest-knox): only a hash is stored, tokens expire, the lifetime slides.

``Authorization: Token <t>`` as before. knox keeps the SHA-512 of each token and its first 15
characters (``token_key``) to find it; the expiry moves forward with use (``AUTO_REFRESH``),
written at most once per ``MIN_REFRESH_INTERVAL`` so that reading does not write every time.

Our lookup differs from knox's in two ways: it loads the person's organisation with the token in
the same query (almost every request needs it), and it does not read all of the person's other
tokens on every request to clean up expired ones (an expired token is deleted when it is
presented; :func:`circulation.accounts.tokens.create_token` drops a person's expired tokens).
"""

from hmac import compare_digest
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from circulation.records.models import Person


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple[Person, AuthToken]:
        failed = exceptions.AuthenticationFailed(_("Invalid token."))
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, ValueError):
            raise failed from None
        candidates = AuthToken.objects.select_related("user", "user__organisation").filter(
            token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]
        )
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
                auth_token.delete()
                raise failed
            if knox_settings.AUTO_REFRESH and auth_token.expiry is not None:
                self.renew_token(auth_token)
            user: Person = auth_token.user
            if not user.is_active:
                raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
            return user, auth_token
        raise failed


class TokenScheme(OpenApiAuthenticationExtension):
    """OpenAPI: ``Authorization: Token <token>`` (from ``POST /api/v1/auth/token/``)."""

    target_class = "circulation.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication with required prefix `Token`",
        }
