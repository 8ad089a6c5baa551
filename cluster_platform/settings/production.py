"""Production: PostgreSQL and Redis from the environment, HTTPS, hashed static files."""

from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int

from .base import *  # noqa: F401,F403
from .base import DATABASES, MIDDLEWARE, REST_FRAMEWORK, SECRET_KEY, SITE_URL

DEBUG = env_bool("DEBUG", False)

# The development default and .env.example's placeholder are refused: each names what it is.
if SECRET_KEY.startswith("dev-only-") or "change-me" in SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters")
# E-mails carry links to the site (an alert, a conditions review): they must name its real address.
_SITE_HOST = SITE_URL.removeprefix("https://").split("/")[0].split(":")[0]
if (
    not SITE_URL.startswith("https://")
    or _SITE_HOST in ("127.0.0.1", "localhost", "0.0.0.0", "")
    or "example." in _SITE_HOST  # .env.example's placeholder
):
    raise ImproperlyConfigured("SITE_URL must be the site's public https address (e-mails link to it)")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind the TLS proxy the README asks for: the client's address is the one that proxy forwards (log-in limits
# and locks count per address). 0 where the platform is reached directly.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1, minimum=0)
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": TRUSTED_PROXIES}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# WhiteNoise serves the collected static files (CSS, the Plotly bundle) from gunicorn itself.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Preloading HSTS is a commitment for the whole domain; an operator opts in with SECURE_HSTS_PRELOAD.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
