import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings_production",
    "SECRET_KEY": "x" * 64 + "-production-secret-for-the-check-only",
    "ALLOWED_HOSTS": "arrears.example.com",
    "DATABASE_URL": "postgres://app@127.0.0.1:5432/arrears",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env):
    # The test environment's own switches (e.g. the browser tests') are not production's.
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_defaults_need_no_server():
    from django.conf import settings

    # Without the environment variables the app runs on SQLite and the filesystem broker;
    # the test run itself may point both at servers (CI does).
    if "DATABASE_URL" not in os.environ:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    if "CELERY_BROKER_URL" not in os.environ:
        assert settings.CELERY_BROKER_URL == "filesystem://"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_collectstatic_works_with_the_production_storage(tmp_path):
    # The manifest storage fails on a vendored file that names a missing source map.
    result = manage("collectstatic", "--noinput", env={**PRODUCTION, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()


def python(code, *, env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


WITHOUT_MODULE = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SETTINGS_MODULE"}
SHOW = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"


def test_the_wsgi_entry_point_defaults_to_the_production_settings():
    result = python(f"import config.wsgi; {SHOW}", env=WITHOUT_MODULE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings_production", "False"]


def test_the_wsgi_entry_point_refuses_to_start_without_the_production_variables():
    result = python("import config.wsgi", env={})
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_the_celery_entry_point_defaults_to_the_production_settings():
    result = python(f"import config.celery; {SHOW}", env=WITHOUT_MODULE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings_production", "False"]


def test_manage_py_keeps_the_development_settings_for_developers():
    result = manage("shell", "-v", "0", "-c", SHOW, env={})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings", "True"]


def test_every_production_process_names_the_production_settings():
    lines = (ROOT / "Procfile").read_text().strip().splitlines()
    assert {line.split(":")[0] for line in lines} == {"release", "web", "worker", "beat"}
    for line in lines:
        assert "DJANGO_SETTINGS_MODULE=config.settings_production " in line, line


def test_every_development_process_names_the_development_settings():
    for line in (ROOT / "Procfile.dev").read_text().strip().splitlines():
        assert "DJANGO_SETTINGS_MODULE=config.settings " in line, line


def test_ci_runs_check_deploy_on_the_production_settings():
    makefile = (ROOT / "Makefile").read_text()
    assert "DJANGO_SETTINGS_MODULE=config.settings_production" in makefile
    assert "check --deploy --fail-level WARNING" in makefile
    assert "make check-deploy" in (ROOT / ".ci" / "run").read_text()


def test_a_mistyped_yes_no_variable_stops_start_up_naming_it():
    result = manage("check", env={"DEBUG": "Flase"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='Flase' is not a yes/no value" in result.stderr
    assert "true/false, 1/0, yes/no, on/off" in result.stderr


def test_production_refuses_a_mistyped_security_switch():
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_PRELOAD", "EMAIL_USE_TLS"):
        result = manage("check", env={**PRODUCTION, name: "ture"})
        assert result.returncode != 0, name
        assert f"{name}='ture' is not a yes/no value" in result.stderr, name


def test_a_bad_summary_time_stops_start_up_naming_it():
    for name, value in (
        ("SUMMARY_DAILY_AT", "24:00"),
        ("SUMMARY_BRIEF_AT", "8:30"),
        ("SUMMARY_WEEKLY_AT", ""),
        ("REMINDERS_AT", "8h"),
    ):
        result = manage("check", env={name: value})
        assert result.returncode != 0, name
        assert f"{name}={value!r} is not a time" in result.stderr, (name, result.stderr[-500:])


def test_the_times_are_read_once_as_times():
    import datetime

    from django.conf import settings

    names = ("SUMMARY_DAILY_AT", "SUMMARY_BRIEF_AT", "SUMMARY_WEEKLY_AT", "REMINDERS_AT")
    times = [getattr(settings, name) for name in names]
    assert times == [datetime.time(18), datetime.time(8, 30), datetime.time(16), datetime.time(8)]


FOLDERS = ["", "staticfiles", "celery/queue", "celery/processed", "celery/control"]


def test_reading_the_settings_creates_no_folder(tmp_path):
    var = tmp_path / "var"
    for module, env in (
        ("config.settings", {}),
        ("config.settings_production", WITHOUT_MODULE),
    ):
        result = python(
            f"import {module}",
            env={**env, "VAR_DIR": str(var), "CELERY_BROKER_URL": "filesystem://"},
        )
        assert result.returncode == 0, result.stderr
        assert not var.exists(), module


def test_start_up_creates_the_folders_the_settings_name(tmp_path):
    var = tmp_path / "var"
    result = python(
        "import django; django.setup()",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": str(var),
            "CELERY_BROKER_URL": "filesystem://",
        },
    )
    assert result.returncode == 0, result.stderr
    assert [folder for folder in FOLDERS if not (var / folder).is_dir()] == []


def _site_url(env: dict) -> str:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SITE_URL", "PORT", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", SITE_URL_SHOW],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SITE_URL_SHOW = "from django.conf import settings; print(settings.SITE_URL)"


def test_site_url_follows_port_unless_given():
    """Issue 16: `make run PORT=8001` must not leave e-mail links on port 8000."""
    assert _site_url({}) == "http://127.0.0.1:8000"
    assert _site_url({"PORT": "8001"}) == "http://127.0.0.1:8001"
    assert _site_url({"PORT": "8001", "SITE_URL": "https://qq.example.com/"}) == (
        "https://qq.example.com"
    )


def test_make_run_takes_a_port_and_hands_it_and_the_site_url_to_honcho():
    import shutil

    from honcho.environ import expand_processes, parse_procfile

    if shutil.which("make") is None:
        import pytest

        pytest.skip("make is not installed")
    for args, port in (([], "8000"), (["PORT=8001"], "8001")):
        result = subprocess.run(
            ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        honcho = [line for line in result.stdout.splitlines() if "honcho" in line]
        assert honcho == [
            f"PORT={port} SITE_URL=http://127.0.0.1:{port} honcho -f Procfile.dev start"
        ]
        assert f"http://127.0.0.1:{port} " in result.stdout  # the address it announces
    procfile = parse_procfile((ROOT / "Procfile.dev").read_text())
    assert procfile.processes["web"].endswith("runserver 127.0.0.1:${PORT:-8000}")
    # honcho gives the web process the PORT it was started with (worker and beat get
    # PORT+100 and +200: SITE_URL is therefore passed explicitly by the Makefile)
    (web,) = [
        p for p in expand_processes(procfile.processes, env={"PORT": "8001"}) if p.name == "web.1"
    ]
    assert web.env["PORT"] == "8001"
