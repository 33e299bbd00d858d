"""Collection methods that do not exist in this product, and why (DESIGN.md §5.2).

One scanner for every text a person writes and every value a form posts:

- `scan(*texts)` finds the phrases of `arrears.unlawful_phrases` in free text (notes,
  issues and their decisions, tips, plans, import cells) and returns each hit with its
  phrase, its rule and the rule's reason. `flagged_terms` is the list of phrases, as stored on
  a record for the manager's review; `flag_details` turns stored phrases back into
  (phrase, rule).
- `approved_methods(text)` is the subset of hits a decision or plan *approves* (同意：对其停水
  停电): those are refused with the law, where a plain mention is saved and flagged.
- `forbidden_method` / `forbidden_in` turn a posted choice value (channel, method, outcome,
  person contacted …) into the rule it would break, so a request can be refused with a clear
  reason before anything is saved.

Text is normalised first: NFKC (full-width letters and digits), case-folded, look-alike
characters replaced; Chinese is matched with spaces and punctuation removed.

Reasons are lazy translations: render them with str() (or Django's JSON encoder).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from django.utils.translation import gettext_lazy as _

from arrears import unlawful_phrases as phrases
from arrears.unlawful_phrases import (
    ACCESS_BLOCKING,
    AUTO_REDIAL,
    NIGHT_CONTACT,
    PUBLIC_SHAMING,
    ROUND_THE_CLOCK,
    SERVICE_WITHHOLDING,
    THREATS_INSULTS,
    UTILITY_CUTOFF,
    WORKPLACE_CONTACT,
)


@dataclass(frozen=True)
class Forbidden:
    code: str
    reason: str
    label: str = ""  # a short name for lists of flags


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
            _("cutting utilities"),
        ),
        Forbidden(
            ACCESS_BLOCKING,
            _(
                "Blocking the owner's access (gate, lift, access card) is not a collection "
                "method and is refused. Civil Code art. 944 gives the property service "
                "provider a demand and then a suit or arbitration, not pressure on the use of "
                "the home; Civil Code art. 1033 protects the peace of the owner's private life."
            ),
            _("blocking access"),
        ),
        Forbidden(
            SERVICE_WITHHOLDING,
            _(
                "Withholding property services (stopping all service, refusing renovation "
                "formalities, restricting vehicles or parking) to press for fees is not a "
                "collection method and is refused. Civil Code art. 944: the property service "
                "provider may demand payment within a reasonable period and then sue or apply "
                "for arbitration; the fee dispute does not suspend the services it owes."
            ),
            _("withholding services"),
        ),
        Forbidden(
            WORKPLACE_CONTACT,
            _(
                "Contacting or visiting an owner's employer, workplace or colleagues about the "
                "debt is refused. PIPL arts. 10 and 25: an owner's debt is not disclosed to "
                "employers, colleagues or the public without separate consent; Civil Code "
                "art. 1033 protects the peace of private life."
            ),
            _("contacting the owner's workplace"),
        ),
        Forbidden(
            PUBLIC_SHAMING,
            _(
                "Banners, posters, chat-group posts or public lists naming an owner or showing "
                "amounts are refused. PIPL arts. 10 and 25: an owner's debt is not disclosed "
                "to the public without separate consent; Civil Code art. 1033 protects the "
                "peace of private life."
            ),
            _("public shaming"),
        ),
        Forbidden(
            THREATS_INSULTS,
            _(
                "Threats, insults and harassment are refused. The public-order law covers "
                "harassing, stalking and pestering, and Civil Code art. 1033 protects the "
                "peace of private life. Send a written demand, and take a legal step if needed."
            ),
            _("threats, insults, harassment"),
        ),
        Forbidden(
            NIGHT_CONTACT,
            _(
                "Night-time contact is refused: calls, messages and visits are made only in "
                "the office's allowed hours (at most 08:00–21:00). Civil Code art. 1033; the "
                "China Banking Association collection guideline forbids calls and visits "
                "22:00–08:00."
            ),
            _("night-time contact"),
        ),
        Forbidden(
            AUTO_REDIAL,
            _(
                "Auto-redial and repeated calling are refused: calls stay within the office's "
                "daily and 7-day limits per household. Civil Code art. 1033 (no disturbing "
                "calls); the public-order law on repeated harassing messages and pestering."
            ),
            _("repeated calling"),
        ),
        Forbidden(
            ROUND_THE_CLOCK,
            _(
                "Round-the-clock contact, waiting at the owner's home and pestering are "
                "refused: contact only within the office's hours and limits. The public-order "
                "law covers stalking and pestering; Civil Code art. 1033 protects the peace of "
                "private life."
            ),
            _("round-the-clock pestering"),
        ),
    )
}


# --- normalising ----------------------------------------------------------------------------

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_LOOK_ALIKES = str.maketrans(phrases.LOOK_ALIKES)


def normalise(text: str) -> str:
    """NFKC (full-width → plain), case-folded, look-alikes replaced, zero-width dropped."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_ZERO_WIDTH).casefold()
    return text.translate(_LOOK_ALIKES)


