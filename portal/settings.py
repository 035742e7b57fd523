"""Settings for the National AI Data Center portal.

One module, driven by environment variables (see the README's configuration table). Every
variable is parsed here; a value that cannot be understood stops start-up with
``ImproperlyConfigured`` naming the variable, so a typo never turns into a silent default.
"""

import ipaddress
import os
import re
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.environment import check_port, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core --------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

# Where the laptop setup keeps its SQLite file, broker folders, mailbox, cache and uploads.
VAR_DIR = BASE_DIR / (env_str("PORTAL_VAR_DIR") or "var")

# The test suite runs in several processes at once (pytest-xdist): each is named by
# PYTEST_XDIST_WORKER (gw0, gw1…), which the processes its tests start inherit. Each worker keeps a
# var folder of its own (the SQLite test database, the file cache, the broker's folders, the
# mailbox) and a Redis cache database of its own (below), so that one worker's cache.clear() or
# its broker folder never reaches another worker's tests. Outside the suite this changes nothing.
_XDIST_WORKER = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
if _XDIST_WORKER:
    VAR_DIR = VAR_DIR / _XDIST_WORKER.group(0)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production refuses to start without it; "
            "for development set DEBUG=1 (make run does)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is empty. Production needs the site's host names.")

# The address users reach the portal at, for links in e-mails sent outside a request.
SITE_URL = (env_str("SITE_URL") or ("http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0]}")).rstrip("/")
if urlsplit(SITE_URL).scheme not in ("http", "https") or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must be an address such as https://portal.example.kr.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlsplit(_origin).scheme not in ("http", "https") or not urlsplit(_origin).netloc:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entry {_origin!r} must be an origin such as https://portal.example.kr."
        )

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "portal.admin_site.PortalAdminConfig",  # django.contrib.admin, on well-formed ids only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth.mfa's list of security keys
    "allauth",
    "allauth.account",
    # Second factors (TOTP with recovery codes, WebAuthn security keys): staff must have one
    # (accounts/second_factor.py); applicants may add one.
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    # The API (api/): Django REST framework, its OpenAPI schema, and Swagger UI and Redoc served
    # from this site (the sidecar's static files, no CDN).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The portal's apps, in their layers' order (pyproject.toml's import contracts): an app
    # imports only the apps listed before it.
    "outbox",
    "accesslog",
    "accounts",
    "notifications",
    "pool",
    "applications",
    "evaluation",
    "allocations",
    "metering",
    "aftercare",
    "reclaim",
    "privacy",
    "review",
    "dashboard",
    "api",
    "demo",
]

MIDDLEWARE = [
    # Answers /healthz and /readyz before host validation and the HTTPS redirect, so that a
    # container health check on plain HTTP at 127.0.0.1 works in production.
    "portal.health.HealthCheckMiddleware",
    # Counts and times every request below (health checks are not counted), and answers an
    # allowed scrape of /metrics before host validation and the HTTPS redirect, like the above.
    "dashboard.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A body larger than REQUEST_BODY_MAX_BYTES is answered 413 before it is read.
    "portal.request_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL character in a query string or a posted form is refused with a 400 before any view
    # (PostgreSQL cannot store or compare text with one).
    "portal.nul_characters.RefuseNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions end after STAFF_SESSION_IDLE_MINUTES without a request.
    "accounts.staff_sessions.StaffIdleTimeoutMiddleware",
    # Staff without a second factor are sent to set one up before any page but their account's.
    "accounts.second_factor.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A logged-in user's e-mails follow the language they switch the site to.
    "notifications.middleware.RememberLanguageMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

# A refused form (an old page, another tab that logged in or out) gets the portal's page, not Django's.
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {{ start|period:end }}: a range of days as the active language writes it.
            "builtins": ["portal.formats.library"],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------

_default_sqlite = VAR_DIR / "db.sqlite3"
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{_default_sqlite}"
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
except Exception as exc:  # dj-database-url raises several types; all mean "bad URL"
    raise ImproperlyConfigured(
        f"DATABASE_URL could not be parsed ({exc}). Use postgres://user:password@host:5432/name "
        "or sqlite:////absolute/path.sqlite3."
    ) from None
if _database["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    raise ImproperlyConfigured(
        f"DATABASE_URL names engine {_database['ENGINE']!r}; the portal supports PostgreSQL and SQLite."
    )
if not _database.get("NAME"):
    raise ImproperlyConfigured("DATABASE_URL has no database name (or SQLite file path).")

if _database["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write at once on a laptop: WAL lets readers proceed
    # during a write, the timeout waits for the lock instead of failing, and IMMEDIATE takes the
    # write lock at BEGIN so two writers never deadlock upgrading read locks.
    _database["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file (not :memory:) so that a Celery worker started by an integration test sees the
    # same test database; named per test run (inherited by the run's subprocesses) so that two
    # runs on one machine never share it.
    _test_run = os.environ.setdefault("PORTAL_TEST_RUN", str(os.getpid()))
    _database["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{_test_run}.sqlite3")}
else:
    _database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    _database["CONN_HEALTH_CHECKS"] = True
    _database.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5, 1)

DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits of failed logins live here: it must be shared by all web processes) ----

