"""Is a contact attempt allowed, and if not, which rule does it break (DESIGN.md §5.3).

Pure functions over plain dataclasses: no database, no HTTP. Callers turn their
ContactAttempt rows into `Attempt`s (leaving out withdrawn ones) and an office's
ContactPolicy into `Rules`, then ask `check_attempt` about a new or logged attempt, or
`contact_availability` for the case page's "contact allowed now?" banner.

Attempts are told apart by identity (`Attempt.key`, the row's pk), never by their fields: two
calls at the same minute are two calls. A verdict lists, next to the breaches, the exemptions
it applied (a time the owner asked for, within 07:00–22:00 only; an agreed call-back, within an
hour of it; an owner who walked in to the office): the caller stores them for the office
manager's review, and a review that finds one was not real makes the attempt a breach.

All day and hour logic runs in the office's local time zone (settings.TIME_ZONE unless
given); durations (7-day windows, quiet periods) are exact elapsed time.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# Channel values (households.models.Channel), kept here as plain strings so this module
# needs no app registry; tests check they match the model's choices.
PHONE_CALL = "phone_call"
SMS = "sms"
WECHAT = "wechat"
HOME_VISIT = "home_visit"
OFFICE_MEETING = "office_meeting"
WRITTEN_AND_LEGAL_CHANNELS = frozenset(
    {
        "payment_notice",
        "written_demand",
        "dispute_answer",
        "committee_urging",
        "lawyer_letter",
        "mediation",
        "payment_order",
        "lawsuit",
        "arbitration",
    }
)
MESSAGE_CHANNELS = frozenset({SMS, WECHAT})
# Calls, messages and visits: refused under written-only.
PERSONAL_CHANNELS = frozenset({PHONE_CALL, SMS, WECHAT, HOME_VISIT})
# Everything that reaches the owner in person or on their phone keeps to the allowed hours: a
# meeting at the management office too (unless the owner walked in on their own), and a
# paper handed over in person (see `is_hour_limited`).
HOUR_LIMITED_CHANNELS = PERSONAL_CHANNELS | {OFFICE_MEETING}
# Papers that can be handed to a person at the door or at the office.
PAPER_CHANNELS = frozenset(
    {"payment_notice", "written_demand", "dispute_answer", "committee_urging", "lawyer_letter"}
)
CHANNELS = HOUR_LIMITED_CHANNELS | WRITTEN_AND_LEGAL_CHANNELS

# PersonContacted values.
OWNER_PERSONS = frozenset({"owner", "co_owner"})
UNRELATED = "unrelated"
PERSONS = OWNER_PERSONS | {"occupant", UNRELATED}

# Outcome values. A conversation is one of these with the owner or a co-owner.
CONVERSATION_OUTCOMES = frozenset({"talked", "promised", "refused", "disputed", "paid"})
# Outcomes that mean the debt itself was discussed (never with an unrelated person).
DEBT_DISCUSSED_OUTCOMES = frozenset({"promised", "refused", "disputed", "paid"})
OUTCOMES = CONVERSATION_OUTCOMES | {
    "",
    "no_answer",
    "declined",
    "invalid_number",
    "sent",
    "delivered",
    "not_delivered",
}

WINDOW = datetime.timedelta(days=7)
# contact_availability looks this far ahead for the next allowed moment.
SEARCH_HORIZON = datetime.timedelta(days=14)

# Rule codes, in the order breaches are reported and listed on the help page.
HOURS = "hours"
CALLS_PER_DAY = "calls_per_day"
CALLS_PER_7_DAYS = "calls_per_7_days"
QUIET_AFTER_CONVERSATION = "quiet_after_conversation"
MESSAGES_PER_DAY = "messages_per_day"
MESSAGES_PER_7_DAYS = "messages_per_7_days"
MESSAGE_OPT_OUT = "message_opt_out"
VISITS_PER_7_DAYS = "visits_per_7_days"
VISIT_STAFF_MAX = "visit_staff_max"
VISIT_STAFF_RECOMMENDED = "visit_staff_recommended"  # a warning, never a breach
WRITTEN_ONLY = "written_only"
THIRD_PARTY_DISCLOSURE = "third_party_disclosure"
DISPUTED = "disputed"

RULE_CODES = (
    HOURS,
    CALLS_PER_DAY,
    CALLS_PER_7_DAYS,
    QUIET_AFTER_CONVERSATION,
    MESSAGES_PER_DAY,
    MESSAGES_PER_7_DAYS,
    MESSAGE_OPT_OUT,
    VISITS_PER_7_DAYS,
    VISIT_STAFF_MAX,
    VISIT_STAFF_RECOMMENDED,
    WRITTEN_ONLY,
    THIRD_PARTY_DISCLOSURE,
    DISPUTED,
)
WARNING_CODES = frozenset({VISIT_STAFF_RECOMMENDED})

# A time the owner asked for may move a contact outside the office's hours, but never
# outside these (the China Banking Association guideline's 22:00–08:00 night, less an hour
# in the morning for an owner who asks to be called before work).
OWNERS_REQUEST_EARLIEST = datetime.time(7, 0)
OWNERS_REQUEST_LATEST = datetime.time(22, 0)
# An agreed call-back lifts the quiet period this long either side of the agreed time.
CALLBACK_TOLERANCE = datetime.timedelta(hours=1)

# Exemption codes: a rule that did not apply to an attempt, and why. Each is stored on the
# attempt, marked on the timeline and reviewed by the office manager.
OWNERS_REQUESTED_TIME = "owners_requested_time"
AGREED_CALLBACK = "agreed_callback"
OWNER_WALKED_IN = "owner_walked_in"
EXEMPTION_CODES = (OWNERS_REQUESTED_TIME, AGREED_CALLBACK, OWNER_WALKED_IN)
# The rule each exemption set aside: what the attempt breaks if the review says it was
# not a real exemption.
EXEMPTED_RULE = {
    OWNERS_REQUESTED_TIME: HOURS,
    AGREED_CALLBACK: QUIET_AFTER_CONVERSATION,
    OWNER_WALKED_IN: HOURS,
}

# What each rule says and what to do instead. Placeholders are filled from the Rules.
_MESSAGES = {
    HOURS: _(
        "Calls, messages, visits, meetings at the office and papers handed over in person are "
        "allowed only from %(start)s to %(end)s local time. Contact the owner within those "
        "hours. A time the owner asked for (quote their words in the note) may fall between "
        "07:00 and 22:00, never later or earlier."
    ),
    CALLS_PER_DAY: ngettext_lazy(
        "At most %(limit)d call a day to a household. "
        "Call again tomorrow, or send a written notice instead.",
        "At most %(limit)d calls a day to a household. "
        "Call again tomorrow, or send a written notice instead.",
        "limit",
    ),
    CALLS_PER_7_DAYS: ngettext_lazy(
        "At most %(limit)d call to a household in any 7 days. "
        "Wait until the oldest call is more than 7 days ago, or send a written notice instead.",
        "At most %(limit)d calls to a household in any 7 days. "
        "Wait until the oldest call is more than 7 days ago, or send a written notice instead.",
        "limit",
    ),
    QUIET_AFTER_CONVERSATION: ngettext_lazy(
        "No collection call for %(days)d day after a conversation with the owner, unless the "
        "owner agreed a call-back time. Wait until then, call within an hour of the agreed "
        "call-back time, or write instead.",
        "No collection call for %(days)d days after a conversation with the owner, unless the "
        "owner agreed a call-back time. Wait until then, call within an hour of the agreed "
        "call-back time, or write instead.",
        "days",
    ),
    MESSAGES_PER_DAY: ngettext_lazy(
        "At most %(limit)d message (SMS and WeChat together) a day to a household. "
        "Send it tomorrow, or put it in a written notice.",
        "At most %(limit)d messages (SMS and WeChat together) a day to a household. "
        "Send it tomorrow, or put it in a written notice.",
        "limit",
    ),
    MESSAGES_PER_7_DAYS: ngettext_lazy(
        "At most %(limit)d message (SMS and WeChat together) to a household in any 7 days. "
        "Wait until the oldest message is more than 7 days ago, or use a written notice.",
        "At most %(limit)d messages (SMS and WeChat together) to a household in any 7 days. "
        "Wait until the oldest message is more than 7 days ago, or use a written notice.",
        "limit",
    ),
    MESSAGE_OPT_OUT: _(
        "Every SMS or WeChat message must tell the owner how to opt out of further messages. "
        "Add the opt-out line before sending."
    ),
    VISITS_PER_7_DAYS: ngettext_lazy(
        "At most %(limit)d visit to a household in any 7 days. Wait until the last visit is "
        "more than 7 days ago, or invite the owner to the management office or write instead.",
        "At most %(limit)d visits to a household in any 7 days. Wait until the oldest visit is "
        "more than 7 days ago, or invite the owner to the management office or write instead.",
        "limit",
    ),
    VISIT_STAFF_MAX: ngettext_lazy(
        "Never more than %(limit)d member of staff on a home visit. Send fewer people.",
        "Never more than %(limit)d staff on a home visit. Send fewer people.",
        "limit",
    ),
    VISIT_STAFF_RECOMMENDED: ngettext_lazy(
        "%(limit)d member of staff is recommended on a home visit.",
        "%(limit)d staff are recommended on a home visit, so that nobody visits alone. "
        "Take a second member of staff.",
        "limit",
    ),
    WRITTEN_ONLY: _(
        "The owner asked for written contact only: no calls, messages or visits. "
        "Send a written notice or demand instead; written demands and legal steps continue."
    ),
    THIRD_PARTY_DISCLOSURE: _(
        "An unrelated person may only be asked to pass on a request to contact the office; "
        "never tell them about the debt or ask them to pay or promise for the owner. "
        "Record only the request to contact the office."
    ),
    DISPUTED: _(
        "Every unpaid month of the household is under an open dispute: no collection calls, "
        "messages or visits about them until the office's written answer is delivered. "
        "Deliver the written answer first; a letter may state that the months are under "
        "review."
    ),
}
# The banner's words for a dispute in force: since when, and until what.
_DISPUTED_SINCE = _(
    "Under dispute since %(since)s, until the written answer is delivered: no collection "
    "calls, messages or visits about the disputed months. Deliver the written answer first."
)

# The legal or practice anchor of each rule (DESIGN.md §5), not legal advice.
_BASES = {
    HOURS: _(
        "Civil Code art. 1033 (peace of private life); China Banking Association collection "
        "guideline (no calls or visits 22:00–08:00); US practice (21:00–08:00 inconvenient)"
    ),
    CALLS_PER_DAY: _(
        "Civil Code art. 1033 (no disturbing calls); public-order law on repeated harassing "
        "messages and pestering"
    ),
    CALLS_PER_7_DAYS: _(
        "Civil Code art. 1033 (no disturbing calls); US practice (more than 7 calls in 7 days "
        "presumed harassment)"
    ),
    QUIET_AFTER_CONVERSATION: _(
        "Civil Code art. 1033 (no disturbing calls); US practice (a call within 7 days after "
        "a conversation presumed harassment)"
    ),
    MESSAGES_PER_DAY: _(
        "Civil Code art. 1033 (no disturbing messages); public-order law on repeated harassing "
        "messages"
    ),
    MESSAGES_PER_7_DAYS: _(
        "Civil Code art. 1033 (no disturbing messages); public-order law on repeated harassing "
        "messages"
    ),
    MESSAGE_OPT_OUT: _(
        "Civil Code art. 1033 (no disturbing messages); office contact policy (every message "
        "offers a way to opt out)"
    ),
    VISITS_PER_7_DAYS: _(
        "Civil Code art. 1033 (no entering a home without consent); public-order law on "
        "stalking and pestering"
    ),
    VISIT_STAFF_MAX: _(
        "Civil Code art. 1033 (peace of private life); public-order law on pestering; office "
        "contact policy (never more than 3 staff on a visit)"
    ),
    VISIT_STAFF_RECOMMENDED: _(
        "China Banking Association collection guideline (home visits by at least two staff)"
    ),
    WRITTEN_ONLY: _(
        "Civil Code art. 1033 (peace of private life); Civil Code art. 944 (demand payment, "
        "then sue or apply for arbitration: written demands and legal steps continue)"
    ),
    THIRD_PARTY_DISCLOSURE: _(
        "PIPL arts. 10 and 25 (no disclosure of an owner's debt without separate consent); "
        "Civil Code art. 1033"
    ),
    DISPUTED: _(
        "Civil Code art. 944 (demand payment within a reasonable period, then sue or "
        "arbitrate); Civil Code art. 1033 (no disturbing contact while the owner's dispute "
        "awaits the office's answer)"
    ),
}


_EXEMPTION_MESSAGES = {
    OWNERS_REQUESTED_TIME: _(
        "Outside the allowed hours of %(start)s–%(end)s, at a time the owner asked for (the "
        "owner's words are in the record)."
    ),
    AGREED_CALLBACK: _(
        "Within the quiet period after a conversation, within an hour of the call-back time "
        "the owner agreed."
    ),
    OWNER_WALKED_IN: _(
        "Outside the allowed hours of %(start)s–%(end)s: the owner came to the management "
        "office on their own."
    ),
}


def _require_aware(value: datetime.datetime, name: str) -> None:
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}")


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _zone(tz: datetime.tzinfo | None) -> datetime.tzinfo:
    if tz is not None:
        return tz
    from django.conf import settings

    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _local_moment(day: datetime.date, at: datetime.time, zone: datetime.tzinfo):
    return datetime.datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)


# --- How far an office may set its policy: stricter than the defaults, never looser ------
# One source of truth for the defaults of DESIGN.md §5.3: Rules, the ContactPolicy model's
# field defaults and CHECK constraints, its form and the clamping migration all read these.
STRICTER_IS_LOWER = "lower"  # a ceiling: fewer calls, an earlier end of the day
STRICTER_IS_HIGHER = "higher"  # a floor: a later start, a longer quiet period, more staff


@dataclass(frozen=True)
class PolicyLimit:
    """One number of the office policy: its default, which way is stricter, and its rule.

    The default is also the loosest value an office may choose (DESIGN.md §5.3). The rule
    code's basis (`_BASES`) is the legal anchor named when someone tries to go further.
    """

    field: str
    default: int | datetime.time
    stricter: str
    rule: str
    what: str = ""  # what the number counts, for the refusal message

    def allows(self, value) -> bool:
        """Whether `value` is the default or stricter."""
        if self.stricter == STRICTER_IS_LOWER:
            return value <= self.default
        return value >= self.default

    def clamp(self, value):
        """`value` if it is the default or stricter, else the default."""
        return value if value is not None and self.allows(value) else self.default

    @property
    def default_label(self) -> str:
        if isinstance(self.default, datetime.time):
            return f"{self.default:%H:%M}"
        return str(self.default)

    def hint(self) -> str:
        """The form's help text: the default and which way is stricter."""
        if isinstance(self.default, datetime.time):
            template = (
                _("Default %(default)s; later is stricter.")
                if self.stricter == STRICTER_IS_HIGHER
                else _("Default %(default)s; earlier is stricter.")
            )
        else:
            template = (
                _("Default %(default)s; fewer is stricter.")
                if self.stricter == STRICTER_IS_LOWER
                else _("Default %(default)s; more is stricter.")
            )
        return template % {"default": self.default_label}

    def refusal(self) -> str:
        """Why a looser value is refused: the default, which way to go, and the law."""
        if isinstance(self.default, datetime.time):
            template = (
                _(
                    "Contact may start at %(default)s at the earliest. An office may be "
                    "stricter, never looser: enter %(default)s or later. Basis: %(basis)s."
                )
                if self.stricter == STRICTER_IS_HIGHER
                else _(
                    "Contact must end by %(default)s at the latest. An office may be "
                    "stricter, never looser: enter %(default)s or earlier. Basis: %(basis)s."
                )
            )
        else:
            template = (
                _(
                    "The default is at most %(default)s %(what)s. An office may be stricter, "
                    "never looser: enter %(default)s or fewer. Basis: %(basis)s."
                )
                if self.stricter == STRICTER_IS_LOWER
                else _(
                    "The default is at least %(default)s %(what)s. An office may be stricter, "
                    "never looser: enter %(default)s or more. Basis: %(basis)s."
                )
            )
        return template % {
            "default": self.default_label,
            "what": self.what,
            "basis": _BASES[self.rule],
        }


