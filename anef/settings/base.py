"""Settings for every environment, read from the environment (twelve-factor).

Each value has a safe default for a developer's machine; production sets ``DEBUG=0``, a real
``SECRET_KEY`` and ``ALLOWED_HOSTS``, and then every security header and cookie flag switches on
(``manage.py check --deploy`` is clean). See ``.env.example`` for the full list.
"""

from datetime import timedelta
from pathlib import Path
from typing import Final

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from anef.settings.storage import s3_storage_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "modeltranslation",  # before the admin, as it requires: per-language fields of the catalogue
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the Swagger UI's files, served from our own static files (CSP)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "dsfr",
    "django.forms",
    # Project apps, lowest first (an app depends only on the apps above it in this list).
    "territory",
    "accounts",
    "notifications",
    "documents",
    "appointments",
    "applications",
    "substitution",
    "helpcentre",  # beside substitution: may use applications and below, nothing above uses it
    "mediation",
    "api",  # the REST API: on top of every domain app, below the project package
    "anef",  # templates tags and management commands shared by every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.middleware.ApiMiddleware",  # /api/: the language from Accept-Language, no caching
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.OTPMiddleware",  # django-otp's, cheaper (its docstring)
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    "accounts.middleware.AssistedSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.csp.CSPMiddleware",  # django-csp's, the policy built once per process
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "anef.urls"
WSGI_APPLICATION = "anef.wsgi.application"
ASGI_APPLICATION = "anef.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # Django's {% extends %}, the layout's blocks found once per process (issue 17).
            "builtins": ["core.extends"],
            "context_processors": [
                "django.template.context_processors.request",
                "anef.context_processors.i18n",  # Django's, cheaper (issue 17)
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anef.context_processors.portal",
            ],
        },
    },
]
FORM_RENDERER = "anef.forms.DsfrFormRenderer"

# --- Data -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'anef.sqlite3'}"),
}
# Behind PgBouncer in transaction mode (docs/deployment.md): each transaction may run on another
# server connection, so nothing may outlive one. No server-side cursors (a named cursor lives across
# transactions) and no prepared statements (a statement prepared on one server connection is not on
# the next transaction's). Django's own per-connection setting (SET TIME ZONE) is one PgBouncer
# tracks and replays; the portal takes no session-level lock.
DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
# On a direct connection, parameters bound by the server and each statement prepared once it has run
# 5 times on the connection (psycopg's prepare_threshold; Django prepares nothing by default): the
# server then plans it once, not at every run. In the load test, planning was two thirds of
# PostgreSQL's work (docs/benchmarks.md, "Prepared statements").
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# An optional read replica for the statistics and the CSV exports only (core.replica): every other
# read, and every write, goes to "default".
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    # In tests the replica is the test database itself, reached by its own connection.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
for _database in DATABASES.values():
    if _database["ENGINE"] != "django.db.backends.postgresql":
        continue
    # Keep connections open: a new connection per request costs 3x (../shared/PERFORMANCE.md).
    _database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    _database["CONN_HEALTH_CHECKS"] = True
    if DATABASE_TRANSACTION_POOLING:
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _database.setdefault("OPTIONS", {})["prepare_threshold"] = None
    elif DATABASE_PREPARED_STATEMENTS:
        _database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its files under var/
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server, the worker and beat share the file without "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Its own Redis database in production, so that clearing the cache never drops queued tasks.
            "LOCATION": env.str("REDIS_CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": "anef",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

SESSION_ENGINE = "accounts.sessions"  # Django's database sessions, read by a prepared query

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded pieces, issued PDFs, letter batches and exports: on an S3-compatible object store when
# S3_BUCKET is set (every web and worker node sees the same files; ADR 0012), else on the local disk
# under MEDIA_ROOT (the embedded default). Private either way: the bucket grants nothing to
# anonymous requests, and files go out only through the portal's access-checked views, streamed.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    DEFAULT_FILE_STORAGE_CONFIG = s3_storage_config(
        bucket=S3_BUCKET,
        location=env.str("S3_PREFIX", default=""),
        endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
        region=env.str("S3_REGION", default=""),
        access_key=env.str("AWS_ACCESS_KEY_ID", default=""),
        secret_key=env.str("AWS_SECRET_ACCESS_KEY", default=""),
        addressing_style=env.str("S3_ADDRESSING_STYLE", default=""),
    )
else:
    DEFAULT_FILE_STORAGE_CONFIG = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_FILE_STORAGE_CONFIG,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded and issued files are private: never served under a public URL, only through
# access-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # routed nowhere: no URL serves these files
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Accounts and security --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Finds the account by e-mail address or login identifier ("P7K-4QX-92M"), typed in the same
    # field: accounts.models.UserManager.get_by_natural_key.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "applications:dashboard"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day, also the validity of e-mail verification links

