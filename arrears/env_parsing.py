"""Strict reading of environment variables for the settings.

A typo must stop start-up, not quietly mean something: django-environ reads DEBUG=Flase as
False and lets SUMMARY_DAILY_AT=24:00 through to fail later. Plain functions, no Django
setup needed (the settings call them); each refusal names the variable and what it accepts.
"""

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")


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
