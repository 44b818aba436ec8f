"""Settings of the example Amal Education API (Django + DRF + SimpleJWT on PostgreSQL).

Everything that differs between machines comes from the environment:
- the database: PGHOST, PGPORT, PGUSER, PGPASSWORD as libpq reads them (default: the local server's
  socket, as the user running this); its name is PGDATABASE or, when unset, ``amal_api_<LOADTEST_SIDE>``,
  so the load test's two sides (head, base) never share one;
- ACCESS_TOKEN_LIFETIME_SECONDS (default 300) and DJANGO_SECRET_KEY (default: a new one per server).
The app API key is not a setting: it lives in the database (``manage.py seed`` stores its digest).
"""

import os
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured


def database_name() -> str:
    """PGDATABASE, else one database per side of the load test: amal_api_head, amal_api_base."""
    if name := os.environ.get("PGDATABASE"):
        return name
    side = os.environ.get("LOADTEST_SIDE") or "head"
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", side):
        raise ImproperlyConfigured(f"LOADTEST_SIDE must be a short lower-case name (head, base): {side!r}")
    return f"amal_api_{side}"


# Without DJANGO_SECRET_KEY, a new signing key per server (gunicorn.conf.py preloads the app so its
# workers share it): tokens are only meant to live as long as one load-test server does.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "api.apps.ApiConfig",
]
# CommonMiddleware only: it sets Content-Length, without which a connection cannot be kept alive.
# Nothing here uses sessions, CSRF or messages (JWT in a header, JSON only).
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "amal_api.urls"
TEMPLATES: list[dict] = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database_name(),
        # Empty values leave the choice to libpq: its PG* variables, else the local socket.
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
        "USER": os.environ.get("PGUSER", ""),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        # One connection per gunicorn thread, kept between requests, as a production API would: a new
        # connection per request would measure PostgreSQL's connection set-up, not the views.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Load tests on a 2-core CI machine cannot afford PBKDF2's ~0.5 s per hash (every sign-up and
# sign-in hashes once); MD5 is fast and this server only ever holds throw-away test accounts.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Django's defaults except UserAttributeSimilarityValidator, which could reject a random fake
# password that happens to resemble the email: a 14-char alphanumeric password always passes these.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = False
TIME_ZONE = "UTC"
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    # The API key is checked first, so a signed-in request with a wrong key is 403, not 200.
    "DEFAULT_PERMISSION_CLASSES": [
        "api.permissions.HasAppAPIKey",
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 10,
    # JSON only: the browsable API would need templates and static files.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=float(os.environ.get("ACCESS_TOKEN_LIFETIME_SECONDS", "300"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Django logs every 4xx to "django.request": at load-test rates that costs CPU, so only errors (5xx,
# tracebacks) reach stderr.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