CACHE_URL = env_str("CACHE_URL") or f"file://{VAR_DIR / 'cache'}"
_cache = urlsplit(CACHE_URL)


if _cache.scheme in ("redis", "rediss"):
    check_port("CACHE_URL", CACHE_URL)
    _cache_location = CACHE_URL
    if _XDIST_WORKER:  # worker n of the suite: the configured database's number plus n
        _cache_database = int(_cache.path.strip("/") or 0) + int(_XDIST_WORKER.group(1))
        if _cache_database > 15:
            raise ImproperlyConfigured(
                f"CACHE_URL={CACHE_URL!r}: test worker {_XDIST_WORKER.group(0)} would use Redis database "
                f"{_cache_database}; Redis has 16 (0-15). Use a lower database number or fewer workers (-n)."
            )
        _cache_location = _cache._replace(path=f"/{_cache_database}").geturl()
    # Redis, and a table of the database while Redis does not answer (portal/cache.py): logins,
    # second factors and dashboards keep working through a Redis outage. A call waits at most
    # the socket timeouts below for a Redis that is down; after a failure the process skips Redis
    # for CACHE_RETRY_SECONDS.
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisWithDatabaseFallback",
            "LOCATION": _cache_location,
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "retry_seconds": env_int("CACHE_RETRY_SECONDS", 5, 1),
            },
        },
        "fallback": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache_fallback"},
    }
elif _cache.scheme == "file" and _cache.path:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _cache.path}}
elif _cache.scheme == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"CACHE_URL={CACHE_URL!r} is not understood; use redis://host:6379/1, file:///path or locmem://."
    )

