"""Methods that do not exist (DESIGN.md §5.2): refused with the reason, or flagged."""

import pytest
from django.http import QueryDict
from django.utils import translation

from arrears.unlawful import (
    ALIASES,
    CHOICE_FIELDS,
    FORBIDDEN,
    Forbidden,
    approved_methods,
    flag_details,
    flagged_terms,
    forbidden_in,
    forbidden_method,
    normalise,
    scan,
)
from arrears.unlawful_phrases import EN, ZH
from households.models import Channel, Outcome

from .unlawful_corpus import NEAR_MISSES, POSITIVES

CODES = [
    "utility_cutoff",
    "access_blocking",
    "service_withholding",
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
        ("service_withholding", "Civil Code art. 944"),
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


# --- Posted values the form does not offer ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("utility_cut", "utility_cutoff"),
        ("断水断电", "utility_cutoff"),
        ("停水停电", "utility_cutoff"),
        ("ｕｔｉｌｉｔｙ＿ｃｕｔ", "utility_cutoff"),  # full-width
        ("ＣＵＴ＿ＷＡＴＥＲ", "utility_cutoff"),
        ("停\u3000水", "utility_cutoff"),
        ("停 水", "utility_cutoff"),
        ("停電", "utility_cutoff"),  # traditional
        ("еmployer", "workplace_contact"),  # Cyrillic е
        ("EMPLOYER", "workplace_contact"),
        ("boss", "workplace_contact"),
        ("ｂａｎｎｅｒ", "public_shaming"),
        ("停止服务", "service_withholding"),
        ("stop-services", "service_withholding"),
        ("call at 11pm", "night_contact"),
    ],
)
def test_posted_variants_are_refused_with_their_rule(value, code):
    assert forbidden_method(value).code == code


def test_forbidden_in_reads_every_choice_field_a_form_posts():
    assert {"channel", "method", "outcome", "person_contacted", "next_step_type", "kind"} <= set(
        CHOICE_FIELDS
    )
    assert [f.code for f in forbidden_in({"person_contacted": "employer"})] == ["workplace_contact"]
    assert [f.code for f in forbidden_in({"kind": "断水断电"})] == ["utility_cutoff"]


def test_forbidden_in_does_not_refuse_free_text_fields():
    assert forbidden_in({"notes": "停水", "next_step": "去单位"}) == []


def test_no_choice_value_of_the_product_is_mistaken_for_a_forbidden_method():
    from arrears.models import DebtorCategory, PaymentMethod
    from escalation.models import Letter
    from households.models import OnSiteTip, PersonContacted

    values = [
        *PersonContacted.values,
        *OnSiteTip.Kind.values,
        *PaymentMethod.values,
        *DebtorCategory.values,
        *Letter.Kind.values,
        *Letter.Method.values,
        *Letter.Proof.values,
    ]
    for value in values:
        assert forbidden_method(value) is None, value


# --- The scanner: normalising ------------------------------------------------------------


def test_normalise_folds_full_width_case_look_alikes_and_zero_width():
    assert normalise("ＣＵＴ\u200bＷａｔｅｒ") == "cutwater"
    assert normalise("斷電") == "断电"
    assert normalise("hаrass") == "harass"  # Cyrillic а


def test_every_phrase_pattern_compiles_and_every_rule_has_chinese_and_english():
    import re

    for table in (ZH, EN):
        assert set(table) == set(CODES)
        for patterns in table.values():
            for pattern in patterns:
                re.compile(pattern)


# --- The scanner: the corpus -------------------------------------------------------------


def test_the_corpus_is_large_enough():
    assert len(POSITIVES) >= 100
    assert len(NEAR_MISSES) >= 50
    assert len(POSITIVES) + len(NEAR_MISSES) >= 150
    assert {code for _t, code in POSITIVES} == set(CODES)
    assert any(t.isascii() for t, _c in POSITIVES)


@pytest.mark.parametrize(("text", "code"), POSITIVES)
def test_every_positive_is_flagged_with_its_rule(text, code):
    assert code in {hit.code for hit in scan(text)}, [(h.phrase, h.code) for h in scan(text)]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_no_near_miss_is_flagged(text):
    assert scan(text) == [], [(h.phrase, h.code) for h in scan(text)]


def test_a_hit_carries_its_phrase_rule_and_law():
    (hit,) = scan("对其停水停电")
    assert (hit.phrase, hit.code) == ("停水停电", "utility_cutoff")
    assert hit.rule is FORBIDDEN["utility_cutoff"]
    with translation.override("en"):
        assert "Civil Code art. 944" in str(hit.reason)


