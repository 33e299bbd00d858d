"""Production settings: everything secret or site-specific must come from the environment.

Start with DJANGO_SETTINGS_MODULE=config.settings_production. A missing SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL or CELERY_BROKER_URL stops the process with an error naming it.
"""

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()
for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"):
    if not _env.str(_name, default=""):
        raise ImproperlyConfigured(f"{_name} must be set in production.")

from config.env_parsing import env_bool  # noqa: E402
from config.settings import *  # noqa: E402,F403
from config.settings import STORAGES, env  # noqa: E402

DEBUG = False
PRODUCTION = True
WHITENOISE_USE_FINDERS = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind one TLS-terminating proxy (README): its X-Forwarded-For entry is the
# client. Set 0 when clients connect directly, 2 with a load balancer before the proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
