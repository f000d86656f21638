"""Sign-in for an API token, and a person's own tokens (never their secret)."""

from rest_framework import serializers


class SignInSerializer(serializers.Serializer[dict[str, str]]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class IssuedTokenSerializer(serializers.Serializer[object]):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`")
    expiry = serializers.DateTimeField(
        allow_null=True, help_text="Moves forward with every use (sliding lifetime)"
    )


class TokenInfoSerializer(serializers.Serializer[object]):
    id = serializers.CharField(help_text="First 16 hex digits of the token's SHA-512 digest")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="To the minute")
    current = serializers.BooleanField(help_text="The token this request was made with")


class RevokedSerializer(serializers.Serializer[object]):
    revoked = serializers.IntegerField()