# --- Accounts (django-allauth) -----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    # Django's list of common passwords, and the portal's own names and Korean favourites.
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Adding, removing or switching the primary e-mail address asks for the password (or the second
# factor) again, unless given in the last five minutes: a session left open must not be enough
# to move the account to another address. The owner is told by e-mail of every change of the
# password or the addresses (to the old address when the primary one changes) and of their
# second factors.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# A password-reset link works for an hour (Django's default: three days).
PASSWORD_RESET_TIMEOUT = 60 * 60
ACCOUNT_EMAIL_SUBJECT_PREFIX = _("[National AI Data Center] ")
# Account e-mails are recorded and delivered like every other e-mail (notifications/).
ACCOUNT_ADAPTER = "notifications.adapter.AccountAdapter"
# The login form marks its fields invalid when the login fails (accounts/forms.py).
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# The sign-up form carries the consents (개인정보 수집·이용 동의), recorded with their versions.
ACCOUNT_SIGNUP_FORM_CLASS = "privacy.forms.SignupConsentsForm"
# Failed logins are limited per client IP and per account (key); the admin's login is sent
# through this same form (see portal/urls.py), so both pathways share these limits.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Links in allauth's e-mails are built on SITE_URL (notifications/adapter.py); its own default
# scheme follows it.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme
# Behind docker-compose's reverse proxy the client address is the proxy's; with N trusted
# proxies allauth reads the client from X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if env_bool("BEHIND_TLS_PROXY", False) and ALLAUTH_TRUSTED_PROXY_COUNT == 0:
    # Behind a proxy every request comes from the proxy's address: with no proxy trusted for
    # X-Forwarded-For, all clients would share one failed-login bucket per IP, and ten wrong
    # passwords from anyone would lock every login for a minute.
    raise ImproperlyConfigured(
        "BEHIND_TLS_PROXY=1 needs TRUSTED_PROXY_COUNT (the number of reverse proxies in front of the "
        "portal, usually 1): with TRUSTED_PROXY_COUNT=0 every client would share the proxy's address "
        "and its login limit."
    )
# Second factors (allauth.mfa): an authenticator app (TOTP, with recovery codes) or a security
# key (WebAuthn, where the browser offers it). Codes are checked under the failed-login limits
# above ("login_failed", per IP and per account). Staff must have one (accounts/second_factor.py).
MFA_ADAPTER = "accounts.second_factor.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# The name authenticator apps show beside the account (not the request's host name).
MFA_TOTP_ISSUER = "National AI Data Center"
# WebAuthn needs HTTPS; on a laptop (DEBUG, http://localhost) the origin check is relaxed.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Internationalisation ----------------------------------------------------------------------

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times as the announcements write them: 2026년 4월 3일(금) 18:00 (portal/formats/).
FORMAT_MODULE_PATH = ["portal.formats"]
# Quantities with their thousands separated (25,600 코어) on pages, in e-mails and in the admin;
# identifiers (reference numbers, ids in addresses) are written with |unlocalize.
USE_THOUSAND_SEPARATOR = True
USE_I18N = True
TIME_ZONE = "Asia/Seoul"
USE_TZ = True

# --- Static files and uploads ------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence is private: there is deliberately no MEDIA_URL route; files are served
# only by views that check who is asking.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
# Uploaded files on local disk (default) or in S3-compatible object storage, which several web
# and worker machines can share (needs requirements-s3.txt: `pip install -r requirements-s3.txt`).
MEDIA_STORAGE = env_choice("MEDIA_STORAGE", "local", ("local", "s3"))
if MEDIA_STORAGE == "s3":
    try:
        import storages  # noqa: F401
    except ImportError:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs django-storages: pip install -r requirements-s3.txt "
            "(or build the image with --build-arg MEDIA_STORAGE_S3=1)."
        ) from None
    if not env_str("MEDIA_S3_BUCKET"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET.")
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("MEDIA_S3_BUCKET"),
            "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": env_str("MEDIA_S3_REGION") or None,
            "access_key": env_str("MEDIA_S3_ACCESS_KEY") or None,
            "secret_key": env_str("MEDIA_S3_SECRET_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# How much a client may send (portal/request_limits.py). A page takes at most four files (the
# application form: the certificate and three claims' evidence) of at most 10 MB each
# (applications/uploads.py), so a request may carry 45 MB; a larger Content-Length is answered
# 413 before its body is read. A file is no longer written once it passes 10 MB, and a visitor
# who is not logged in cannot send files at all. The reverse proxy should refuse larger bodies
# itself (nginx: client_max_body_size 45m; see the README).
REQUEST_BODY_MAX_BYTES = 45 * 1024 * 1024
UPLOAD_FILE_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "portal.request_limits.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files up to 2 MB are kept in memory, larger ones in a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The form fields other than files (Django's default); files are bounded above.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# ClamAV's daemon scans every uploaded file where it is configured (portal/antivirus.py):
# a Unix socket path or tcp://host:3310. Unset: no scanning (make run); the production compose
# file runs a clamav service and sets it. A configured scanner that does not answer within
# CLAMAV_TIMEOUT_SECONDS refuses the upload.
CLAMAV_SOCKET = env_str("CLAMAV_SOCKET") or ""
if CLAMAV_SOCKET and not (CLAMAV_SOCKET.startswith("/") or CLAMAV_SOCKET.startswith("tcp://")):
    raise ImproperlyConfigured("CLAMAV_SOCKET must be a socket path (/run/clamav/clamd.ctl) or tcp://host:3310.")
if CLAMAV_SOCKET.startswith("tcp://"):
    check_port("CLAMAV_SOCKET", CLAMAV_SOCKET)
CLAMAV_TIMEOUT_SECONDS = env_int("CLAMAV_TIMEOUT_SECONDS", 30, 1)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ------------------------------------------------------------------------------------

EMAIL_BACKEND_NAME = env_choice("EMAIL_BACKEND", "file" if DEBUG else "smtp", ("smtp", "console", "file"))
_email_use_tls = env_bool("EMAIL_USE_TLS", True)
_email_use_ssl = env_bool("EMAIL_USE_SSL", False)
if _email_use_tls and _email_use_ssl:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
_mailer_options = {
    "smtp": {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587, 1),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _email_use_tls,
        "use_ssl": _email_use_ssl,
        "timeout": 20,
    },
    "console": {},
    # The development mailbox: one file per message, read by the browser tests and developers.
    "file": {"file_path": str(BASE_DIR / (env_str("EMAIL_FILE_PATH") or VAR_DIR / "mail"))},
}[EMAIL_BACKEND_NAME]
MAILERS = {
    "default": {
        "BACKEND": {
            "smtp": "django.core.mail.backends.smtp.EmailBackend",
            "console": "django.core.mail.backends.console.EmailBackend",
            "file": "django.core.mail.backends.filebased.EmailBackend",
        }[EMAIL_BACKEND_NAME],
        "OPTIONS": _mailer_options,
    }
}
# The sender's display name is the one Korean recipients know (e-mails are notices of the data
# center, whatever the recipient's language).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "국가 AI 데이터센터 <noreply@localhost>") or ""
if not re.fullmatch(r"[^@<>\s]+@[^@<>\s]+", parseaddr(DEFAULT_FROM_EMAIL)[1]):
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL={DEFAULT_FROM_EMAIL!r} is not an address; use noreply@portal.example.kr or "
        "'Name <noreply@portal.example.kr>'."
    )
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The contact (문의처) every e-mail names in its footer, since the sender takes no replies: an
# address people can write to (default: support@ at the sender's domain) and a telephone number
# (none unless set).
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL") or "support@" + parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
if not re.fullmatch(r"[^@<>\s]+@[^@<>\s]+", SUPPORT_EMAIL):
    raise ImproperlyConfigured(f"SUPPORT_EMAIL={SUPPORT_EMAIL!r} is not an address; use help@portal.example.kr.")