def _compact(text: str) -> str:
    """No spaces, punctuation or underscores: 停 水、停-水 and 停_水 are all 停水."""
    return re.sub(r"[\W_]+", "", text)


def _words(text: str) -> str:
    """Every run of characters that are not letters or digits is one space."""
    return " " + re.sub(r"[\W_]+", " ", text).strip() + " "


# --- the scanner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    phrase: str  # as matched, normalised (停水停电, call at 11pm, 晚上11点)
    code: str

    @property
    def rule(self) -> Forbidden:
        return FORBIDDEN[self.code]

    @property
    def reason(self):
        return FORBIDDEN[self.code].reason


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    phrase: str
    code: str


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


@cache
def _compiled():
    zh = {code: re.compile(_alternation(p)) for code, p in phrases.ZH.items()}
    en = {
        code: re.compile(rf"(?<![a-z0-9])(?:{_alternation(p)})(?![a-z0-9])")
        for code, p in phrases.EN.items()
    }
    return {
        "zh": zh,
        "en": en,
        "zh_except": re.compile(_alternation(phrases.EXCEPTIONS_ZH)),
        "en_except": re.compile(
            rf"(?<![a-z0-9])(?:{_alternation(phrases.EXCEPTIONS_EN)})(?![a-z0-9])"
        ),
        "times": [re.compile(p) for p in phrases.NIGHT_TIMES],
        "approval_zh": re.compile(_alternation(phrases.APPROVAL_ZH)),
        "approval_en": re.compile(rf" (?:{_alternation(phrases.APPROVAL_EN)}) "),
        "negation_zh": re.compile(_alternation(n for n in phrases.NEGATION_ZH if len(n) > 1)),
        "negation_zh_near": re.compile(r"(?:不|勿)(?:对|给|向|去|到|再)?(?:其|他|她|业主)?$"),
        "negated_approval_zh": re.compile(
            r"(?:不|未|没有|无法|不能|不得|不予|拒绝)(?:" + _alternation(phrases.APPROVAL_ZH) + ")"
        ),
        "negation_en": re.compile(rf" (?:{_alternation(phrases.NEGATION_EN)}) "),
        "negated_approval_en": re.compile(
            rf" (?:{_alternation(phrases.NEGATION_EN)}) (?:\w+ )?"
            rf"(?:{_alternation(phrases.APPROVAL_EN)})(?= )"
        ),
        "reported_zh": re.compile(_alternation(phrases.REPORTED_ZH)),
        "reported_en": re.compile(rf" (?:{_alternation(phrases.REPORTED_EN)}) "),
        "contact_words": re.compile(_alternation(phrases.CONTACT_WORDS)),
    }


def _resolve(matches: list[_Match], exceptions: list[tuple[int, int]]) -> list[_Match]:
    """Drop matches overlapping a near-miss; of overlapping matches keep the earlier, longer."""
    kept: list[_Match] = []
    for m in sorted(matches, key=lambda m: (m.start, m.start - m.end)):
        if any(m.start < e and s < m.end for s, e in exceptions):
            continue
        if kept and m.start < kept[-1].end:
            continue
        kept.append(m)
    return kept


def _find(text: str, patterns: dict, exceptions: re.Pattern) -> list[_Match]:
    if not text.strip():
        return []
    spans = [(m.start(), m.end()) for m in exceptions.finditer(text) if m.end() > m.start()]
    found = [
        _Match(m.start(), m.end(), m.group().strip(), code)
        for code, pattern in patterns.items()
        for m in pattern.finditer(text)
        if m.group().strip()
    ]
    return _resolve(found, spans)


