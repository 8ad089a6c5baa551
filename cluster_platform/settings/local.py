"""The embedded default: SQLite, in-process tasks, console e-mail, debug pages."""

from .base import *  # noqa: F401,F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
