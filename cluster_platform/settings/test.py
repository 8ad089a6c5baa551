"""Test settings: real PostgreSQL (DATABASE_URL, or the local server's `test` database) and eager tasks."""

import os

# Whether the run was pointed at a server: if not and the local one does not answer, tests/conftest.py starts a
# private PostgreSQL for the run instead.
os.environ.setdefault("CP_DATABASE_URL_GIVEN", "1" if "DATABASE_URL" in os.environ else "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

from .base import *  # noqa: E402,F401,F403
from .base import REDIS_URL  # noqa: E402

# Tests run tasks in-process; the worker test starts a real worker against TEST_REDIS_URL.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
TEST_REDIS_URL = REDIS_URL or "redis://127.0.0.1:6379/15"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "en"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