_ZH_NUMBERS = {"零": 0, "两": 2, "十": 10, "十一": 11, "十二": 12}
_ZH_NUMBERS |= {d: i for i, d in enumerate("一二三四五六七八九", start=1)}
_EVENING = ("晚上", "晚间", "夜里", "夜间", "夜晚", "晚")
_AFTERNOON = ("下午", "傍晚")


def _minute_of_day(match: re.Match) -> int | None:
    groups = match.groupdict()
    hour_text = groups.get("h") or ""
    hour = int(hour_text) if hour_text.isdigit() else _ZH_NUMBERS.get(hour_text)
    if hour is None or hour > 24:
        return None
    minute = 30 if groups.get("half") else int(groups.get("m") or 0)
    part, ampm = groups.get("p"), (groups.get("ap") or "").replace(".", "")
    if ampm:
        hour = (hour % 12) + (12 if ampm == "pm" else 0)
    elif part in _EVENING:
        hour = hour + 12 if 5 <= hour <= 11 else 0 if hour == 12 else hour
    elif part in _AFTERNOON:
        hour = hour + 12 if hour < 12 else hour
    elif part == "中午":
        hour = hour + 12 if hour < 5 else hour
    elif part in ("深夜", "半夜", "午夜", "凌晨") and hour == 12:
        hour = 0
    return (hour % 24) * 60 + minute if hour != 24 or minute == 0 else None


def _night_times(clause: str) -> list[_Match]:
    """Times of day outside the allowed hours (08:00–21:00)."""
    found, covered = [], []
    for index, pattern in enumerate(_compiled()["times"]):
        for m in pattern.finditer(clause):
            if any(m.start() < e and s < m.end() for s, e in covered):
                continue  # 下午4:30 was read whole: 4:30 alone is not 04:30
            covered.append(m.span())
            minute = _minute_of_day(m)
            if minute is None:
                continue
            qualified = bool(m.groupdict().get("p") or m.groupdict().get("ap"))
            late = minute > phrases.ALLOWED_UNTIL_MINUTE
            early = minute < phrases.BARE_NIGHT_UNTIL_MINUTE
            morning = not early and minute < phrases.ALLOWED_FROM_MINUTE
            if not qualified and index == 3 and minute < 13 * 60:
                continue  # 11点 with no part of day is the morning
            if _ends_a_daytime_range(clause[: m.start()]):
                continue  # 07:00–22:00 describes a window of hours, not a contact at 22:00
            if late or early or (morning and _compiled()["contact_words"].search(clause)):
                found.append(_Match(m.start(), m.end(), m.group().strip(), NIGHT_CONTACT))
    return _resolve(found, [])


# "07:00–22:00", "07:00 至 22:00", "between 07:00 and 22:00": a window, its end no contact time.
_RANGE_START = re.compile(
    r"(?<![\d:：])([01]?\d|2[0-3])\s*[:：]\s*([0-5]\d)\s*(?:[–—\-~～至到]|and)\s*$",
    re.IGNORECASE,
)


def _ends_a_daytime_range(before: str) -> bool:
    start = _RANGE_START.search(before)
    if start is None:
        return False
    minute = int(start.group(1)) * 60 + int(start.group(2))
    return phrases.BARE_NIGHT_UNTIL_MINUTE <= minute <= phrases.ALLOWED_UNTIL_MINUTE


_SENTENCES = re.compile(r"[。；;！!？?\n\r]+|\.(?=\s|$)")
# A colon does not end a clause: in "不同意：对其停水" the verdict governs what follows it.
_CLAUSES = re.compile(r"[，,、]")


@dataclass(frozen=True)
class _Found:
    hit: Hit
    negated: bool
    reported: bool
    at: int  # where it starts, counted in the compact text, to keep the order written


def _scan_clause(clause: str) -> list[_Found]:
    c = _compiled()
    compact, words = _compact(clause), _words(clause)
    out = []
    for m in _find(compact, c["zh"], c["zh_except"]):
        prefix = compact[: m.start]
        negated = bool(c["negation_zh"].search(prefix) or c["negation_zh_near"].search(prefix))
        reported = bool(c["reported_zh"].search(prefix))
        out.append(_Found(Hit(m.phrase, m.code), negated, reported, m.start))
    for m in _find(words, c["en"], c["en_except"]):
        prefix = words[: m.start]
        near = " " + " ".join(prefix.split()[-3:]) + " "
        negated = bool(c["negation_en"].search(near))
        reported = bool(c["reported_en"].search(prefix))
        out.append(_Found(Hit(m.phrase, m.code), negated, reported, len(_compact(prefix))))
    for m in _night_times(clause):
        at = len(_compact(clause[: m.start]))
        out.append(_Found(Hit(m.phrase, m.code), False, False, at))
    return sorted(out, key=lambda f: f.at)