POLICY_LIMITS = (
    PolicyLimit("allowed_from", datetime.time(8, 0), STRICTER_IS_HIGHER, HOURS),
    PolicyLimit("allowed_until", datetime.time(21, 0), STRICTER_IS_LOWER, HOURS),
    PolicyLimit(
        "calls_per_day", 2, STRICTER_IS_LOWER, CALLS_PER_DAY, _("calls a day to a household")
    ),
    PolicyLimit(
        "calls_per_7_days",
        7,
        STRICTER_IS_LOWER,
        CALLS_PER_7_DAYS,
        _("calls to a household in any 7 days"),
    ),
    PolicyLimit(
        "quiet_days_after_conversation",
        7,
        STRICTER_IS_HIGHER,
        QUIET_AFTER_CONVERSATION,
        _("days without a collection call after a conversation with the owner"),
    ),
    PolicyLimit(
        "messages_per_day",
        1,
        STRICTER_IS_LOWER,
        MESSAGES_PER_DAY,
        _("message (SMS and WeChat together) a day to a household"),
    ),
    PolicyLimit(
        "messages_per_7_days",
        3,
        STRICTER_IS_LOWER,
        MESSAGES_PER_7_DAYS,
        _("messages (SMS and WeChat together) to a household in any 7 days"),
    ),
    PolicyLimit(
        "visits_per_7_days",
        1,
        STRICTER_IS_LOWER,
        VISITS_PER_7_DAYS,
        _("visit to a household in any 7 days"),
    ),
    # Advice, never a breach, but advice towards more care: two staff so that nobody visits
    # alone. Recommending one would advise lone visits, so 2 is the floor; the recommendation
    # may rise to the maximum (the model checks recommended <= maximum).
    PolicyLimit(
        "visit_staff_recommended",
        2,
        STRICTER_IS_HIGHER,
        VISIT_STAFF_RECOMMENDED,
        _("staff recommended on a home visit"),
    ),
    PolicyLimit(
        "visit_staff_max", 3, STRICTER_IS_LOWER, VISIT_STAFF_MAX, _("staff on a home visit")
    ),
)
POLICY_LIMIT_BY_FIELD = {limit.field: limit for limit in POLICY_LIMITS}
POLICY_DEFAULTS = {limit.field: limit.default for limit in POLICY_LIMITS}


