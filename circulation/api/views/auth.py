from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle


class TokenView(ObtainAuthToken):
    """POST {username, password} → {token}. Rate-limited per client (429 when exceeded)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
