"""Django settings for circulation, read from the environment (django-environ).

Every variable is documented in docs/configuration.md (summarised in the README). Production
secrets have no defaults: with ``DEBUG`` off a missing ``SECRET_KEY`` stops start-up (except for
the few code-only commands in ``KEYLESS_COMMANDS``).
"""

import secrets
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from circulation import devdb

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# manage.py commands that only read the code and sign nothing: they run without a SECRET_KEY
# (a throw-away random one), so CI and build steps need no secret. Everything else — the web app,
# the workers, ``check --deploy``, ``migrate`` — refuses to start without one when DEBUG is off.
KEYLESS_COMMANDS = frozenset(
    {
        "makemigrations",
        "showmigrations",
        "sqlmigrate",
        "spectacular",
        "compilemessages",
        "makemessages",
    }
)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - DEBUG only
    elif (
        Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] and sys.argv[1] in KEYLESS_COMMANDS
    ):
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off / 生产环境必须设置 SECRET_KEY"
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_fsm",
    "circulation.records",
    "circulation.ackrecord",
    "workflows",
    "circulation.archive",
    "circulation.accounts",
    "circulation.web",
    "circulation.intake",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # 413 from Content-Length before any body is read (circulation/limits.py).
    "circulation.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a sign-in refused by django-axes or the address limit into our 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "circulation.urls"
WSGI_APPLICATION = "circulation.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "circulation.web.context.navigation",
            ],
        },
    },
]

# PostgreSQL only. Without DATABASE_URL: the demo's embedded server under $VAR_DIR/postgres (its
# unix socket; scripts/demo starts it, circulation/devdb.py).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=devdb.default_url(VAR_DIR)),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "records.Person"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/signin/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/signin/"
# Sign-in protection (docs/configuration.md, "Sign-in"): the address limit first, then the
# account lock-out (django-axes), then the password.
AUTHENTICATION_BACKENDS = [
    "circulation.accounts.backends.AddressGuardBackend",
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the person, their permissions and role flags in one query
    # (circulation/web/auth.py); ModelBackend stays for sessions signed in with it before.
    "circulation.web.auth.PersonBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (``manage.py check --deploy`` is clean with DEBUG off) ----------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the web pages read it for fetch() requests
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response (django-csp): our own origin only, no inline script or
# style, nothing from a CDN (government intranets have no internet); images may be data: URLs
# (Swagger UI's icons, QR codes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies of our own in front of the app: the client address is the right-most entry of
# X-Forwarded-For that they added (circulation/client_ip.py); 0 ignores the header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Sign-in 登录保护 (django-axes per account, a failure counter per address) -----------------
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]  # per account from any address: rotating IPs is useless
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts do not extend it
AXES_CLIENT_IP_CALLABLE = "circulation.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "circulation.accounts.lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
# W006 warns that a lock-out without the address can be dodged by rotating User-Agents; ours
# sums the account's failures over every address and User-Agent, and the address is limited
# separately (SIGNIN_ADDRESS_*).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=100)
SIGNIN_ADDRESS_WINDOW_MINUTES = env.int("SIGNIN_ADDRESS_WINDOW_MINUTES", default=10)

# --- Email -------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="circulation@localhost")
# Seconds an SMTP connection may block (connect, each command); a hung server fails the attempt.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Celery (the broker is Redis when REDIS_URL is set, else kombu's filesystem transport) ------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
# Seconds to open a TCP connection to the broker, and to wait for any one answer from it (a
# broker that accepts and never answers must not hang a request: redis-py's default is forever).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0)
# Seconds after which publishing a task starts no further attempt (circulation.celery.publish);
# the work then waits in the database for the dispatcher or the sweep.
CELERY_BROKER_PUBLISH_TIMEOUT = env.float("CELERY_BROKER_PUBLISH_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        # Redis redelivers a task that was taken but not acknowledged (worker killed) after this
        # long; the outbox's own lease (DELIVERY_LEASE_SECONDS) recovers a message much sooner.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    }
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
)
# Rate limits (429) must be shared by every web worker and must not depend on the broker being
# up (login keeps working while Redis is down): the database cache, whose table ``migrate``
# creates (workflows migration 0003; ``createcachetable`` is no longer needed).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "circulation_cache",
    }
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Every task of ours is safe to run twice (it re-reads its row and skips what is done), so a task
# is acknowledged only after it ran, and one whose worker died is handed out again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Default periodic schedules (created in the database on migrate, then editable in the admin).
REMINDER_SWEEP_SECONDS = env.int("REMINDER_SWEEP_SECONDS", default=300)
OUTBOX_DISPATCH_SECONDS = env.int("OUTBOX_DISPATCH_SECONDS", default=60)
# Database connections (threads) one reminder sweep works on at once (docs/configuration.md).
REMINDER_SWEEP_WORKERS = env.int("REMINDER_SWEEP_WORKERS", default=2)

