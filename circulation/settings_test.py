"""Test settings: the real PostgreSQL on loopback unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-" + "k" * 60)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from circulation.settings import *  # noqa: F403
from circulation.settings import DATABASES, STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests

# One test database per pytest process, so that parallel runs on one machine do not collide.
DATABASES["default"]["TEST"] = {
    "NAME": os.environ.get("TEST_DATABASE_NAME", f"test_circulation_{os.getpid()}")
}
# Tests that configure no seal certificate archive unsigned; tests/archive sign with a test PKI.
SEAL_REQUIRED = False
