"""Token authentication that loads the person's organisation with the token (one query).

Almost every request needs the organisation (its policies, its 全宗, the permission checks), so
reading it in the token's own query saves a round trip on each of them.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from circulation.records.models import Person


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Person, Token]:
        token = Token.objects.select_related("user", "user__organisation").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
