"""The embedded default: SQLite, in-process tasks, console e-mail, debug pages."""

from core.env import env_bool

from .base import *  # noqa: F401,F403

DEBUG = env_bool("DEBUG", True)