def policy_refusals(values) -> dict[str, str]:
    """{field: why} for every number of a policy (any object with its attributes) that is
    looser than the default. A missing or None attribute is left to the caller."""
    refusals = {}
    for limit in POLICY_LIMITS:
        value = getattr(values, limit.field, None)
        if value is not None and not limit.allows(value):
            refusals[limit.field] = limit.refusal()
    return refusals


@dataclass(frozen=True)
class Rules:
    """An office's contact limits; the defaults are DESIGN.md §5.3 and ContactPolicy's."""

    allowed_from: datetime.time = POLICY_DEFAULTS["allowed_from"]
    allowed_until: datetime.time = POLICY_DEFAULTS["allowed_until"]
    calls_per_day: int = POLICY_DEFAULTS["calls_per_day"]
    calls_per_7_days: int = POLICY_DEFAULTS["calls_per_7_days"]
    quiet_days_after_conversation: int = POLICY_DEFAULTS["quiet_days_after_conversation"]
    messages_per_day: int = POLICY_DEFAULTS["messages_per_day"]
    messages_per_7_days: int = POLICY_DEFAULTS["messages_per_7_days"]
    visits_per_7_days: int = POLICY_DEFAULTS["visits_per_7_days"]
    visit_staff_recommended: int = POLICY_DEFAULTS["visit_staff_recommended"]
    visit_staff_max: int = POLICY_DEFAULTS["visit_staff_max"]

    @classmethod
    def from_policy(cls, policy) -> Rules:
        """Rules from a ContactPolicy (or anything with its attributes); None → defaults.

        An attribute the object lacks, or that is None, keeps the product default. A value
        looser than the default (a stale object, a row written past the constraints) also
        gets the default: the rules an office gets are never looser than DESIGN.md §5.3.
        """
        if policy is None:
            return cls()
        defaults = cls()
        values = {}
        for name in cls.__dataclass_fields__:
            value = getattr(policy, name, None)
            limit = POLICY_LIMIT_BY_FIELD.get(name)
            if limit is not None:
                values[name] = limit.clamp(value)
            else:
                values[name] = getattr(defaults, name) if value is None else value
        return cls(**values)


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class Attempt:
    """A past or proposed contact attempt on one household."""

    occurred_at: datetime.datetime
    channel: str
    person_contacted: str = "owner"
    outcome: str = ""
    at_owners_request: bool = False
    staff_count: int | None = None
    message_has_opt_out: bool = True
    third_party_told_of_debt: bool = False
    callback_at: datetime.datetime | None = None
    # Who this attempt is: the ContactAttempt's pk, None for one not saved yet. Attempts at
    # the same minute are told apart by it, never by comparing their fields.
    key: int | None = None
    owner_walked_in: bool = False  # an office meeting the owner started, unasked
    delivered_in_person: bool = False  # a paper handed to a person, not posted

    def __post_init__(self):
        _require_aware(self.occurred_at, "occurred_at")
        if self.callback_at is not None:
            _require_aware(self.callback_at, "callback_at")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown contact channel: {self.channel!r}")
        if self.person_contacted not in PERSONS:
            raise ValueError(f"unknown person contacted: {self.person_contacted!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome: {self.outcome!r}")

    @property
    def is_conversation(self) -> bool:
        return _is_conversation(self)