# Session limits (DESIGN §2): applicants 30 min idle and 12 h in all; staff 15 min idle.
SESSION_IDLE_TIMEOUT_APPLICANT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES_APPLICANT", 30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", 12))
SESSION_IDLE_TIMEOUT_STAFF = timedelta(minutes=env.int("SESSION_IDLE_MINUTES_STAFF", 15))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed logins (django-axes): 5 failures per account lock it 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lock per account, not per address: a digital help point (PAN) puts many people behind one IP,
# and an IP lockout there would shut a whole desk out. axes.W006 warns about exactly this choice.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
# One key per account whichever way the person names it (e-mail or login identifier), so that
# switching from one to the other does not restart the count (accounts.lockout.axes_username).
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# Reverse proxies in front of the app: accounts.http.client_ip reads the client's address from
# X-Forwarded-For behind them (django-ipware), for the lockout, its access rows and every limit.
CLIENT_IP_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.http.client_ip"

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="ANEF")
# After each wrong code, django-otp makes the person wait OTP_TOTP_THROTTLE_FACTOR seconds, doubled
# at each failure; the doubling stops before the wait passes OTP_THROTTLE_MAX_SECONDS (256 s with
# these defaults), so that a stranger with the password cannot keep an agent out for hours.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_THROTTLE_MAX_SECONDS = env.int("OTP_THROTTLE_MAX_SECONDS", default=300)
BACKUP_CODES_COUNT = 10

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if CLIENT_IP_PROXY_COUNT:
    # Trust X-Forwarded-Proto only behind a proxy that sets it; otherwise a client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# /healthz's operational figures (beat heartbeat, outbox counts) only with this bearer token when
# it is set; the status of the database and broker stays public for simple probes.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
SECURE_REDIRECT_EXEMPT = [r"^(healthz|livez|readyz)$"]  # the load balancer probes over plain HTTP

# Content Security Policy (django-csp): only our own resources, scripts by nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # The DSFR's JavaScript sets style attributes on its components (collapse heights, for
        # instance); attributes only, which cannot run code. <style> elements stay forbidden.
        "style-src-attr": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "anef_language"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE: Final = "Lax"  # Final: the literal set_cookie(samesite=...) accepts
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Europe/Paris"
USE_I18N = True
# Our date formats per language (anef/formats/<lang>/formats.py), over Django's: English dates read
# day first with a 24-hour clock, as on French documents.
FORMAT_MODULE_PATH = ["anef.formats"]
# The catalogue's texts in each language (applications/translation.py, ADR 0004): French is the
# reference; an English text left empty falls back to the French one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
MODELTRANSLATION_LANGUAGES = ("fr", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("fr",)
USE_TZ = True

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ANEF <ne-pas-repondre@anef.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications ----------------------------------------------------------------------------
# SMS adapter (a dotted path to a notifications.channels.SmsBackend): the console one prints the text
# (development); notifications.channels.HttpSmsBackend in production, with SMS_HTTP_* below.
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.channels.ConsoleSmsBackend")
# Tries to deliver one e-mail or SMS before it is marked failed.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Delivery (docs/operations.md, "Delivery"): a failed attempt waits 1, 2, 4, 8… minutes, at most
# an hour; a worker's claim on a row lasts 10 minutes (more than CELERY_TASK_TIME_LIMIT, far less
# than the broker's visibility timeout), after which the sweep queues the row again.
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=60)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=600)
# The HTTP SMS provider (notifications.channels.HttpSmsBackend, with SMS_BACKEND naming it).
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_SENDER = env.str("SMS_SENDER", default="ANEF")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
# Seconds an SMTP connection may wait (Django's default is none: a hung server holds a worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Letters per printed batch (one page each): a desk prints the rest in the next batch.
LETTER_BATCH_MAX_LETTERS = env.int("LETTER_BATCH_MAX_LETTERS", default=300)

# --- Substitution (blocking reports) ----------------------------------------------------------
# The "délai raisonnable": days after a report is opened (Europe/Paris) by which it must be resolved.
SUBSTITUTION_REASONABLE_DELAY_DAYS = env.int("SUBSTITUTION_REASONABLE_DELAY_DAYS", default=15)
# How far ahead the portal looks for a free paper-filing slot at the competent prefecture when it
# convokes someone; with none in that window, the prefecture's supervisors are alerted.
SUBSTITUTION_INVITATION_HORIZON_DAYS = env.int("SUBSTITUTION_INVITATION_HORIZON_DAYS", default=30)

# --- Tasks (Celery) ---------------------------------------------------------------------------
# With REDIS_URL, Redis is the broker. Without it (the embedded default of `make run`), kombu's
# filesystem transport lets a real worker and beat run with no server to install.
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A message taken but not acknowledged (acks_late) goes back to the queue after this many
    # seconds: every task ends long before (CELERY_TASK_TIME_LIMIT), no task is sent with an ETA or a
    # countdown, and the outbox's lease (NOTIFICATION_LEASE_SECONDS) is a sixth of it.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
