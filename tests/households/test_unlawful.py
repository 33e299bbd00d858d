"""Methods that do not exist (DESIGN.md §5.2): refused with the reason, or flagged."""

import pytest
from django.http import QueryDict
from django.utils import translation

from households.models import Channel, Outcome
from households.unlawful import (
    ALIASES,
    FLAG_TERMS,
    FORBIDDEN,
    Forbidden,
    flagged_terms,
    forbidden_in,
    forbidden_method,
)

CODES = [
    "utility_cutoff",
    "access_blocking",
    "workplace_contact",
    "public_shaming",
    "threats_insults",
    "night_contact",
    "auto_redial",
    "round_the_clock",
]


def test_there_is_a_rule_for_every_forbidden_method_of_the_design():
    assert list(FORBIDDEN) == CODES
    for code, forbidden in FORBIDDEN.items():
        assert isinstance(forbidden, Forbidden)
        assert forbidden.code == code


def test_every_reason_is_translatable_text():
    with translation.override("en"):
        for forbidden in FORBIDDEN.values():
            assert len(str(forbidden.reason)) > 40


@pytest.mark.parametrize(
    ("code", "law"),
    [
        ("utility_cutoff", "Civil Code art. 944"),
        ("access_blocking", "Civil Code art. 1033"),
        ("workplace_contact", "PIPL arts. 10 and 25"),
        ("public_shaming", "PIPL arts. 10 and 25"),
        ("threats_insults", "public-order law"),
        ("night_contact", "Civil Code art. 1033"),
        ("auto_redial", "public-order law"),
        ("round_the_clock", "public-order law"),
    ],
)
def test_every_reason_names_the_law(code, law):
    with translation.override("en"):
        assert law in str(FORBIDDEN[code].reason)


def test_reasons_cite_only_the_articles_the_design_names():
    with translation.override("en"):
        text = " ".join(str(f.reason) for f in FORBIDDEN.values())
    assert "1024" not in text
    assert "art. 188" not in text


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("cut_water", "utility_cutoff"),
        ("cut_power", "utility_cutoff"),
        ("stop_water", "utility_cutoff"),
        ("stop_electricity", "utility_cutoff"),
        ("cut_off_utilities", "utility_cutoff"),
        ("limit_power", "utility_cutoff"),
        ("threaten_cutoff", "utility_cutoff"),
        ("stop_secondary_water_supply", "utility_cutoff"),
        ("block_gate", "access_blocking"),
        ("lock_lift", "access_blocking"),
        ("disable_access_card", "access_blocking"),
        ("employer", "workplace_contact"),
        ("workplace_visit", "workplace_contact"),
        ("contact_colleagues", "workplace_contact"),
        ("banner", "public_shaming"),
        ("poster", "public_shaming"),
        ("wechat_group_post", "public_shaming"),
        ("public_list", "public_shaming"),
        ("threaten", "threats_insults"),
        ("insult", "threats_insults"),
        ("harassment", "threats_insults"),
        ("night_call", "night_contact"),
        ("night_visit", "night_contact"),
        ("auto_redial", "auto_redial"),
        ("autodial", "auto_redial"),
        ("robocall", "auto_redial"),
        ("24h", "round_the_clock"),
        ("24/7", "round_the_clock"),
        ("around_the_clock", "round_the_clock"),
        ("stakeout", "round_the_clock"),
    ],
)
def test_english_aliases_map_to_their_rule(value, code):
    assert forbidden_method(value).code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("停水", "utility_cutoff"),
        ("停电", "utility_cutoff"),
        ("断水", "utility_cutoff"),
        ("断电", "utility_cutoff"),
        ("停气", "utility_cutoff"),
        ("停暖", "utility_cutoff"),
        ("限电", "utility_cutoff"),
        ("停止二次供水", "utility_cutoff"),
        ("停门禁", "access_blocking"),
        ("停电梯", "access_blocking"),
        ("单位", "workplace_contact"),
        ("工作单位", "workplace_contact"),
        ("同事", "workplace_contact"),
        ("横幅", "public_shaming"),
        ("张贴欠费名单", "public_shaming"),
        ("曝光", "public_shaming"),
        ("威胁", "threats_insults"),
        ("辱骂", "threats_insults"),
        ("骚扰", "threats_insults"),
        ("半夜", "night_contact"),
        ("夜间催收", "night_contact"),
        ("自动重拨", "auto_redial"),
        ("电话轰炸", "auto_redial"),
        ("24小时", "round_the_clock"),
        ("蹲守", "round_the_clock"),
        ("死缠烂打", "round_the_clock"),
    ],
)
def test_chinese_aliases_map_to_their_rule(value, code):
    assert forbidden_method(value).code == code


def test_every_alias_maps_to_a_known_rule():
    assert set(ALIASES.values()) == set(CODES)
    for alias, code in ALIASES.items():
        assert forbidden_method(alias) is FORBIDDEN[code]