@dataclass(frozen=True)
class Breach:
    code: str
    message: str
    basis: str
    # The message's lazy template and parameters, for words put in a reader's language later
    # (an inbox notice, issue 16.8).
    template: object = field(default=None, compare=False, repr=False)
    params: dict | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Exemption:
    """A rule that was set aside for an attempt, and why: on the record, for review."""

    code: str
    rule: str  # the rule code it set aside
    message: str
    template: object = field(default=None, compare=False, repr=False)
    params: dict | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Verdict:
    breaches: tuple[Breach, ...] = ()
    warnings: tuple[Breach, ...] = ()
    exemptions: tuple[Exemption, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.breaches

    @property
    def breach_codes(self) -> list[str]:
        """The codes to store on ContactAttempt.breaches."""
        return [b.code for b in self.breaches]

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]

    @property
    def exemption_codes(self) -> list[str]:
        """The codes to store on ContactAttempt.exemptions."""
        return [e.code for e in self.exemptions]


@dataclass(frozen=True)
class Availability:
    allowed: bool
    reasons: tuple[Breach, ...] = field(default=())
    allowed_from: datetime.datetime | None = None


def _params(rules: Rules) -> dict[str, object]:
    return {
        HOURS: {
            "start": rules.allowed_from.strftime("%H:%M"),
            "end": rules.allowed_until.strftime("%H:%M"),
        },
        CALLS_PER_DAY: {"limit": rules.calls_per_day},
        CALLS_PER_7_DAYS: {"limit": rules.calls_per_7_days},
        QUIET_AFTER_CONVERSATION: {"days": rules.quiet_days_after_conversation},
        MESSAGES_PER_DAY: {"limit": rules.messages_per_day},
        MESSAGES_PER_7_DAYS: {"limit": rules.messages_per_7_days},
        VISITS_PER_7_DAYS: {"limit": rules.visits_per_7_days},
        VISIT_STAFF_MAX: {"limit": rules.visit_staff_max},
        VISIT_STAFF_RECOMMENDED: {"limit": rules.visit_staff_recommended},
    }