SUPPORT_PHONE = env_str("SUPPORT_PHONE") or ""

# --- Celery ------------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
_broker_scheme = urlsplit(CELERY_BROKER_URL).scheme
if _broker_scheme not in ("filesystem", "redis", "rediss"):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL={CELERY_BROKER_URL!r}: use redis://host:6379/0 or filesystem:// (the default)."
    )
check_port("CELERY_BROKER_URL", CELERY_BROKER_URL)
if _broker_scheme == "filesystem":
    # Celery's file-system transport: messages are files in one folder that the web process,
    # the worker and beat all share. No server needed, one machine only.
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        # The transport polls its folder; the default second per message is too slow a queue.
        "polling_interval": 0.1,
    }
    _default_result_backend = f"file://{VAR_DIR / 'celery' / 'results'}"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # Publishing tries the broker once, for at most a second: a web request that hands its
        # tasks over after a commit must not wait on a broker that is down (the task waits in
        # the outbox instead). The worker's own consuming connection retries as it always did.
        "max_retries": 0,
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
    }
    _default_result_backend = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or _default_result_backend
if urlsplit(CELERY_RESULT_BACKEND).scheme not in ("file", "redis", "rediss"):
    raise ImproperlyConfigured(
        f"CELERY_RESULT_BACKEND={CELERY_RESULT_BACKEND!r}: use redis://host:6379/0 or file:///path "
        "(the default follows CELERY_BROKER_URL)."
    )
if urlsplit(CELERY_RESULT_BACKEND).scheme != "file":
    check_port("CELERY_RESULT_BACKEND", CELERY_RESULT_BACKEND)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only after it ran, so a worker that dies mid-task leaves the message
