"""Strict reading of yes/no and HH:MM environment variables (arrears/env_parsing.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from arrears.env_parsing import env_bool, parse_bool

YES = ["true", "True", "TRUE", "1", "yes", "Yes", "on", "ON", " true ", "yes\n"]
NO = ["false", "False", "FALSE", "0", "no", "NO", "off", "Off", " 0 "]


@pytest.mark.parametrize("value", YES)
def test_yes_values(value):
    assert parse_bool("DEBUG", value) is True


@pytest.mark.parametrize("value", NO)
def test_no_values(value):
    assert parse_bool("DEBUG", value) is False


@pytest.mark.parametrize(
    "value", ["Flase", "ture", "yes please", "2", "-1", "t", "f", "y", "n", "", " ", "none"]
)
def test_anything_else_is_refused_naming_the_variable_and_what_is_accepted(value):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_bool("EMAIL_USE_TLS", value)
    message = str(refused.value)
    assert "EMAIL_USE_TLS" in message and repr(value) in message
    for accepted in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        assert accepted in message


def test_an_unset_variable_takes_the_default_and_a_set_one_is_parsed():
    assert env_bool("DEBUG", default=True, environ={}) is True
    assert env_bool("DEBUG", default=False, environ={}) is False
    assert env_bool("DEBUG", default=True, environ={"DEBUG": "off"}) is False
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", default=False, environ={"DEBUG": "Flase"})