def make_breach(
    code: str, rules: Rules = DEFAULT_RULES, *, since: datetime.datetime | None = None
) -> Breach:
    """The Breach (or warning) for a rule code, worded in the active language. `since`: for
    DISPUTED, the moment the dispute pause began (local time), named in the words."""
    template = _MESSAGES[code]
    params = _params(rules).get(code)
    if code == DISPUTED and since is not None:
        template = _DISPUTED_SINCE
        params = {"since": f"{since:%Y-%m-%d %H:%M}"}
    message = template % params if params else str(template)
    return Breach(
        code=code,
        message=str(message),
        basis=str(_BASES[code]),
        template=template,
        params=params or {},
    )


def make_exemption(code: str, rules: Rules = DEFAULT_RULES) -> Exemption:
    """The Exemption for an exemption code, worded in the active language."""
    params = _params(rules)[HOURS]
    message = _EXEMPTION_MESSAGES[code] % params
    return Exemption(
        code=code,
        rule=EXEMPTED_RULE[code],
        message=str(message),
        template=_EXEMPTION_MESSAGES[code],
        params=params,
    )


def rule_catalogue(rules: Rules = DEFAULT_RULES) -> list[tuple[str, str, str]]:
    """(code, message, basis) for every rule, in reporting order, for the help page."""
    return [(b.code, b.message, b.basis) for b in (make_breach(c, rules) for c in RULE_CODES)]


