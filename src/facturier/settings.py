"""Configuration, read from the environment only (12-factor).

Variables: DATABASE_URL, CACHE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, EMAIL_URL,
TIME_ZONE, LANGUAGE_CODE, VAR_DIR. Without any of them the app runs on the embedded
default: a SQLite file and generated secrets under var/.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from facturier.cache_url import cache_settings_from_url
from facturier.email_url import email_settings_from_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", PROJECT_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # Generated once and kept, so sessions survive a restart of the embedded default.
    # Written whole under another name, then linked: processes starting together (the
    # server and its worker, parallel test workers) never read a half-written key.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        draft = VAR_DIR / f"secret_key.{os.getpid()}.tmp"
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process won; its key is kept
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "facturier.core",
    "facturier.outbox",
    "facturier.firms",
    "facturier.access",
    "facturier.clients",
    "facturier.work",
    "facturier.invoicing",
    "facturier.engagements",
    "facturier.receivables",
    "facturier.einvoicing",
    "facturier.privacy",
    "facturier.portal",
    "facturier.web",
    "rest_framework",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "facturier.web.middleware.UserLanguageMiddleware",
    "facturier.web.middleware.RefuseControlCharactersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "facturier.web.middleware.TwoFactorsSetupMiddleware",
    "facturier.web.middleware.LastSeenMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "facturier.web.middleware.FormAddressPageMiddleware",
]

ROOT_URLCONF = "facturier.urls"
WSGI_APPLICATION = "facturier.wsgi.application"

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
                "facturier.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'facturier.sqlite3'}",
        # Kept between requests: opening one (and its PRAGMAs on SQLite) costs more
        # than serving a stored PDF.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for tests too: worker subprocesses and threads share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock when a transaction starts, so two
            # finalizations queue up instead of failing on a lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            ),
        }
    )

elif env_bool("DATABASE_PREPARED", True):
    # PostgreSQL: parameters sent apart from the statement, and a statement run five
    # times on a connection prepared by the server, which then parses and plans it
    # once: the app's statements are few and run often (most compiled once, see
    # core.compiled_sql). DATABASE_PREPARED=0 (or off) behind a pooler in transaction mode
    # that cannot keep prepared statements (PgBouncer before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )

# Shared by every process (rate limits, and whatever else must count once): the
# database by default, Redis with CACHE_URL=redis://... The table is made by the
# core app's migration.
CACHES = cache_settings_from_url(os.environ.get("CACHE_URL", ""))

AUTH_USER_MODEL = "firms.User"
# Django's model backend, the user read with its permissions in one query.
AUTHENTICATION_BACKENDS = ["facturier.firms.backends.UserWithPermissions"]
# Argon2id first (Django's recommended hasher, at Django's own parameters: 100 MiB of
# memory, two passes), memory-hard where PBKDF2 is not, and a quarter of the time of
# PBKDF2's 1,000,000 iterations here. Django's other hashers (its default list) still
# check older hashes, which Django re-hashes with Argon2id at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/billing/invoices/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

globals().update(
    email_settings_from_url(os.environ.get("EMAIL_URL") or f"file://{VAR_DIR / 'mail'}")
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "facturier@localhost")

# Background work: Django's Tasks API with the database backend (no broker). The
# e-mail outbox (EmailDelivery) is the source of truth; tasks only wake workers.
TASKS = {"default": {"BACKEND": "facturier.outbox.tasks.TaskBackend", "QUEUES": ["default"]}}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # the PDF, shown framed by View PDF, says SAMEORIGIN itself
SECURE_REFERRER_POLICY = "same-origin"

# A Content-Security-Policy for every page: scripts and styles from this site only
# (no inline code: app.js handles confirmations and the language switch), images
# also as data: URIs (the template preview), the PDF in a frame of this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The charts' SVG carries its own <style>, allowed by the page's nonce.
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Behind HTTPS (a reverse proxy that terminates TLS and sets X-Forwarded-Proto):
# DJANGO_SECURE=1 turns on what `manage.py check --deploy` asks for. The embedded
# default serves plain http on 127.0.0.1 and leaves it off.
if env_bool("DJANGO_SECURE"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# One clock for every log line: TIME_ZONE (Django sets the process's TZ to it, and
# `manage.py serve` hands it to gunicorn), with the offset written out.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "stamped": {
            "format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "stamped"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The task queue says twice a second that it found nothing: only its problems.
    # httpx logs every request at INFO: the platform's polling would fill the console.
    "loggers": {
        "django_tasks_db": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        # mt-940 logs each pattern it tries, at INFO: a line per field of every file.
        "mt940": {"level": "WARNING"},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "facturier.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["facturier.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "facturier.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "facturier.api.errors.handle_exception",
    "DEFAULT_THROTTLE_CLASSES": ["facturier.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_RATE_LIMIT", "600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "facturier API",
    "DESCRIPTION": (
        "Invoices, payments, clients and templates: the same actions and rights as the app."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Ids in paths: what core.converters.IdConverter matches.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "facturier.invoicing.lifecycle.InvoiceStatus",
        "DeliveryStatusEnum": "facturier.outbox.models.DeliveryStatus",
        "PaymentStateEnum": "facturier.invoicing.lifecycle.PaymentState",
        "PaymentMethodEnum": "facturier.receivables.models.Payment.Method",
        "LanguageEnum": [("fr", "Français"), ("en", "English")],
        "EntryKindEnum": "facturier.work.models.EntryKind",
        "DocumentKindEnum": "facturier.invoicing.models.DocumentKind",
        "SchemeEnum": ["CORE", "B2B"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "facturier.api.errors.add_error_responses",
    ],
}

# Two factors (django-otp's TOTP devices). Failed codes are throttled with failed
# passwords, per account and per IP address (web/signin.py), not by the device itself.
OTP_TOTP_ISSUER = "facturier"
OTP_TOTP_THROTTLE_FACTOR = 0