@pytest.mark.parametrize("code", CODES)
def test_each_code_is_its_own_alias(code):
    assert forbidden_method(code) is FORBIDDEN[code]


@pytest.mark.parametrize(
    "value",
    ["CUT_WATER", "Cut-Water", "  cut_water  ", "cut water", "cut--water", "\u3000停水\u3000"],
)
def test_matching_ignores_case_surrounding_spaces_and_hyphens(value):
    assert forbidden_method(value).code == "utility_cutoff"


@pytest.mark.parametrize("value", ["Auto-Redial", "AUTO REDIAL", " auto_redial "])
def test_hyphens_spaces_and_underscores_are_alike(value):
    assert forbidden_method(value).code == "auto_redial"


@pytest.mark.parametrize(
    "value",
    ["phone_call", "written_demand", "home_visit", "lawyer_letter", "", "   ", "call again"],
)
def test_lawful_and_unknown_values_are_not_forbidden(value):
    assert forbidden_method(value) is None


def test_none_is_not_forbidden():
    assert forbidden_method(None) is None


def test_no_lawful_channel_or_outcome_is_mistaken_for_a_forbidden_method():
    for value in [*Channel.values, *Outcome.values]:
        assert forbidden_method(value) is None, value


def test_forbidden_in_finds_a_forbidden_channel():
    assert [f.code for f in forbidden_in({"channel": "停水"})] == ["utility_cutoff"]


def test_forbidden_in_finds_nothing_in_a_lawful_post():
    data = {"channel": "phone_call", "outcome": "promised", "next_step_type": "written_demand"}
    assert forbidden_in(data) == []


def test_forbidden_in_reads_list_values_and_deduplicates_by_code():
    data = {
        "channel": "phone_call",
        "method": ["cut_water", "停电", "banner"],
        "next_step_type": ["employer", "横幅"],
        "outcome": "promised",
    }
    assert [f.code for f in forbidden_in(data)] == [
        "utility_cutoff",
        "public_shaming",
        "workplace_contact",
    ]


def test_forbidden_in_keeps_field_order():
    data = {"next_step_type": "night_call", "channel": "auto_redial", "method": "蹲守"}
    assert [f.code for f in forbidden_in(data)] == [
        "auto_redial",
        "round_the_clock",
        "night_contact",
    ]


def test_forbidden_in_reads_only_the_given_fields():
    data = {"notes": "cut_water", "plan": "banner"}
    assert forbidden_in(data) == []
    assert [f.code for f in forbidden_in(data, fields=("plan",))] == ["public_shaming"]


def test_forbidden_in_reads_every_value_of_a_query_dict():
    data = QueryDict("method=phone_call&method=stop_water&channel=sms")
    assert [f.code for f in forbidden_in(data)] == ["utility_cutoff"]


def test_forbidden_in_ignores_missing_and_non_text_values():
    assert forbidden_in({"channel": None, "method": 3, "outcome": ["talked", None]}) == []


def test_forbidden_in_returns_the_rule_objects_with_their_reasons():
    (found,) = forbidden_in({"method": "cut_power"})
    assert found is FORBIDDEN["utility_cutoff"]
    with translation.override("en"):
        assert "Civil Code art. 944" in str(found.reason)


# --- Flagged terms in free text --------------------------------------------------------


def test_the_design_terms_are_all_flagged():
    for term in ["停水", "停电", "断水", "断电", "骚扰", "蹲守", "横幅", "单位", "崩溃"]:
        assert term in FLAG_TERMS


def test_flagged_terms_finds_chinese_words_in_notes_in_flag_term_order():
    notes = "业主说再不交就去蹲守，同事提议停水"
    assert flagged_terms(notes) == ["停水", "蹲守", "同事"]


def test_flagged_terms_searches_every_text_and_reports_each_term_once():
    assert flagged_terms("停水", "计划：停水、拉横幅", None, "") == ["停水", "横幅"]


def test_flagged_terms_matches_english_case_insensitively():
    assert flagged_terms("Put up a Banner at the gate") == ["banner"]
    assert flagged_terms("CALL HIS EMPLOYER") == ["employer"]


def test_flagged_terms_matches_english_across_hyphens_and_underscores():
    assert flagged_terms("threatened to cut-water") == ["cut water", "threat"]


def test_flagged_terms_finds_word_stems():
    assert flagged_terms("this is harassment") == ["harass"]
    assert flagged_terms("asked two colleagues") == ["colleague"]


def test_a_lawful_note_is_not_flagged():
    assert flagged_terms("业主同意下周缴费") == []
    assert flagged_terms("Owner agreed to pay next week.") == []


def test_no_text_is_not_flagged():
    assert flagged_terms() == []
    assert flagged_terms("", None) == []


def test_flag_terms_are_unique():
    assert len(set(FLAG_TERMS)) == len(FLAG_TERMS)