def within_allowed_hours(moment: datetime.datetime, rules: Rules = DEFAULT_RULES, tz=None) -> bool:
    """Whether `moment`'s local time is in [allowed_from, allowed_until)."""
    _require_aware(moment, "moment")
    local = moment.astimezone(_zone(tz)).time()
    return (
        rules.allowed_from.replace(tzinfo=None) <= local < rules.allowed_until.replace(tzinfo=None)
    )


def _within(moment: datetime.datetime, start: datetime.time, end: datetime.time, zone) -> bool:
    local = moment.astimezone(zone).time()
    return start.replace(tzinfo=None) <= local < end.replace(tzinfo=None)


def is_hour_limited(attempt) -> bool:
    """Whether the attempt reaches the owner directly and so keeps to the allowed hours."""
    if attempt.channel in HOUR_LIMITED_CHANNELS:
        return True
    return attempt.channel in PAPER_CHANNELS and getattr(attempt, "delivered_in_person", False)


def _is_conversation(attempt) -> bool:
    return attempt.person_contacted in OWNER_PERSONS and attempt.outcome in CONVERSATION_OUTCOMES


def _relevant_history(attempt: Attempt, history: Iterable, *, exclude_itself=True) -> list:
    """History up to and including the attempt's moment, without the attempt itself.

    The attempt is told apart by identity only: the same object, or an entry with the same
    `key` (the saved row). Entries at the very same moment count when they were saved before
    it: all of them for an attempt not saved yet, those with a smaller key for a saved one.
    `exclude_itself` is kept for callers; a probe is never in the history anyway.
    """
    key = attempt.key
    at = _utc(attempt.occurred_at)
    earlier = []
    for entry in history:
        if entry is attempt:
            continue
        _require_aware(entry.occurred_at, "history occurred_at")
        entry_key = getattr(entry, "key", None)
        if key is not None and entry_key == key:
            continue
        entry_at = _utc(entry.occurred_at)
        if entry_at > at:
            continue
        if entry_at == at and key is not None and entry_key is not None and entry_key > key:
            continue  # saved after the attempt: it did not count against it
        earlier.append(entry)
    return earlier


def _as_local_date(value, zone) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.astimezone(zone).date() if value.tzinfo else value.date()
    return value