# to be delivered again; every task is therefore written to be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker or beat that lost the broker tries again every one to two seconds, for as long as it takes
# (Celery's default gives up after 100 tries and exits).
CELERY_WORKER_CONSUMER = "portal.celery:PromptlyReconnectingConsumer"
CELERY_BEAT_SCHEDULER = "portal.celery:PromptlyReconnectingScheduler"
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A web request hands its tasks to the broker after the commit (outbox/services.py): it must
# never wait long for a broker that is down. The message waits in the outbox table instead.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
OUTBOX_BROKER_PAUSE_SECONDS = env_int("OUTBOX_BROKER_PAUSE_SECONDS", 5, 1)
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.relay", "schedule": 5},
    "expire-allocations": {"task": "allocations.expire_allocations", "schedule": 15 * 60},
    "sweep-stuck-allocations": {"task": "allocations.sweep_stuck_allocations", "schedule": 60},
    # A backend that enforces service periods itself (Slurm) opens and closes its quotas.
    "sync-service-periods": {"task": "allocations.sync_service_periods", "schedule": 60 * 60},
    "offer-freed-capacity": {"task": "allocations.offer_freed_capacity", "schedule": 10 * 60},
    "send-expiry-reminders": {"task": "allocations.send_expiry_reminders", "schedule": 60 * 60},
    "check-capacity": {"task": "allocations.check_capacity", "schedule": 60 * 60},
    # After the award: each job is idempotent per day, so running hourly only catches up sooner.
    "request-reports": {"task": "aftercare.request_reports", "schedule": 60 * 60},
    "send-report-reminders": {"task": "aftercare.send_report_reminders", "schedule": 60 * 60},
    "invite-to-surveys": {"task": "aftercare.invite_to_surveys", "schedule": 60 * 60},
    # Reclaim: idempotent per day (one open case per allocation; decisions and offers once).
    "reclaim-daily": {"task": "reclaim.daily", "schedule": 60 * 60},
    "send-evaluation-reminders": {"task": "evaluation.send_reminders", "schedule": 60 * 60},
    "sweep-queued-notifications": {"task": "notifications.sweep_queued", "schedule": 5 * 60},
    # Usage: each day not collected yet (up to USAGE_CATCH_UP_DAYS back), then the threshold e-mails.
    # Collecting a day again replaces its figures, so running hourly only catches up sooner.
    "collect-usage": {"task": "metering.collect_due_usage", "schedule": 60 * 60},
    "send-usage-notices": {"task": "metering.send_usage_notices", "schedule": 60 * 60},
}
CELERY_TASK_DEFAULT_QUEUE = "celery"

# --- Allocation engine -------------------------------------------------------------------------

# The operator dashboard caches its rendered figures this long; the key includes the latest
# history row of applications and allocations, so decisions show at once whatever this is.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 300)

# The provisioner backend (allocations/backends/): a dotted path to a class.
# Checked when the apps load (allocations/apps.py): a path that names no provisioner class stops
# start-up, rather than failing every provisioning later.
PROVISIONER_BACKEND = env_str("PROVISIONER_BACKEND") or "allocations.backends.modelled.ModelledCloudProvisioner"
# Provisioning attempts before an allocation is failed and its capacity released.
PROVISIONING_MAX_ATTEMPTS = env_int("PROVISIONING_MAX_ATTEMPTS", 5, 1)
# An allocation still pending or provisioning this long after its last change is re-driven.
PROVISIONING_STUCK_AFTER_SECONDS = env_int("PROVISIONING_STUCK_AFTER_SECONDS", 300, 1)

# The Slurm backend (allocations.backends.slurm.SlurmProvisioner) and usage source ("slurm"):
# the cluster's name in Slurm's accounting, the account under Slurm's root that holds the portal's
# accounts (and prefixes their names), the prefix of a member's Slurm user name (its portal user
# id follows), and the client commands with their timeout. The host needs the cluster's
# slurm.conf (SLURM_CONF) and munge key, and the portal's user must be a Slurm administrator.
SLURM_CLUSTER = env_str("SLURM_CLUSTER") or ""
SLURM_PARENT_ACCOUNT = env_str("SLURM_PARENT_ACCOUNT") or "nai-dc"
SLURM_USER_PREFIX = env_str("SLURM_USER_PREFIX") or "u"
SLURM_SACCTMGR = env_str("SLURM_SACCTMGR") or "sacctmgr"
SLURM_SACCT = env_str("SLURM_SACCT") or "sacct"
SLURM_TIMEOUT_SECONDS = env_int("SLURM_TIMEOUT_SECONDS", 60, 1)
for _name, _value in (
    ("SLURM_CLUSTER", SLURM_CLUSTER),
    ("SLURM_PARENT_ACCOUNT", SLURM_PARENT_ACCOUNT),
    ("SLURM_USER_PREFIX", SLURM_USER_PREFIX),
):
    if _value and not re.fullmatch(r"[a-z][a-z0-9_-]*", _value):
        raise ImproperlyConfigured(
            f"{_name}={_value!r} must be lower-case letters, digits, '-' or '_', starting with a letter."
        )
if "slurm" in PROVISIONER_BACKEND.lower() and not SLURM_CLUSTER:
    raise ImproperlyConfigured(f"PROVISIONER_BACKEND={PROVISIONER_BACKEND} needs SLURM_CLUSTER (the cluster's name).")

# --- Usage metering (metering/) ----------------------------------------------------------------

