"""Collection methods that do not exist in this product, and why (DESIGN.md §5.2).

`forbidden_method` / `forbidden_in` turn a posted channel, method or next-step value into
the rule it would break, so an API call or import row can be refused with a clear reason
before anything is saved. `flagged_terms` finds words in free-text notes and plans that
the manager should review; a flag is not a refusal.

Reasons are lazy translations: render them with str() (or Django's JSON encoder).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Forbidden:
    code: str
    reason: str


UTILITY_CUTOFF = "utility_cutoff"
ACCESS_BLOCKING = "access_blocking"
WORKPLACE_CONTACT = "workplace_contact"
PUBLIC_SHAMING = "public_shaming"
THREATS_INSULTS = "threats_insults"
NIGHT_CONTACT = "night_contact"
AUTO_REDIAL = "auto_redial"
ROUND_THE_CLOCK = "round_the_clock"

FORBIDDEN: dict[str, Forbidden] = {
    f.code: f
    for f in (
        Forbidden(
            UTILITY_CUTOFF,
            _(
                "Cutting, limiting or threatening to cut water, electricity, gas, heating or "
                "secondary water supply is not a collection method and is refused. Civil Code "
                "art. 944: the property service provider may demand payment within a "
                "reasonable period and then sue or apply for arbitration; it must not cut off "
                "electricity, water, heating or gas to press for fees."
            ),
        ),
        Forbidden(
            ACCESS_BLOCKING,
            _(
                "Blocking the owner's access (gate, lift, access card) is not a collection "
                "method and is refused. Civil Code art. 944 gives the property service "
                "provider a demand and then a suit or arbitration, not pressure on the use of "
                "the home; Civil Code art. 1033 protects the peace of the owner's private life."
            ),
        ),
        Forbidden(
            WORKPLACE_CONTACT,
            _(
                "Contacting or visiting an owner's employer, workplace or colleagues about the "
                "debt is refused. PIPL arts. 10 and 25: an owner's debt is not disclosed to "
                "employers, colleagues or the public without separate consent; Civil Code "
                "art. 1033 protects the peace of private life."
            ),
        ),
        Forbidden(
            PUBLIC_SHAMING,
            _(
                "Banners, posters, chat-group posts or public lists naming an owner or showing "
                "amounts are refused. PIPL arts. 10 and 25: an owner's debt is not disclosed "
                "to the public without separate consent; Civil Code art. 1033 protects the "
                "peace of private life."
            ),
        ),
        Forbidden(
            THREATS_INSULTS,
            _(
                "Threats, insults and harassment are refused. The public-order law covers "
                "harassing, stalking and pestering, and Civil Code art. 1033 protects the "
                "peace of private life. Send a written demand, and take a legal step if needed."
            ),
        ),
        Forbidden(
            NIGHT_CONTACT,
            _(
                "Night-time contact is refused: calls, messages and visits are made only in "
                "the office's allowed hours (at most 08:00–21:00). Civil Code art. 1033; the "
                "China Banking Association collection guideline forbids calls and visits "
                "22:00–08:00."
            ),
        ),
        Forbidden(
            AUTO_REDIAL,
            _(
                "Auto-redial and repeated calling are refused: calls stay within the office's "
                "daily and 7-day limits per household. Civil Code art. 1033 (no disturbing "
                "calls); the public-order law on repeated harassing messages and pestering."
            ),
        ),
        Forbidden(
            ROUND_THE_CLOCK,
            _(
                "Round-the-clock contact, waiting at the owner's home and pestering are "
                "refused: contact only within the office's hours and limits. The public-order "
                "law covers stalking and pestering; Civil Code art. 1033 protects the peace of "
                "private life."
            ),
        ),
    )
}


def _key(value: object) -> str:
    """Case-insensitive, surrounding spaces ignored, hyphens, spaces and underscores alike."""
    text = str(value).strip().casefold()
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


_ALIAS_SOURCE: dict[str, tuple[str, ...]] = {
    UTILITY_CUTOFF: (
        "cut_water",
        "cut_power",
        "cut_electricity",
        "cut_gas",
        "cut_heating",
        "cut_utilities",
        "cut_off_utilities",
        "cut_off_water",
        "cut_off_power",
        "cut_off_electricity",
        "cut_off_gas",
        "cut_off_heating",
        "stop_water",
        "stop_power",
        "stop_electricity",
        "stop_gas",
        "stop_heating",
        "stop_utilities",
        "stop_secondary_water",
        "stop_secondary_water_supply",
        "limit_water",
        "limit_power",
        "limit_electricity",
        "water_cutoff",
        "power_cutoff",
        "electricity_cutoff",
        "gas_cutoff",
        "heating_cutoff",
        "threaten_cutoff",
        "threaten_utility_cutoff",
        "utilities_cutoff",
        "停水",
        "停电",
        "断水",
        "断电",
        "停气",
        "断气",
        "停暖",
        "断暖",
        "限水",
        "限电",
        "拉闸",
        "拉闸限电",
        "停水停电",
        "停止供水",
        "停止供电",
        "停止供气",
        "停止供暖",
        "停止二次供水",
        "停二次供水",
        "断二次供水",
    ),
    ACCESS_BLOCKING: (
        "block_access",
        "block_gate",
        "lock_gate",
        "block_lift",
        "lock_lift",
        "block_elevator",
        "lock_elevator",
        "lift_lockout",
        "elevator_lockout",
        "block_access_card",
        "disable_access_card",
        "deactivate_access_card",
        "cancel_access_card",
        "停门禁",
        "关闭门禁",
        "锁门禁",
        "停门禁卡",
        "停用门禁卡",
        "禁用门禁卡",
        "停卡",
        "停电梯",
        "锁电梯",
        "限制电梯",
        "停梯",
        "封门",
        "堵门",
        "禁止进入小区",
    ),
    WORKPLACE_CONTACT: (
        "employer",
        "contact_employer",
        "call_employer",
        "visit_employer",
        "workplace",
        "workplace_visit",
        "workplace_call",
        "visit_workplace",
        "call_workplace",
        "colleague",
        "colleagues",
        "contact_colleagues",
        "单位",
        "工作单位",
        "联系单位",
        "找单位",
        "去单位",
        "单位走访",
        "雇主",
        "同事",
        "联系同事",
    ),
    PUBLIC_SHAMING: (
        "shame",
        "shaming",
        "name_and_shame",
        "banner",
        "banners",
        "poster",
        "posters",
        "public_list",
        "public_notice_of_debtors",
        "blacklist",
        "post_in_group",
        "group_post",
        "chat_group_post",
        "wechat_group_post",
        "expose",
        "exposure",
        "横幅",
        "拉横幅",
        "海报",
        "张贴",
        "张贴欠费名单",
        "欠费名单",
        "欠费公示",
        "公示欠费",
        "公示",
        "曝光",
        "黑名单",
        "群内公示",
        "发业主群",
    ),
    THREATS_INSULTS: (
        "threat",
        "threats",
        "threaten",
        "insult",
        "insults",
        "intimidate",
        "intimidation",
        "abuse",
        "verbal_abuse",
        "harass",
        "harassment",
        "威胁",
        "恐吓",
        "辱骂",
        "谩骂",
        "侮辱",
        "骚扰",
    ),
    NIGHT_CONTACT: (
        "night",
        "night_call",
        "night_calls",
        "night_visit",
        "night_message",
        "late_night_call",
        "midnight_call",
        "call_at_night",
        "夜间催收",
        "夜间电话",
        "夜访",
        "深夜催收",
        "深夜",
        "半夜",
        "晚间",
        "晚间催收",
        "半夜打电话",
    ),
    AUTO_REDIAL: (
        "autoredial",
        "auto_dial",
        "autodial",
        "robocall",
        "robo_call",
        "repeated_calls",
        "call_bombing",
        "sms_bombing",
        "自动重拨",
        "自动拨号",
        "连续拨打",
        "电话轰炸",
        "短信轰炸",
        "呼死你",
    ),
    ROUND_THE_CLOCK: (
        "24h",
        "24_h",
        "24_7",
        "24/7",
        "24x7",
        "24_hours",
        "24_小时",
        "around_the_clock",
        "stakeout",
        "stake_out",
        "camp_out",
        "24小时",
        "24小时催收",
        "全天候",
        "全天候催收",
        "蹲守",
        "死缠烂打",
        "围堵",
    ),
}


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for code, values in _ALIAS_SOURCE.items():
        for value in (code, *values):
            key = _key(value)
            if aliases.setdefault(key, code) != code:
                raise ValueError(f"alias {value!r} is given for two rules")
    return aliases


# Normalised posted value → forbidden code (the codes themselves included).
ALIASES: dict[str, str] = _build_aliases()


def forbidden_method(value: object) -> Forbidden | None:
    """The rule a posted channel, method or next-step value would break, or None."""
    if value is None:
        return None
    code = ALIASES.get(_key(value))
    return FORBIDDEN[code] if code else None


def _values(data: Mapping[str, object], name: str) -> list:
    getlist = getattr(data, "getlist", None)  # a QueryDict holds several values per key
    value = getlist(name) if callable(getlist) else data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def forbidden_in(
    data: Mapping[str, object],
    fields: Iterable[str] = ("channel", "method", "next_step_type", "outcome"),
) -> list[Forbidden]:
    """Every forbidden value posted in `fields`, once per rule, in field order."""
    found: dict[str, Forbidden] = {}
    for name in fields:
        for value in _values(data, name):
            if not isinstance(value, str):
                continue
            forbidden = forbidden_method(value)
            if forbidden is not None:
                found.setdefault(forbidden.code, forbidden)
    return list(found.values())


# Words in free text to flag for the manager's review. Chinese terms match as written;
# English ones case-insensitively, with spaces, hyphens and underscores alike.
FLAG_TERMS: tuple[str, ...] = (
    "停水",
    "停电",
    "断水",
    "断电",
    "停气",
    "停暖",
    "二次供水",
    "骚扰",
    "蹲守",
    "横幅",
    "单位",
    "同事",
    "崩溃",
    "死缠烂打",
    "晚间",
    "半夜",
    "24小时",
    "曝光",
    "张贴",
    "拉黑",
    "门禁",
    "电梯",
    "cut water",
    "cut power",
    "cut electricity",
    "harass",
    "banner",
    "employer",
    "colleague",
    "workplace",
    "shame",
    "threat",
)


def _text_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.casefold())


_FLAG_KEYS = tuple((term, _text_key(term)) for term in FLAG_TERMS)


def flagged_terms(*texts: str | None) -> list[str]:
    """The FLAG_TERMS found in any of the texts, in FLAG_TERMS order, each once."""
    haystack = "\n".join(_text_key(t) for t in texts if t)
    if not haystack:
        return []
    return [term for term, key in _FLAG_KEYS if key in haystack]