def check_attempt(
    attempt: Attempt,
    *,
    history: Sequence[Attempt],
    rules: Rules = DEFAULT_RULES,
    written_only_since: datetime.date | None = None,
    tz: datetime.tzinfo | None = None,
    disputed_since: datetime.datetime | None = None,
) -> Verdict:
    """Every rule of DESIGN.md §5.3 that `attempt` breaks, given the household's history.

    `history` may hold attempts in any order, attempts after `attempt` (ignored) and the
    attempt itself (the same object, or the entry with its `key`: not counted). Every other
    entry counts, however alike: two calls at the same minute are two calls. Past attempts
    count towards the limits whether or not they were breaches themselves: they happened.
    The verdict also lists the exemptions applied (a time the owner asked for, an agreed
    call-back, an owner who walked in), which the caller stores for review.

    `disputed_since`: the moment from which every unpaid month was under an open dispute, as
    it stood at the attempt's moment (households.disputes.household_pause); a call, message or
    visit in a later minute breaks DISPUTED. The call in the very minute the dispute was
    recorded is the one in which the owner raised it: not a breach.
    """
    return _check(
        attempt,
        history,
        rules,
        written_only_since,
        _zone(tz),
        exclude_itself=True,
        disputed_since=disputed_since,
    )


def _minute(value: datetime.datetime) -> datetime.datetime:
    return _utc(value).replace(second=0, microsecond=0)


def _check(
    attempt, history, rules, written_only_since, zone, *, exclude_itself, disputed_since=None
) -> Verdict:
    earlier = _relevant_history(attempt, history, exclude_itself=exclude_itself)
    at = _utc(attempt.occurred_at)
    local = attempt.occurred_at.astimezone(zone)
    today = local.date()
    window_start = at - WINDOW
    channel = attempt.channel

    def same_day(channels):
        return 1 + sum(
            1
            for e in earlier
            if e.channel in channels and e.occurred_at.astimezone(zone).date() == today
        )

    def in_window(channels):
        return 1 + sum(
            1 for e in earlier if e.channel in channels and _utc(e.occurred_at) > window_start
        )

    codes: list[str] = []
    warnings: list[str] = []
    exemptions: list[str] = []

    if is_hour_limited(attempt) and not within_allowed_hours(attempt.occurred_at, rules, zone):
        if channel == OFFICE_MEETING and getattr(attempt, "owner_walked_in", False):
            exemptions.append(OWNER_WALKED_IN)
        elif attempt.at_owners_request and _within(
            attempt.occurred_at, OWNERS_REQUEST_EARLIEST, OWNERS_REQUEST_LATEST, zone
        ):
            exemptions.append(OWNERS_REQUESTED_TIME)
        else:
            codes.append(HOURS)

    if channel == PHONE_CALL:
        calls = {PHONE_CALL}
        if same_day(calls) > rules.calls_per_day:
            codes.append(CALLS_PER_DAY)
        if in_window(calls) > rules.calls_per_7_days:
            codes.append(CALLS_PER_7_DAYS)
        quiet = _quiet_period(attempt, earlier, rules)
        if quiet == AGREED_CALLBACK:
            exemptions.append(AGREED_CALLBACK)
        elif quiet:
            codes.append(QUIET_AFTER_CONVERSATION)

    if channel in MESSAGE_CHANNELS:
        if same_day(MESSAGE_CHANNELS) > rules.messages_per_day:
            codes.append(MESSAGES_PER_DAY)
        if in_window(MESSAGE_CHANNELS) > rules.messages_per_7_days:
            codes.append(MESSAGES_PER_7_DAYS)
        if not attempt.message_has_opt_out:
            codes.append(MESSAGE_OPT_OUT)

    if channel == HOME_VISIT:
        if in_window({HOME_VISIT}) > rules.visits_per_7_days:
            codes.append(VISITS_PER_7_DAYS)
        staff = attempt.staff_count
        if staff is not None and staff > rules.visit_staff_max:
            codes.append(VISIT_STAFF_MAX)
        if staff is None or staff < rules.visit_staff_recommended:
            warnings.append(VISIT_STAFF_RECOMMENDED)

    if (
        written_only_since is not None
        and channel in PERSONAL_CHANNELS
        and today >= _as_local_date(written_only_since, zone)
    ):
        codes.append(WRITTEN_ONLY)

    if attempt.person_contacted == UNRELATED and (
        attempt.third_party_told_of_debt or attempt.outcome in DEBT_DISCUSSED_OUTCOMES
    ):
        codes.append(THIRD_PARTY_DISCLOSURE)

    if disputed_since is not None and channel in PERSONAL_CHANNELS:
        _require_aware(disputed_since, "disputed_since")
        started, at_minute = _minute(disputed_since), _minute(attempt.occurred_at)
        # A logged attempt in the dispute's own minute is where the owner raised it; a probe
        # (what may be done now) is refused from that minute on.
        if at_minute > started or (not exclude_itself and at_minute >= started):
            codes.append(DISPUTED)

    since_local = disputed_since.astimezone(zone) if disputed_since is not None else None
    return Verdict(
        breaches=tuple(make_breach(c, rules, since=since_local) for c in codes),
        warnings=tuple(make_breach(c, rules) for c in warnings),
        exemptions=tuple(make_exemption(c, rules) for c in exemptions),
    )


