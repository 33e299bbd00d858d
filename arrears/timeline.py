"""One timeline of everything that happened on a case, newest first."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from households.models import ContactAttempt, OnSiteTip

from .models import Case, DifficultIssue, Payment, PromiseToPay


@dataclass(frozen=True)
class Entry:
    when: datetime.datetime
    kind: str  # attempt, payment, reversal, promise, tip, issue
    title: str
    detail: str
    actor: str
    flagged: bool = False


def _name(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return (profile.display_name if profile else "") or user.get_username()


def case_timeline(case: Case) -> list[Entry]:
    """Attempts, payments, promises, tips and difficult issues: five queries in all."""
    entries: list[Entry] = []
    attempts = ContactAttempt.objects.filter(household_id=case.household_id).select_related(
        "made_by__staff_profile"
    )
    for a in attempts:
        entries.append(
            Entry(
                a.occurred_at,
                "attempt",
                f"{a.get_channel_display()} · {a.get_outcome_display()}",
                " ".join(x for x in (a.notes, a.next_step and _("Next: %s") % a.next_step) if x),
                _name(a.made_by),
                flagged=bool(a.breaches or a.flagged_terms),
            )
        )
    payments = Payment.objects.filter(household_id=case.household_id).select_related(
        "recorded_by__staff_profile"
    )
    for p in payments:
        is_reversal = p.kind == Payment.Kind.REVERSAL
        title = (_("Reversal ¥%(amount)s") if is_reversal else _("Payment ¥%(amount)s")) % {
            "amount": f"{p.amount:,.2f}"
        }
        detail = p.note if is_reversal else f"{p.get_method_display()} {p.receipt_no}".strip()
        entries.append(
            Entry(
                p.paid_at,
                "reversal" if is_reversal else "payment",
                title,
                detail,
                _name(p.recorded_by),
            )
        )
    for pr in PromiseToPay.objects.filter(case=case).select_related("recorded_by__staff_profile"):
        entries.append(
            Entry(
                pr.recorded_at,
                "promise",
                _("Promise ¥%(amount)s by %(date)s")
                % {"amount": f"{pr.amount:,.2f}", "date": f"{pr.due_date:%Y-%m-%d}"},
                "",
                _name(pr.recorded_by),
            )
        )
    for tip in OnSiteTip.objects.filter(household_id=case.household_id).select_related(
        "reported_by__staff_profile"
    ):
        entries.append(
            Entry(tip.reported_at, "tip", tip.get_kind_display(), tip.note, _name(tip.reported_by))
        )
    for issue in DifficultIssue.objects.filter(case=case).select_related(
        "raised_by__staff_profile"
    ):
        entries.append(
            Entry(issue.raised_at, "issue", issue.title, issue.description, _name(issue.raised_by))
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
