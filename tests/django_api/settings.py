"""Settings of the stand-in Amal Education API (Django + DRF + SimpleJWT).

The launcher (serve.py) puts its options into the environment before Django reads this module:
DJANGO_API_KEY, DJANGO_API_DB_DIR and DJANGO_API_ACCESS_LIFETIME.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

# The app API key every request must carry in X-API-Token. Empty means no request is let in.
APP_API_KEY = os.environ.get("DJANGO_API_KEY", "")

# A new signing key per process: tokens are only meant to live as long as one server does.
SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "tests.django_api.apps.DjangoApiConfig",
]
# CommonMiddleware only: it sets Content-Length, without which the dev server closes every connection
# (no keep-alive). Nothing here uses sessions, CSRF or messages (JWT in a header, JSON only).
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "tests.django_api.urls"
TEMPLATES: list[dict] = []

_DB_DIR = Path(os.environ.get("DJANGO_API_DB_DIR") or Path.cwd())
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_DB_DIR / "django-api.sqlite3"),
        "OPTIONS": {
            # Under load every writer queues for SQLite's single write lock: waiting up to 20 s beats
            # answering 500 "database is locked" after the default 5 s.
            "timeout": 20,
            # IMMEDIATE takes the write lock at BEGIN, so two transactions never deadlock upgrading
            # a read lock (which SQLite reports as an immediate "database is locked").
            "transaction_mode": "IMMEDIATE",
            # WAL: readers never wait for the writer; NORMAL sync is safe with WAL and saves fsyncs.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        },
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
        "tests.django_api.permissions.HasAppAPIKey",
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 10,
    # JSON only: the browsable API would need templates and static files.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=float(os.environ.get("DJANGO_API_ACCESS_LIFETIME", "300"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# The dev server logs every request to "django.server" (4xx as warnings) and Django logs every 4xx
# to "django.request": at load-test rates that costs CPU, so only errors (5xx, tracebacks) reach stderr.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