def _quiet_period(attempt: Attempt, earlier: list, rules: Rules) -> bool | str:
    """False outside the quiet period after the latest conversation; inside it, True, or
    AGREED_CALLBACK when the call is within an hour of the call-back time that conversation
    agreed. A time the owner asked for does not lift it: only an agreed call-back does."""
    conversations = [e for e in earlier if _is_conversation(e)]
    if not conversations:
        return False
    at = _utc(attempt.occurred_at)
    latest_at = max(_utc(e.occurred_at) for e in conversations)
    if at - latest_at >= datetime.timedelta(days=rules.quiet_days_after_conversation):
        return False
    for e in conversations:
        if _utc(e.occurred_at) == latest_at:
            callback = getattr(e, "callback_at", None)
            if callback is not None and abs(at - _utc(callback)) <= CALLBACK_TOLERANCE:
                return AGREED_CALLBACK
    return True


def _probe(moment: datetime.datetime, channel: str, rules: Rules) -> Attempt:
    return Attempt(
        occurred_at=moment,
        channel=channel,
        staff_count=rules.visit_staff_recommended if channel == HOME_VISIT else None,
    )


def _candidates(now, history: list, rules: Rules, zone) -> list[datetime.datetime]:
    """Moments at which some limit lifts: where the next allowed moment must be."""
    start = _utc(now)
    horizon = start + SEARCH_HORIZON
    today = now.astimezone(zone).date()
    found = set()
    for offset in range(SEARCH_HORIZON.days + 2):
        day = today + datetime.timedelta(days=offset)
        found.add(_utc(_local_moment(day, datetime.time(0, 0), zone)))
        found.add(_utc(_local_moment(day, rules.allowed_from, zone)))
    quiet = datetime.timedelta(days=rules.quiet_days_after_conversation)
    for entry in history:
        at = _utc(entry.occurred_at)
        found.add(at + WINDOW)  # the moment it leaves the rolling window
        if _is_conversation(entry):
            found.add(at + quiet)
            callback = getattr(entry, "callback_at", None)
            if callback is not None:
                found.add(_utc(callback) - CALLBACK_TOLERANCE)
    return sorted(moment for moment in found if start < moment <= horizon)


def contact_availability(
    now: datetime.datetime,
    *,
    history: Sequence[Attempt],
    rules: Rules = DEFAULT_RULES,
    written_only_since: datetime.date | None = None,
    tz: datetime.tzinfo | None = None,
    channel: str = PHONE_CALL,
    disputed_since: datetime.datetime | None = None,
) -> Availability:
    """Is contact by `channel` allowed at `now`; if not, why, and from when (local time).

    `allowed_from` is None when contact is allowed now, when the household asked for
    written contact only, while its unpaid months are under an open dispute
    (`disputed_since`), or when no moment in the next 14 days would pass.
    """
    _require_aware(now, "now")
    zone = _zone(tz)
    history = list(history)

    def check(moment):
        # A hypothetical attempt: nothing in the history is "it", so nothing is left out.
        probe = _probe(moment, channel, rules)
        return _check(
            probe,
            history,
            rules,
            written_only_since,
            zone,
            exclude_itself=False,
            disputed_since=disputed_since,
        )

    verdict = check(now)
    if verdict.ok:
        return Availability(allowed=True, reasons=(), allowed_from=None)
    if WRITTEN_ONLY in verdict.breach_codes or DISPUTED in verdict.breach_codes:
        # Until the owner withdraws in writing / until the written answer is delivered.
        return Availability(allowed=False, reasons=verdict.breaches, allowed_from=None)

    for moment in _candidates(now, history, rules, zone):
        later = check(moment)
        if later.ok:
            return Availability(
                allowed=False, reasons=verdict.breaches, allowed_from=moment.astimezone(zone)
            )
        if WRITTEN_ONLY in later.breach_codes:
            break  # written-only from that date on: never again by this channel
    return Availability(allowed=False, reasons=verdict.breaches, allowed_from=None)
