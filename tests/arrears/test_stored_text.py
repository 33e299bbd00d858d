"""Stored payloads shown in the reader's language and locale (issue 16.8)."""

from django.utils import translation

from arrears.stored_text import moment, team_code, team_label


def test_a_stored_timestamp_is_shown_in_local_time_for_the_locale():
    stamp = "2026-11-29T14:30:00+00:00"  # 22:30 in Shanghai
    with translation.override("zh-hans"):
        assert moment(stamp) == "2026年11月29日 22:30"
    with translation.override("en"):
        assert moment(stamp) == "Nov. 29, 2026, 10:30 p.m."
    assert moment("not a time") == "not a time" and moment(None) is None


def test_a_team_stored_by_its_default_label_is_shown_in_the_readers_language():
    assert team_code("A组") == "A" and team_code("催收一队") is None
    with translation.override("en"):
        assert team_label("A组") == "Team A"
        assert team_label("催收一队") == "催收一队"  # a team's own name is data
    with translation.override("zh-hans"):
        assert team_label("A组") == "A组"
