"""Where a case stands on the lawful ladder, whether the legal stage may open, and which
route to suggest (DESIGN.md §5.4). Plain functions of facts; decision support, not legal advice.

The ladder: reminder → written notice → demand with a deadline → owners' committee or
lawyer's letter → mediation → payment order, arbitration or suit. Courts have dismissed fee
claims where no written demand could be proven (Civil Code art. 944 lets the provider demand
payment within a reasonable period, *then* sue), so the legal stage opens only after a
formal demand was delivered and the deadline it gave has passed.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

REMINDER = "reminder"
NOTICE = "notice"
DEMAND = "demand"
COMMITTEE_OR_LAWYER = "committee_or_lawyer"
MEDIATION = "mediation"
LEGAL = "legal"

RUNGS = [
    (REMINDER, _("Reminders: calls, messages, visits")),
    (NOTICE, _("Written payment notice")),
    (DEMAND, _("Formal demand with a deadline, delivered")),
    (COMMITTEE_OR_LAWYER, _("Owners' committee or lawyer's letter")),
    (MEDIATION, _("Mediation")),
    (LEGAL, _("Payment order, arbitration or suit")),
]
ORDER = {code: i for i, (code, _label) in enumerate(RUNGS)}

REMINDER_CHANNELS = frozenset({"phone_call", "sms", "wechat", "home_visit", "office_meeting"})


@dataclass(frozen=True)
class Facts:
    """What the case records, reduced to what the ladder needs."""

    channels: frozenset[str] = frozenset()  # channels of attempts not withdrawn
    notice_sent: bool = False
    demand_delivered: bool = False
    legal_stage: bool = False  # a legal action is open, or one was filed


def ladder_position(facts: Facts) -> str | None:
    """The highest rung the case has reached, or None before any contact.

    The legal rung comes from the legal stage alone: a payment order, suit or arbitration
    logged on the contact form is a claim (see escalation.limitation_records), not a filing."""
    if facts.legal_stage:
        return LEGAL
    if "mediation" in facts.channels:
        return MEDIATION
    if facts.channels & {"committee_urging", "lawyer_letter"}:
        return COMMITTEE_OR_LAWYER
    if facts.demand_delivered:
        return DEMAND
    # A written notice or demand logged as an attempt (not issued here) proves no deadline,
    # so it reaches the notice rung, not the demand rung.
    if facts.notice_sent or facts.channels & {"payment_notice", "written_demand"}:
        return NOTICE
    if facts.channels & REMINDER_CHANNELS:
        return REMINDER
    return None


@dataclass(frozen=True)
class Rung:
    code: str
    label: str
    reached: bool
    current: bool


def ladder(facts: Facts) -> list[Rung]:
    at = ladder_position(facts)
    level = ORDER[at] if at else -1
    return [Rung(code, label, ORDER[code] <= level, code == at) for code, label in RUNGS]


@dataclass(frozen=True)
class DeliveredDemand:
    delivered_on: datetime.date
    deadline: datetime.date


NO_DEMAND = "no_demand"
DEADLINE_NOT_PASSED = "deadline_not_passed"
ALREADY_OPEN = "already_open"
NOTHING_OWED = "nothing_owed"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def legal_stage_refusal(
    demands: Iterable[DeliveredDemand],
    *,
    today: datetime.date,
    already_open: bool = False,
    balance=None,
) -> Refusal | None:
    """Why the legal stage may not open today, or None when it may.

    Only a delivered demand counts (one merely sent proves nothing), and only once the
    deadline it gave the owner has passed: the owner may pay up to and including that day.
    """
    if already_open:
        return Refusal(ALREADY_OPEN, str(_("The legal stage is already open for this case.")))
    if balance is not None and balance <= 0:
        return Refusal(NOTHING_OWED, str(_("Nothing is owed in this campaign.")))
    demands = sorted(demands, key=lambda d: d.deadline)
    if not demands:
        return Refusal(
            NO_DEMAND,
            str(
                _(
                    "No formal demand has been delivered. Print a demand with a deadline of at "
                    "least 15 days, deliver it with proof and record the delivery first."
                )
            ),
        )
    if demands[0].deadline >= today:
        first = demands[0]
        return Refusal(
            DEADLINE_NOT_PASSED,
            str(
                _(
                    "The demand delivered on %(delivered)s gives the owner until %(deadline)s to "
                    "pay. The legal stage can open from %(opens)s."
                )
            )
            % {
                "delivered": date_format(first.delivered_on, "Y-m-d"),
                "deadline": date_format(first.deadline, "Y-m-d"),
                "opens": date_format(first.deadline + datetime.timedelta(days=1), "Y-m-d"),
            },
        )
    return None


PAYMENT_ORDER = "payment_order"
ARBITRATION = "arbitration"
LAWSUIT = "lawsuit"


@dataclass(frozen=True)
class RouteSuggestion:
    route: str
    reasons: list[str]


def suggest_route(
    *, disputed: bool, serviceable: bool, arbitration_clause: bool, classified: bool = True
) -> RouteSuggestion:
    """§5.4: arbitration only with a clause; a payment order where the amount is fixed,
    undisputed and the owner can be served; otherwise a suit, with mediation offered.
    A case not yet classified is not known to be undisputed: never a payment order."""
    if arbitration_clause:
        return RouteSuggestion(
            ARBITRATION,
            [
                str(
                    _(
                        "The service contract has an arbitration clause: the claim goes to the "
                        "arbitration commission it names, not to court."
                    )
                )
            ],
        )
    reasons = [str(_("The service contract has no arbitration clause, so arbitration is out."))]
    if not disputed and serviceable and classified:
        reasons.append(
            str(
                _(
                    "The amount is fixed by the ledger, the owner has raised no dispute and can "
                    "be served: a payment order (支付令) is the quickest and cheapest route."
                )
            )
        )
        return RouteSuggestion(PAYMENT_ORDER, reasons)
    if not classified:
        reasons.append(
            str(
                _(
                    "The case is not yet classified: nobody has found out why the owner does not "
                    "pay, so the fees are not known to be undisputed. Set its category first."
                )
            )
        )
    if disputed:
        reasons.append(
            str(
                _(
                    "The owner disputes the fees (an open difficult issue, a grievance or a "
                    "recorded dispute): a payment order would fall at the first objection."
                )
            )
        )
    if not serviceable:
        reasons.append(
            str(
                _(
                    "The owner cannot be served reliably (unreachable, or a letter came back): "
                    "a payment order cannot be served by public notice."
                )
            )
        )
    reasons.append(str(_("So: a suit, with mediation offered before the hearing (诉前调解).")))
    return RouteSuggestion(LAWSUIT, reasons)


def route_refusal(route: str, *, arbitration_clause: bool) -> str | None:
    if route == ARBITRATION and not arbitration_clause:
        return str(
            _(
                "Arbitration needs an arbitration clause in the service contract, and this "
                "office's contract has none. Choose a payment order or a suit."
            )
        )
    if route == LAWSUIT and arbitration_clause:
        # A valid arbitration clause takes the contract's disputes away from the courts: a
        # suit would be dismissed. (A payment order stays open: it is not a trial.)
        return str(
            _(
                "The service contract has an arbitration clause: a court would dismiss a suit. "
                "Apply for arbitration, or for a payment order."
            )
        )
    return None