# Where each allocation's daily usage comes from (metering/sources/): "modelled" (the modelled
# cloud's own figures: the default, for `make run` and the demo), "prometheus" (GPU-hours from
# NVIDIA's DCGM exporter through Prometheus's HTTP API), or a dotted path to a source class.
# Checked when the apps load (metering/apps.py): a name that is no source stops start-up.
USAGE_SOURCE = env_str("USAGE_SOURCE") or "modelled"
# The beat collects each day that has not been collected, up to this many days back (a beat or a
# source down for a few days catches up); older days: `manage.py collect_usage --from --to`.
USAGE_CATCH_UP_DAYS = env_int("USAGE_CATCH_UP_DAYS", 7, 1)
# Attempts of one day's collection when the source does not answer (backoff 1, 2, 4… min, at most 1 h).
USAGE_COLLECTION_MAX_ATTEMPTS = env_int("USAGE_COLLECTION_MAX_ATTEMPTS", 8, 1)
# The Prometheus source: the server (e.g. http://prometheus:9090), the label of the DCGM series
# that holds the allocation's external reference (the project the provisioner made), the gauge,
# the step of the sum (seconds; it must divide 10,800 so that a Korean day starts on a step), the
# HTTP timeout, and a bearer token if the server wants one.
PROMETHEUS_URL = env_str("PROMETHEUS_URL") or ""
PROMETHEUS_PROJECT_LABEL = env_str("PROMETHEUS_PROJECT_LABEL") or "project"
PROMETHEUS_GPU_METRIC = env_str("PROMETHEUS_GPU_METRIC") or "DCGM_FI_DEV_GPU_UTIL"
PROMETHEUS_STEP_SECONDS = env_int("PROMETHEUS_STEP_SECONDS", 60, 10)
PROMETHEUS_TIMEOUT_SECONDS = env_int("PROMETHEUS_TIMEOUT_SECONDS", 30, 1)
PROMETHEUS_BEARER_TOKEN = env_str("PROMETHEUS_BEARER_TOKEN") or None
if PROMETHEUS_URL and (urlsplit(PROMETHEUS_URL).scheme not in ("http", "https") or not urlsplit(PROMETHEUS_URL).netloc):
    raise ImproperlyConfigured(f"PROMETHEUS_URL={PROMETHEUS_URL!r} must be an address such as http://prometheus:9090.")
if USAGE_SOURCE == "slurm" and not SLURM_CLUSTER:
    raise ImproperlyConfigured("USAGE_SOURCE=slurm needs SLURM_CLUSTER (the cluster's name).")
if USAGE_SOURCE == "prometheus" and not PROMETHEUS_URL:
    raise ImproperlyConfigured("USAGE_SOURCE=prometheus needs PROMETHEUS_URL (e.g. http://prometheus:9090).")
for _name, _value in (
    ("PROMETHEUS_PROJECT_LABEL", PROMETHEUS_PROJECT_LABEL),
    ("PROMETHEUS_GPU_METRIC", PROMETHEUS_GPU_METRIC),
):
    if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", _value):
        raise ImproperlyConfigured(f"{_name}={_value!r} is not a Prometheus name.")
if 10_800 % PROMETHEUS_STEP_SECONDS:
    raise ImproperlyConfigured(
        f"PROMETHEUS_STEP_SECONDS={PROMETHEUS_STEP_SECONDS} must divide 10800 (e.g. 10, 15, 30, 60, 300)."
    )

# --- E-mail delivery ---------------------------------------------------------------------------

# Delivery attempts of one e-mail before it is marked failed (backoff 2, 4, 8… s, at most 10 min).
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8, 1)
# A queued e-mail untouched this long had its task's message lost; the sweeper re-drives it.
NOTIFICATION_STUCK_AFTER_SECONDS = env_int("NOTIFICATION_STUCK_AFTER_SECONDS", 900, 1)
# Invitations reach addresses the portal does not know: at most this many in 24 hours from one
# organisation, and to one address from all organisations together (applications.services).
INVITATIONS_PER_ORGANIZATION_PER_DAY = env_int("INVITATIONS_PER_ORGANIZATION_PER_DAY", 20, 1)
INVITATIONS_PER_ADDRESS_PER_DAY = env_int("INVITATIONS_PER_ADDRESS_PER_DAY", 3, 1)

