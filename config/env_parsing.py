"""Strict reading of environment variables for the settings.

A typo must stop start-up, not quietly mean something: django-environ reads DEBUG=Flase as
False and lets SUMMARY_DAILY_AT=24:00 through to fail later. Plain functions, no Django
setup needed (the settings call them); each refusal names the variable and what it accepts.
"""

import datetime
import os
import re
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def parse_bool(name: str, value: str) -> bool:
    """true/false, 1/0, yes/no, on/off in any case (spaces around are ignored); nothing else."""
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value. Accepted (in any case): "
        + ", ".join(f"{yes}/{no}" for yes, no in zip(TRUE, FALSE, strict=True))
        + "."
    )


def env_bool(name: str, *, default: bool, environ: Mapping[str, str] = os.environ) -> bool:
    """The variable as a boolean, or `default` when it is not set."""
    value = environ.get(name)
    return default if value is None else parse_bool(name, value)


def parse_time(name: str, value: str) -> datetime.time:
    """HH:MM from 00:00 to 23:59, two digits each (spaces around are ignored)."""
    match = _HH_MM.fullmatch(value.strip())
    if match is None:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a time: write HH:MM, from 00:00 to 23:59 (e.g. 18:00)."
        )
    return datetime.time(int(match[1]), int(match[2]))


def env_time(name: str, *, default: str, environ: Mapping[str, str] = os.environ) -> datetime.time:
    """The variable as a time of day, or `default` (also HH:MM) when it is not set."""
    return parse_time(name, environ.get(name, default))