def _sentences(text: str) -> list[list[str]]:
    return [
        [c for c in _CLAUSES.split(s) if c.strip()]
        for s in _SENTENCES.split(normalise(text))
        if s.strip()
    ]


def scan(*texts: str | None) -> list[Hit]:
    """Every phrase of an unlawful method in the texts, once each, in the order written."""
    hits: dict[Hit, None] = {}
    for text in texts:
        if text:
            hits.update(dict.fromkeys(_text_hits(text)))
    return list(hits)


@lru_cache(maxsize=4096)
def _text_hits(text: str) -> tuple[Hit, ...]:
    """One text's hits, in order: an imported ledger repeats the same reasons and notes on
    thousands of rows, and each is scanned once."""
    hits: dict[Hit, None] = {}
    for sentence in _sentences(text):
        for clause in sentence:
            for found in _scan_clause(clause):
                hits.setdefault(found.hit)
    return tuple(hits)


def approved_methods(*texts: str | None) -> list[Hit]:
    """The hits a decision or plan approves: in a sentence with an approving word (同意,
    批准, 执行, 对其 …, approve, go ahead …), neither negated (不得, 严禁, do not …) nor
    reported as someone else's doing (被, 投诉, the owner said …)."""
    c = _compiled()
    hits: dict[Hit, None] = {}
    for text in texts:
        if not text:
            continue
        for sentence in _sentences(text):
            whole = "".join(sentence)
            compact = c["negated_approval_zh"].sub("", _compact(whole))
            words = _words(whole)
            words_plain = c["negated_approval_en"].sub(" ", words)
            approving = bool(c["approval_zh"].search(compact)) or bool(
                c["approval_en"].search(words_plain)
            )
            if not approving:
                continue
            for clause in sentence:
                for found in _scan_clause(clause):
                    if not (found.negated or found.reported):
                        hits.setdefault(found.hit)
    return list(hits)


def flagged_terms(*texts: str | None) -> list[str]:
    """The phrases to store on a record for the manager's review, each once, as written."""
    return list(dict.fromkeys(hit.phrase for hit in scan(*texts)))


def flag_details(terms: Iterable[str]) -> list[tuple[str, Forbidden | None]]:
    """Stored phrases with the rule each breaks (None for a phrase no pattern matches now)."""
    out = []
    for term in terms:
        hits = scan(term)
        out.append((term, hits[0].rule if hits else None))
    return out


# --- posted values --------------------------------------------------------------------------


def _key(value: object) -> str:
    """Case-insensitive, surrounding spaces ignored, hyphens, spaces and underscores alike."""
    text = normalise(str(value)).strip()
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for code, values in phrases.POSTED_VALUES.items():
        for value in (code, *values):
            key = _key(value)
            if aliases.setdefault(key, code) != code:
                raise ValueError(f"alias {value!r} is given for two rules")
    return aliases


# Normalised posted value → forbidden code (the codes themselves included).
ALIASES: dict[str, str] = _build_aliases()
_COMPACT_ALIASES = {_compact(k): code for k, code in ALIASES.items()}


def forbidden_method(value: object) -> Forbidden | None:
    """The rule a posted choice value would break, or None.

    A value is matched as a known alias (full-width, look-alike and separator variants
    included) and otherwise read as text by the scanner, so 断水断电 or `utility-cut` are
    refused like 停水."""
    if value is None:
        return None
    key = _key(value)
    code = ALIASES.get(key) or _COMPACT_ALIASES.get(_compact(key))
    if code is None:
        hits = scan(str(value))
        code = hits[0].code if hits else None
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


# Every choice field a form of this product posts; free-text fields are scanned, not refused.
CHOICE_FIELDS = (
    "channel",
    "method",
    "next_step_type",
    "outcome",
    "person_contacted",
    "kind",
)


def forbidden_in(
    data: Mapping[str, object], fields: Iterable[str] = CHOICE_FIELDS
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
