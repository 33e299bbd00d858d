"""Settings for Arrears Desk, read from the environment.

Defaults are for a developer's machine and `make run`: SQLite under var/, an embedded
(filesystem) Celery broker, DEBUG on. Production uses `config.settings_production`, which
refuses to start without the variables it needs.

Reading the settings creates nothing on disk: the folders they name (VAR_DIR, STATIC_ROOT,
the embedded broker's) are created at start-up, in ArrearsConfig.ready() (arrears/apps.py).
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab

from config.env_parsing import env_bool, env_time

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A .env file beside manage.py is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Yes/no variables accept only true/false, 1/0, yes/no, on/off: a typo stops start-up.
DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_tables2",
    "django_filters",
    "simple_history",
    "axes",
    "arrears",
    "households",
    "teams",
    "escalation",
    "imports",
    "summaries",
    "reports",
    "desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A form sent while the database is locked gets "busy, try again" (503), not a 500.
    "config.middleware.DatabaseBusyMiddleware",
    # Axes goes last so that it sees the response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "desk.context_processors.role",
            ],
        },
    },
]

# A file cache by default, so the web server and the worker share it (import progress);
# production points CACHE_URL at Redis, e.g. rediscache://127.0.0.1:6379/1.
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# Widgets render through TEMPLATES, so the project's widget templates are found.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two concurrent payments
    # queue instead of failing with "database is locked" on lock upgrade; WAL lets pages
    # be read while a write is going on. A write waits up to SQLITE_BUSY_TIMEOUT seconds
    # (below gunicorn's 30 s) for the lock, then the form gets "busy, try again"
    # (config.middleware.DatabaseBusyMiddleware) with what was typed kept.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Covering indexes (DebtPeriod's debt_period_unpaid) are PostgreSQL's; SQLite builds the
    # same partial index without the extra columns, which is what we want there.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles a plan whose estimated cost passes jit_above_cost, on
        # every execution: on the 100,000-household region the director's case list spent
        # 4.6 of its 4.9 s compiling (bench/README.md). Our queries are short index scans
        # that never earn that back, so the app's connections run without it.
        # PG_JIT=on gives it back, e.g. to measure it.
        jit = "on" if env.bool("PG_JIT", default=False) else "off"
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit={jit}".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (config/login_throttle.py), for 15 minutes: 5 failures lock the username
# from that address; 30 failures from one address, whatever the usernames, lock the address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "config.login_throttle.LoginThrottleHandler"
# The client's address: the connection's, or with proxies in front the entry that the
# outermost trusted proxy wrote into X-Forwarded-For (0 = no proxy; the header is ignored).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The owner's statement (no login): requests a link and a client address may make in 10 minutes.
STATEMENT_TOKEN_LIMIT = env.int("STATEMENT_TOKEN_LIMIT", default=30)
STATEMENT_ADDRESS_LIMIT = env.int("STATEMENT_ADDRESS_LIMIT", default=120)
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.axes_client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# In development WhiteNoise serves straight from the source folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# How people reach the app: links in e-mails are built from it. Unset, it follows PORT (the
# development server's port: `make run PORT=8001`).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip(
    "/"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="清欠台 <arrears-desk@localhost>")

# Celery. Without CELERY_BROKER_URL the broker is a folder on disk (kombu's filesystem
# transport), so `make run` needs no server; production points it at Redis.
CELERY_BROKER_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A task's message stays in Redis until it is done, and is handed out again if the
    # worker dies and this time passes (late acknowledgement below).
    # kombu sweeps for such messages every interval × throttle seconds (about 100 s).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The rhythm of DESIGN.md §3, in Asia/Shanghai time. A region may keep other hours
# (Region.daily_summary_at …): the catch-up task produces its summaries when they fall due,
# and anything missed while the broker or a worker was down.
# Each is HH:MM (00:00-23:59), read once here as a datetime.time; anything else stops start-up.
SUMMARY_DAILY_AT = env_time("SUMMARY_DAILY_AT", default="18:00")
SUMMARY_BRIEF_AT = env_time("SUMMARY_BRIEF_AT", default="08:30")
SUMMARY_WEEKLY_AT = env_time("SUMMARY_WEEKLY_AT", default="16:00")
# An attempt or payment dated more than this many days before it was entered is "backdated"
# (补录): marked on the timeline, the assessment and the 18:00 report, and for scoring it
# counts in the month it was entered unless the office manager approves the earlier month.
BACKDATE_DAYS = env.int("BACKDATE_DAYS", default=7)
# Reminders on the lawful road (letters to chase, instalments due, legal stage may open).
REMINDERS_AT = env_time("REMINDERS_AT", default="08:00")
SUMMARY_CATCH_UP_SECONDS = env.float("SUMMARY_CATCH_UP_SECONDS", default=15 * 60)
SUMMARY_SCOPE_PAUSE_SECONDS = env.float("SUMMARY_SCOPE_PAUSE_SECONDS", default=0)
# A WeCom / DingTalk style group-chat webhook; off unless set.
SUMMARY_WEBHOOK_URL = env.str("SUMMARY_WEBHOOK_URL", default="")


def _crontab(at, **kwargs):
    return crontab(hour=at.hour, minute=at.minute, **kwargs)


# The tasks by the names they state (name=... in arrears/tasks.py, escalation/tasks.py).
CELERY_BEAT_SCHEDULE = {
    # Every minute the worker records that it is alive; /healthz and the admin desk show it.
    "worker-heartbeat": {"task": "arrears.tasks.record_heartbeat", "schedule": 60.0},
    "daily-summaries": {
        "task": "arrears.tasks.daily_summaries",
        "schedule": _crontab(SUMMARY_DAILY_AT),
    },
    "morning-brief": {
        "task": "arrears.tasks.morning_brief",
        "schedule": _crontab(SUMMARY_BRIEF_AT),
    },
    "weekly-pack": {
        "task": "arrears.tasks.weekly_pack",
        "schedule": _crontab(SUMMARY_WEEKLY_AT, day_of_week="mon"),
    },
    "escalation-reminders": {
        "task": "escalation.tasks.daily_reminders",
        "schedule": _crontab(REMINDERS_AT),
    },
    # Owners' contact data past the office's retention period (PIPL art. 47), at 03:30.
    "erase-expired-contact-data": {
        "task": "escalation.tasks.erase_expired_contact_data",
        "schedule": crontab(hour=3, minute=30),
    },
    "catch-up-reminders": {
        "task": "escalation.tasks.catch_up_reminders",
        "schedule": SUMMARY_CATCH_UP_SECONDS,
    },
    "catch-up-summaries": {
        "task": "arrears.tasks.catch_up_summaries",
        "schedule": SUMMARY_CATCH_UP_SECONDS,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Content-Security-Policy (django-csp)
# Scripts and styles come only from our own static files (vendored, no CDN): no inline
# <script>, no on*= handlers, no style="" attributes (tests/test_csp.py scans templates/;
# e-mail templates are exempt, mail clients need inline styles and never run scripts).
# Images may also be data: URIs (Bootstrap's CSS draws its icons with them). Nothing may
# frame the desk, post a form elsewhere or move the base URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Files are served with the type we checked and the browser never guesses another one
# (Django's default, stated here because evidence downloads rely on it).
SECURE_CONTENT_TYPE_NOSNIFF = True

# Demo data only: the password `load_demo` gives every demo user.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-2026")
# True only in config.settings_production: there `load_demo` refuses unless told
# --yes-demo-in-production, and then gives each demo user a random password.
PRODUCTION = False

# Tests on SQLite use a file, not memory, so that a Celery worker started by a test can
# open the same database; one file per test process, so parallel runs never share one.
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"].setdefault("NAME", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))
