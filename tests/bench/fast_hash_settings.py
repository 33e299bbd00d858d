"""The settings the benchmark tests' gunicorn runs with: the app's own (config.settings), and
the fast password hash that tests/conftest.py gives the test process, so that a user made
by a test can sign in through the real login page (production's hash would not check it)."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
