"""The migrations build the schema the models describe, on the engine the suite runs on.

The suite's own test databases are made from the models (`--nomigrations` in pyproject.toml:
each worker used to spend 10–30 s of CPU migrating from zero). This test is where the
migrations themselves run, once, into a database of their own: from nothing to the latest,
ending with every model's table present and nothing left unapplied. `make check-migrations`
(makemigrations --check) holds the models and the migrations to each other.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

LIST_TABLES = """
from django.db import connection
print("\\n".join(sorted(connection.introspection.table_names())))
"""


def manage(*args, database_url):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _postgres_url(name: str) -> str:
    db = settings.DATABASES["default"]
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432, db["USER"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _fresh_database(tmp_path):
    """(url, drop) of an empty database on the suite's engine."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}", lambda: None
    import psycopg

    db = settings.DATABASES["default"]
    name = f"arrears_migrations_{uuid.uuid4().hex[:10]}"
    server = dict(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return _postgres_url(name), drop


def test_the_migrations_build_every_models_table_from_nothing(tmp_path):
    url, drop = _fresh_database(tmp_path)
    try:
        migrated = manage("migrate", "--noinput", database_url=url)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        unapplied = manage("migrate", "--check", database_url=url)
        assert unapplied.returncode == 0, unapplied.stdout + unapplied.stderr
        listed = manage("shell", "-c", LIST_TABLES, database_url=url)
        assert listed.returncode == 0, listed.stderr
    finally:
        drop()
    tables = set(listed.stdout.split())
    expected = {
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }
    assert expected - tables == set()
    assert len(tables) >= len(expected)