if _broker_scheme == "filesystem":
    for _folder in ("broker", "results", "processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)

# --- Security ----------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every cookie the portal sets is HttpOnly (no script reads one: forms carry the CSRF token),
# SameSite=Lax, and Secure in production.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A Secure cookie carries the __Host- prefix: browsers then accept it only from HTTPS, for this
# host alone and the whole site (no Domain, Path=/), so a neighbouring subdomain cannot set or
# shadow it. Browsers refuse such a cookie without Secure, so plain HTTP (DEBUG, or the
# *_COOKIE_SECURE=0 of a test on plain HTTP) keeps Django's names.
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
LANGUAGE_COOKIE_NAME = "__Host-language" if LANGUAGE_COOKIE_SECURE else "django_language"
# Applicants stay logged in for two weeks (Django's default); staff, whose sessions decide
# grants, are logged out after this many minutes without a request (accounts/staff_sessions.py).
STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 30, 1)
# ...and this many hours after they logged in, however busy they were.
STAFF_SESSION_MAX_HOURS = env_int("STAFF_SESSION_MAX_HOURS", 12, 1)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    # Only when a reverse proxy that terminates TLS sets this header and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- The API (api/, /api/v1/) -------------------------------------------------------------------

REST_FRAMEWORK = {
    # A personal token first: a request without credentials is then a 401 with its challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ApplicantScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerCallerThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Behind the reverse proxy, the client's address for the anonymous rate limit.
    "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT or None,
    "COERCE_DECIMAL_TO_STRING": True,
}
# Requests a minute per token, per logged-in session, per address without credentials; counted
# in the shared cache (api/throttling.py).
API_RATE_LIMITS = {
    "token": env_str("API_RATE_PER_TOKEN") or "600/min",
    "session": env_str("API_RATE_PER_SESSION") or "600/min",
    "anonymous": env_str("API_RATE_ANONYMOUS") or "60/min",
}
for _name, _rate in API_RATE_LIMITS.items():
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"The API's {_name} rate {_rate!r} must be like 600/min (per s, min, hour or day).")
SPECTACULAR_SETTINGS = {
    "TITLE": "National AI Data Center portal API",
    "DESCRIPTION": (
        "The applicant's and the staff's API of the National AI Data Center resource portal. "
        "Authenticate with a personal API token (Authorization: Bearer naidc_…) created on your "
        "profile page. Errors are RFC 9457 problem details; lists are paged by cursor."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set of the domain (a new one: add it here, or --fail-on-warn fails).
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "applications.models.ApplicationStatus",
        "ApplicationPurposeEnum": "applications.models.ApplicationPurpose",
        "IndustryEnum": "applications.models.Industry",
        "OrganizationTypeEnum": "applications.models.OrganizationType",
        "RegionEnum": "applications.regions.Region",
        "ClaimKindEnum": "applications.models.ClaimKind",
        "RelocationTargetEnum": "applications.models.RelocationTarget",
        "ClaimVerificationEnum": "applications.models.ClaimVerification",
        "AllocationStateEnum": "allocations.models.AllocationState",
        "OfferingKindEnum": "pool.models.OfferingKind",
        "OfferingUnitEnum": "pool.models.OfferingUnit",
        "OfferingMeteringEnum": "pool.models.OfferingMetering",
        "ChangeRequestKindEnum": "aftercare.models.ChangeKind",
        "ChangeRequestStatusEnum": "aftercare.models.ChangeStatus",
        "ReportKindEnum": "aftercare.models.ReportKind",
        "ReportStatusEnum": "aftercare.models.ReportStatus",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
}

# --- Monitoring (/metrics, dashboard/metrics.py) ------------------------------------------------

# Prometheus may scrape /metrics from these addresses or networks (the connecting address,
# REMOTE_ADDR: X-Forwarded-For is never read for this), or from anywhere with
# "Authorization: Bearer <METRICS_TOKEN>". Anyone else gets 404. Behind the reverse proxy every
# request comes from the proxy's address: never list it; use the token.
METRICS_ALLOWED_IPS: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
for _network in env_list("METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"]):
    try:
        METRICS_ALLOWED_IPS.append(ipaddress.ip_network(_network, strict=False))
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS entry {_network!r} is not an address or network (10.0.0.0/8, ::1)."
        ) from None
METRICS_TOKEN = env_str("METRICS_TOKEN") or None
if METRICS_TOKEN is not None and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN is shorter than 32 characters; use python3 -c "
        '"import secrets; print(secrets.token_urlsafe(32))".'
    )

# --- Logging -----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
    },
}