# --- Delivery of outbox messages (email, 企业微信/钉钉 group robots) ----------------------------
# A worker holds a message for this long while it sends it; a message whose worker died is handed
# out again after it. Keep it above the delivery task's hard time limit (90 s).
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=180)
# Retries back off exponentially: base, 2 × base, 4 × base, … up to the maximum.
DELIVERY_RETRY_BASE_SECONDS = env.int("DELIVERY_RETRY_BASE_SECONDS", default=60)
DELIVERY_RETRY_MAX_SECONDS = env.int("DELIVERY_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)

# --- Domain ------------------------------------------------------------------------------------
FONDS_CODE = env.str("FONDS_CODE", default="Z109")
# Absolute base of links sent out of the app (email, group robots, the record's QR code).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=50 * 1024 * 1024)
# Largest non-upload body (JSON, forms): a 200,000-character body escaped as \uXXXX is 1.2 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# First: stops a multipart upload past ATTACHMENT_MAX_BYTES, whatever Content-Length said.
FILE_UPLOAD_HANDLERS = [
    "circulation.limits.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Office hours (Asia/Shanghai): a deadline given in working days ends at OFFICE_CLOSES.
OFFICE_OPENS = env.str("OFFICE_OPENS", default="08:30")
OFFICE_CLOSES = env.str("OFFICE_CLOSES", default="17:30")

# --- Seal certificate 电子印章 (archived records are signed, PAdES; docs/configuration.md) --------
SEAL_PKCS12_PATH = env.str("SEAL_PKCS12_PATH", default="")
SEAL_PKCS12_PASSPHRASE = env.str("SEAL_PKCS12_PASSPHRASE", default="")
# A PKCS#11 token (hardware key) instead of the PKCS#12 when SEAL_PKCS11_MODULE is set.
SEAL_PKCS11_MODULE = env.str("SEAL_PKCS11_MODULE", default="")  # path of the vendor's .so
SEAL_PKCS11_TOKEN_LABEL = env.str("SEAL_PKCS11_TOKEN_LABEL", default="")
SEAL_PKCS11_PIN = env.str("SEAL_PKCS11_PIN", default="")  # user PIN; from the environment only
SEAL_PKCS11_KEY_LABEL = env.str("SEAL_PKCS11_KEY_LABEL", default="")
SEAL_PKCS11_CERT_LABEL = env.str("SEAL_PKCS11_CERT_LABEL", default="")  # empty: the key label
SEAL_TRUST_ROOTS = env.list("SEAL_TRUST_ROOTS", default=[])  # PEM files the signature chains to
TSA_URL = env.str("TSA_URL", default="")  # RFC 3161 time-stamping authority (optional)
TSA_TIMEOUT = env.float("TSA_TIMEOUT", default=10.0)
# Without any seal (no PKCS#12, no demo seal) archiving is refused unless this is false.
SEAL_REQUIRED = env.bool("SEAL_REQUIRED", default=not DEBUG)
# Beat signs the audit chain head into MEDIA_ROOT/audit-checkpoints/ this often (and at archiving).
AUDIT_CHECKPOINT_SECONDS = env.int("AUDIT_CHECKPOINT_SECONDS", default=3600)
# Full checks ("verify now") from the QR verify page, per person and clock hour (429 beyond).
VERIFY_NOW_PER_HOUR = env.int("VERIFY_NOW_PER_HOUR", default=30)

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "circulation.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "circulation.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "circulation.api.parsers.LimitedJSONParser",  # depth and size limits
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# API tokens (django-rest-knox): stored as SHA-512 only, a sliding lifetime of API_TOKEN_TTL_HOURS
# (each use moves the expiry, written at most once a minute).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("API_TOKEN_TTL_HOURS", default=10.0)),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "circulation 收文传阅 API",
    "DESCRIPTION": "Register, circulate and read-confirm incoming official documents (收文).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "NoticeStateEnum": "workflows.machines.NoticeState",
        "AcknowledgementStateEnum": "workflows.machines.AckState",
        "HandlingStateEnum": "workflows.machines.HandlingState",
        "InstructionStateEnum": "workflows.machines.InstructionState",
        "AssignmentStateEnum": "workflows.machines.AssignmentState",
        "InstructionKindEnum": "circulation.records.models.handling.InstructionKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