def test_the_longer_phrase_wins_where_two_overlap():
    # 停电梯 is the lift, not the power; 停水停电 is one phrase, not two
    assert [(h.phrase, h.code) for h in scan("停电梯")] == [("停电梯", "access_blocking")]
    assert [h.phrase for h in scan("停水停电")] == ["停水停电"]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("晚上9点打电话", False),  # 21:00 is inside the allowed hours
        ("晚上9点半打电话", True),
        ("21:00 打电话", False),
        ("21:30 打电话", True),
        ("早上8点打电话", False),
        ("早上7点半打电话", True),  # before 08:00, and it is about contact
        ("业主早上7点半出门", False),  # a fact about the owner, not a contact
        ("凌晨2点", True),
        ("晚上十一点", True),
        ("call at 9pm", False),
        ("call at 9:30pm", True),
        ("call at 12am", True),
        ("call at 12pm", False),
        ("11点上门", False),  # no part of day: the morning
        ("23点上门", True),
        ("07:00–22:00 以内", False),  # a window of hours, as the policy messages write it
        ("08:00-22:00", False),
        ("22:00–23:00 上门", True),
    ],
)
def test_times_outside_the_allowed_hours_are_night_contact(text, flagged):
    codes = {h.code for h in scan(text)}
    assert ("night_contact" in codes) is flagged


# --- Stored flags --------------------------------------------------------------------------


def test_flagged_terms_lists_each_phrase_once_in_the_order_written():
    notes = "业主说再不交就去蹲守，其同事提议停水"
    assert flagged_terms(notes) == ["蹲守", "其同事", "停水"]
    assert flagged_terms("停水", "计划：停水、拉横幅", None, "") == ["停水", "拉横幅"]


def test_flagged_terms_matches_english_case_insensitively_and_across_hyphens():
    assert flagged_terms("Put up a Banner at the gate") == ["banner"]
    assert flagged_terms("CALL HIS EMPLOYER") == ["call his employer"]
    assert flagged_terms("threatened to cut-water") == ["threatened", "cut water"]
    assert flagged_terms("CUT_WATER") == ["cut water"]


def test_a_lawful_note_is_not_flagged():
    assert flagged_terms("业主同意下周缴费") == []
    assert flagged_terms("Owner agreed to pay next week.") == []


def test_no_text_is_not_flagged():
    assert flagged_terms() == []
    assert flagged_terms("", None) == []


def test_flag_details_give_each_stored_phrase_its_rule():
    details = flag_details(["停水停电", "到其单位", "call at 11pm", "崩溃"])
    assert [(t, r.code if r else None) for t, r in details] == [
        ("停水停电", "utility_cutoff"),
        ("到其单位", "workplace_contact"),
        ("call at 11pm", "night_contact"),
        ("崩溃", "threats_insults"),
    ]


def test_flag_details_keep_an_old_phrase_no_pattern_matches_now():
    # flags stored before the scanner (单位 alone, 电梯 alone) are kept, with no rule
    assert flag_details(["电梯"]) == [("电梯", None)]


# --- Approving a method --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "同意：对其停水停电",
        "同意，对其停水停电。",
        "建议对其停水停电",  # in a decision or a plan, an instruction
        "批准到其单位拉横幅",
        "经研究决定，对该户停止所有服务",
        "可以安排晚上11点上门",
        "业主同意分期，如逾期则停水",
        "执行原方案：门口蹲守催收并停止二次供水",
        "Approved: cut off the water",
        "OK to call at 11pm",
        "Go ahead and visit his office",
        "If he doesn't pay, cut off the water",
    ],
)
def test_a_text_that_approves_a_method_is_caught(text):
    assert approved_methods(text), text


@pytest.mark.parametrize(
    "text",
    [
        "不同意停水停电，改为发催告函",
        "不批准：到其单位拉横幅",
        "不同意：对其停水停电",
        "未批准：对其停水停电",
        "严禁对其停水停电，按法律途径处理",
        "同意分期。不得停水。",
        "业主投诉被停水，经核实为管网检修，同意减免滞纳金",
        "业主称上月被停电，同意先维修后缴费",
        "业主担心被停水停电，同意分期",
        "停水停电的建议已否决",
        "Do not cut the water; send the written demand",
        "Rejected: visit his office",
        "Not approved: cut the water",
        "It is not ok to call at 11pm",
        "Owner complained the water was cut; approved a repair",
        "",
    ],
)
def test_a_text_that_rejects_reports_or_only_proposes_a_method_is_not_an_approval(text):
    assert approved_methods(text) == [], [h.phrase for h in approved_methods(text)]
