"""Strict reading of yes/no and HH:MM environment variables (config/env_parsing.py)."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env_parsing import env_bool, env_time, parse_bool, parse_time

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


@pytest.mark.parametrize(
    ("value", "time"),
    [
        ("18:00", datetime.time(18, 0)),
        ("00:00", datetime.time(0, 0)),
        ("23:59", datetime.time(23, 59)),
        ("08:30", datetime.time(8, 30)),
        (" 18:00 ", datetime.time(18, 0)),  # spaces around, as an .env file may leave them
    ],
)
def test_times_are_hh_mm(value, time):
    assert parse_time("SUMMARY_DAILY_AT", value) == time


@pytest.mark.parametrize(
    "value",
    [
        "24:00",
        "23:60",
        "7:5",
        "7:05",
        "07:5",
        "",
        " ",
        "18",
        "18:00:00",
        "18.00",
        "18h00",
        "-1:00",
        "+8:00",
        "１８:００",
        "18 :00",
        "noon",
    ],
)
def test_other_times_are_refused_naming_the_variable_and_the_form(value):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_time("SUMMARY_BRIEF_AT", value)
    message = str(refused.value)
    assert "SUMMARY_BRIEF_AT" in message and repr(value) in message
    assert "HH:MM" in message and "00:00" in message and "23:59" in message


def test_an_unset_time_takes_the_default():
    assert env_time("REMINDERS_AT", default="08:00", environ={}) == datetime.time(8, 0)
    assert env_time("REMINDERS_AT", default="08:00", environ={"REMINDERS_AT": "07:45"}) == (
        datetime.time(7, 45)
    )
    with pytest.raises(ImproperlyConfigured, match="REMINDERS_AT"):
        env_time("REMINDERS_AT", default="08:00", environ={"REMINDERS_AT": "7:45"})