# A task's message is acknowledged when it ends, a worker takes one message at a time, and a
# message whose worker process died is queued again: every task is safe to re-run. The outbox's
# delivery tasks choose otherwise (reject_on_worker_lost=False, notifications.tasks): their rows'
# lease does it, with a bound on attempts (docs/operations.md, "Delivery").
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if REDIS_URL:
    # celery-redbeat (ADR 0013): the schedule's state lives in Redis, and a beat ticks only while it
    # holds the Redis lock, so any number of beat processes may run (one per node, for failover)
    # and each scheduled run is sent once. A beat that dies leaves the lock to expire: another takes
    # over within CELERY_REDBEAT_LOCK_TIMEOUT seconds and sends what fell due meanwhile, once.
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = env.str("REDBEAT_REDIS_URL", default=REDIS_URL)
    CELERY_REDBEAT_KEY_PREFIX = env.str("REDBEAT_KEY_PREFIX", default="anef:redbeat:")
    # A beat wakes at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds and renews the lock then.
    CELERY_BEAT_MAX_LOOP_INTERVAL = 30
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("REDBEAT_LOCK_TIMEOUT", default=150)

# --- API --------------------------------------------------------------------------------------
# docs/adr/0010-api.md, docs/api/README.md.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the portal's session, CSRF on writes
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsPerson"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserThrottle", "api.throttling.IPThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="120/min"),
        "ip": env.str("API_THROTTLE_IP", default="300/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ANEF portal API",
    "DESCRIPTION": (
        "Residence-permit e-service: permits, dossiers, drafts, issued documents, appointments, "
        "messages; the agents' queue; public certificate verification. Errors are "
        '`{"code", "message", "fields"}`, the message in the `Accept-Language` asked (fr, en). '
        "Guide: docs/api/README.md."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}
# Personal API tokens (accounts.services.tokens): days an applicant's key lasts (0: until revoked),
# and minutes a staff key lasts (made only right after the second factor).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=365)
API_STAFF_TOKEN_MINUTES = env.int("API_STAFF_TOKEN_MINUTES", default=30)

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Portal -----------------------------------------------------------------------------------
# Instruction (DESIGN §4-§6): legal targets, rights at risk, extension certificates.
LEGAL_TARGET_DAYS_FIRST = env.int("LEGAL_TARGET_DAYS_FIRST", default=90)
LEGAL_TARGET_DAYS_RENEWAL = env.int("LEGAL_TARGET_DAYS_RENEWAL", default=30)
RIGHTS_AT_RISK_DAYS = env.int("RIGHTS_AT_RISK_DAYS", default=30)
EXTENSION_CERTIFICATE_LEAD_DAYS = env.int("EXTENSION_CERTIFICATE_LEAD_DAYS", default=7)
EXTENSION_CERTIFICATE_MONTHS = env.int("EXTENSION_CERTIFICATE_MONTHS", default=3)
# The extra fee of a renewal filed after the window of R.431-5, in euros (set by the finance law:
# a change needs no release).
LATE_RENEWAL_FEE_EUR = env.int("LATE_RENEWAL_FEE_EUR", default=180)
#: Permits per batch (and transaction) of the renewal reminder sweep (applications/services/reminders.py).
RENEWAL_REMINDER_BATCH_SIZE = env.int("RENEWAL_REMINDER_BATCH_SIZE", default=2000)
# Appointments (DESIGN §7).
SLOT_WEEKS_AHEAD = env.int("SLOT_WEEKS_AHEAD", default=8)
BOOKING_RATE_LIMIT = env.int("BOOKING_RATE_LIMIT", default=10)  # self-service attempts per 10 minutes
SLOT_OFFER_HOURS = env.int("SLOT_OFFER_HOURS", default=12)
# A convocation the portal books by itself is at least this many working days away (weekends and
# public holidays skipped); the person may still move it to an earlier free slot.
CONVOCATION_MIN_NOTICE_WORKING_DAYS = env.int("CONVOCATION_MIN_NOTICE_WORKING_DAYS", default=3)
# How many days from the day it is sent the person may move a convocation online (fingerprints,
# and the new convocation after a missed one).
CONVOCATION_MOVABLE_DAYS = env.int("CONVOCATION_MOVABLE_DAYS", default=30)
PORTAL_NAME = _("Étrangers en France")
UNVERIFIED_ACCOUNT_RETENTION = timedelta(days=env.int("UNVERIFIED_ACCOUNT_RETENTION_DAYS", 7))
# Accounts made at a desk for a person (docs/accounts.md): days a welcome letter's activation code
# stays valid, wrong tries before it is blocked (then a mediator issues a new one).
ACCOUNT_ACTIVATION_DAYS = env.int("ACCOUNT_ACTIVATION_DAYS", default=30)
ACCOUNT_CODE_MAX_ATTEMPTS = env.int("ACCOUNT_CODE_MAX_ATTEMPTS", default=5)
# Minutes a password-reset code sent by SMS stays valid.
ACCOUNT_SMS_CODE_MINUTES = env.int("ACCOUNT_SMS_CODE_MINUTES", default=15)
# Mandates (docs/accounts.md, ADR 0006): days a person's consent to a mediator acting for them
# lasts (revocable at any time), and minutes the consent code they show a mediator stays valid.
MANDATE_DURATION_DAYS = env.int("MANDATE_DURATION_DAYS", default=30)
MANDATE_CONSENT_CODE_MINUTES = env.int("MANDATE_CONSENT_CODE_MINUTES", default=15)
