"""Settings shared by every environment. Values come from the environment (see .env.example)."""

from __future__ import annotations

import datetime
from pathlib import Path

import plotly
from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_db, env_int, env_list, env_rate, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for the renderer below
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",  # base code every app may import: it imports none of them
    "governance",
    "kpi",
    "portfolio",
    "incentives",
    "roadmap",
    "webhooks",  # delivers the events of the apps above to the office's endpoints
    "home",  # each role's home page: reads every app above it
    "demo",  # the demo cluster (`load_demo`): the top of the layers, imported by no app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a log-in that django-axes refused into the lockout answer (governance.auth).
    "axes.middleware.AxesMiddleware",
]

# Form widgets render through the project's templates: templates/django/forms/widgets/select.html says the empty
# choice in words ("Choose…", "Not set") instead of Django's "---------"; filters say "Any".
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
FILTERS_EMPTY_CHOICE_LABEL = _("Any")

ROOT_URLCONF = "cluster_platform.urls"
WSGI_APPLICATION = "cluster_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.platform",
                "roadmap.context_processors.stand",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# The embedded default is a SQLite file next to the code; production sets DATABASE_URL to PostgreSQL.
DATABASES = {"default": env_db("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock when a transaction
    # starts, so two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30, minimum=1),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id at OWASP's recommended configuration (core/hashers.py says why); the rest check passwords stored before.
PASSWORD_HASHERS = [
    "core.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# django-axes first: it refuses a locked account or address before the password is checked (governance.auth).
AUTHENTICATION_BACKENDS = [
    "governance.auth.LoginLockBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Languages ------------------------------------------------------------------------------------
LANGUAGE_CODE = "uz"
LANGUAGES = [("uz", _("Uzbek")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tashkent")

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The Plotly bundle that the plotly package ships is served from here: the platform works offline.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("plotly", Path(plotly.__file__).resolve().parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cluster Platform <noreply@localhost>")

# --- REST API -------------------------------------------------------------------------------------
# --- Log-in protection and API tokens (governance.auth) ----------------------------------------------------
# Proxies in front of the platform whose X-Forwarded-For is trusted for the client's address (production: the
# TLS proxy). 0: the address is the TCP peer's.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=3)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCK_MINUTES", 60, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # locked per account and per address
# A successful log-in forgets that account's failures from that address only (governance.auth.login_succeeded):
# axes' own reset would also forget the address's failures on other accounts, so anyone with an account could
# guess others' passwords from one address for ever, logging in as themselves between rounds.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "governance.auth.client_ip"
AXES_LOCKOUT_CALLABLE = "governance.auth.lockout_response"
AXES_VERBOSE = False
KNOX_TOKEN_MODEL = "governance.ApiToken"
# knox's migrations create its own token table even when the model is swapped (as here): without them there is
# no such table, no foreign key to it, and flushing the database (tests) works.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env_int("API_TOKEN_DAYS", 30, minimum=1)),
    "AUTO_REFRESH": True,  # a token in use lives on; one unused for TOKEN_TTL expires
    "AUTO_REFRESH_MAX_TTL": datetime.timedelta(days=365),
    "MIN_REFRESH_INTERVAL": 60 * 60,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "login_address": env_rate("LOGIN_RATE_ADDRESS", "20/min"),
        "login_account": env_rate("LOGIN_RATE_ACCOUNT", "5/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API takes JSON only (no endpoint takes a file), and the schema says so: one content type per body, which
    # the clients generated from /api/schema/ need (a form or multipart alternative broke 34 of their modules).
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cluster Platform API",
    "DESCRIPTION": "Governance, portfolio, KPI data and indicators of industrial clusters.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Nullable fields say so, and Django's times (no zone offset) are described by a pattern (core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.time_without_zone",
        "core.api.schema.error_components",
    ],
    # Several models have a `status` or `kind`: name each choice set after its class.
    "ENUM_NAME_OVERRIDES": {
        f"{name}Enum": f"governance.choices.{name}"
        for name in [
            "EnterpriseStatus",
            "EnterpriseKind",
            "BodyKind",
            "RegulationKind",
            "RegulationStatus",
            "MeetingStatus",
            "DecisionKind",
            "DecisionOutcome",
            "ActionItemStatus",
        ]
    }
    | {
        f"{name}Enum": f"portfolio.choices.{name}"
        for name in ["ProjectCategory", "ProjectStatus", "RequestStatus", "Risk", "Phase"]
    }
    | {
        "GateResultEnum": "roadmap.choices.Result",
        "GateOutcomeEnum": "roadmap.choices.Outcome",
        "RoadmapTaskStatusEnum": "roadmap.choices.TaskStatus",
        "GateMeasureEnum": "roadmap.choices.GateMeasure",
    },
}

# --- Celery ---------------------------------------------------------------------------------------
# Without a broker, tasks run in-process (the embedded default); REDIS_URL turns on the real queue.
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
# A worker killed mid-task (out of memory, a deploy) leaves its task to be run again, not lost: acknowledged once
# done, handed back when the worker dies, one task taken at a time. Every task is safe to run twice (each writes in
# one transaction, and what it writes is a function of the data). The broker hands back a task not acknowledged
# within the visibility timeout: longer than the longest task (4 hours).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 5 * 60 * 60}
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}  # filled in cluster_platform/celery.py, next to the tasks it names

# --- Cache ---------------------------------------------------------------------------------------
# The log-in rate limits count in the cache: with Redis, every server process counts the same attempts.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cluster-platform"}
    )
}

# --- Platform -------------------------------------------------------------------------------------
PLATFORM_NAME = env_str("PLATFORM_NAME", "Cluster Platform")
# Where people reach the platform: the links in e-mails (alerts) start with it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Bulk writes of figures: rows per request, and the request size that many rows need.
KPI_MAX_BATCH_ROWS = env_int("KPI_MAX_BATCH_ROWS", 10_000, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 8 * 1024 * 1024, minimum=1024)

# Webhooks: attempts per delivery (pauses of 1, 2, 4… minutes between them), failed deliveries in a row after which
# an endpoint is switched off, and whether plain HTTP and this network's own addresses are allowed (development).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60, minimum=1)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 5, minimum=1)
WEBHOOKS_ALLOW_LOCAL = env_bool("WEBHOOKS_ALLOW_LOCAL", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every log-in at INFO; failures and locks (WARNING) are what an operator needs.
    "loggers": {"axes": {"level": "WARNING"}},
}
