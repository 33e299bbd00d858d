"""One timeline of everything that happened on a case, newest first."""

import datetime
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.backdating import is_backdated
from arrears.models import Case, DifficultIssue, Payment, PromiseToPay
from arrears.people import person_name
from arrears.promises import LABELS, promises_with_state
from escalation.models import StatementEvent, StatementLink
from households.contact import WITHDRAWN_IN_WRITING
from households.models import (
    ContactAttempt,
    Dispute,
    Household,
    OnSiteTip,
    WrittenOnlyWithdrawal,
)


@dataclass(frozen=True)
class Entry:
    when: datetime.datetime
    kind: str  # attempt, payment, reversal, promise, tip, issue, written_only*
    title: str
    detail: str
    actor: str
    breaches: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # advice the attempt did not follow (a solo visit)
    exemptions: tuple[str, ...] = ()  # rules set aside (households.contact_policy codes)
    exemption_note: str = ""  # the owner's request, in their words
    review: str = ""  # the office manager's review of the exemptions, if any
    flags: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()  # (url, file name)
    state: str = ""  # a promise's kept / broken / pending
    state_label: str = ""
    link: str = ""
    payment_id: int | None = None  # a payment that may still be reversed
    # Backdated (补录): dated more than settings.BACKDATE_DAYS before it was entered.
    entered_at: datetime.datetime | None = None
    backdated: bool = False
    backdate_approved: bool = False  # the office manager let it count in its earlier month
    approvable_id: int | None = None  # a backdated payment still awaiting that approval
    attempt_id: int | None = None  # a contact attempt's own entry
    extra: dict = field(default_factory=dict)


def case_timeline(case: Case) -> list[Entry]:
    """Attempts (with evidence), payments, promises, tips, difficult issues, the owner's
    written-only requests and withdrawals, disputes and their steps, and the owner's statement
    links (issued, revoked, opened, acted on): thirteen queries."""
    entries: list[Entry] = []
    attempts = (
        ContactAttempt.objects.filter(household_id=case.household_id)
        .select_related("made_by__staff_profile", "exemption_review__reviewed_by__staff_profile")
        .prefetch_related("evidence")
    )
    for a in attempts:
        review = a.review
        entries.append(
            Entry(
                a.occurred_at,
                "attempt",
                f"{a.get_channel_display()} · {a.get_person_contacted_display()} · {a.get_outcome_display()}",
                " ".join(
                    x
                    for x in (a.notes, a.next_step and _("Next: %(step)s") % {"step": a.next_step})
                    if x
                ),
                person_name(a.made_by),
                breaches=tuple(a.all_breaches),
                warnings=tuple(a.warnings),
                exemptions=tuple(a.exemptions),
                exemption_note=a.owners_request_note,
                review=(
                    _("%(decision)s by %(name)s")
                    % {
                        "decision": review.get_decision_display(),
                        "name": person_name(review.reviewed_by),
                    }
                    if review
                    else (_("awaiting the office manager's review") if a.exemptions else "")
                ),
                flags=tuple(a.flagged_terms),
                entered_at=a.recorded_at,
                backdated=is_backdated(a.occurred_at, a.recorded_at),
                evidence=tuple(
                    (reverse("evidence-file", args=[e.pk]), e.original_name)
                    for e in a.evidence.all()
                ),
                attempt_id=a.pk,
            )
        )
    payments = Payment.objects.filter(household_id=case.household_id).select_related(
        "recorded_by__staff_profile", "reversed_by", "backdate_approval"
    )
    for p in payments:
        is_reversal = p.kind == Payment.Kind.REVERSAL
        title = (_("Reversal ¥%(amount)s") if is_reversal else _("Payment ¥%(amount)s")) % {
            "amount": f"{p.amount:,.2f}"
        }
        detail = (
            p.note
            if is_reversal
            else " ".join(x for x in (p.get_method_display(), p.receipt_no, p.note) if x)
        )
        reversed_already = not is_reversal and hasattr(p, "reversed_by")
        backdated = is_backdated(p.paid_at, p.recorded_at)
        approved = hasattr(p, "backdate_approval")
        entries.append(
            Entry(
                p.paid_at,
                "reversal" if is_reversal else "payment",
                title + (" " + _("(reversed)") if reversed_already else ""),
                detail,
                person_name(p.recorded_by),
                payment_id=None if is_reversal or reversed_already else p.pk,
                entered_at=p.recorded_at,
                backdated=backdated,
                backdate_approved=approved,
                approvable_id=p.pk if backdated and not approved and not is_reversal else None,
            )
        )
    promises = promises_with_state(
        PromiseToPay.objects.filter(case=case).select_related("recorded_by__staff_profile"),
        today=timezone.localdate(),
    )
    for pr in promises:
        entries.append(
            Entry(
                pr.recorded_at,
                "promise",
                _("Promise ¥%(amount)s by %(date)s")
                % {"amount": f"{pr.amount:,.2f}", "date": f"{pr.due_date:%Y-%m-%d}"},
                _("¥%(paid)s paid since") % {"paid": f"{pr.paid_since:,.2f}"},
                person_name(pr.recorded_by),
                state=pr.state,
                state_label=str(LABELS[pr.state]),
            )
        )
    for tip in OnSiteTip.objects.filter(household_id=case.household_id).select_related(
        "reported_by__staff_profile"
    ):
        entries.append(
            Entry(
                tip.reported_at,
                "tip",
                tip.get_kind_display(),
                tip.note,
                person_name(tip.reported_by),
            )
        )
    for issue in DifficultIssue.objects.filter(case=case).select_related(
        "raised_by__staff_profile"
    ):
        entries.append(
            Entry(
                issue.raised_at,
                "issue",
                f"{issue.title} · {issue.get_status_display()}",
                issue.decision or issue.description,
                person_name(issue.raised_by),
                link=reverse("issue-detail", args=[issue.pk]),
            )
        )
    entries.extend(_written_only_entries(case.household_id))
    entries.extend(_dispute_entries(case.household_id))
    entries.extend(_statement_entries(case))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _dispute_entries(household_id: int) -> list[Entry]:
    """Each dispute as recorded, and each step after it (issue 17.2): two queries."""
    entries = []
    disputes = (
        Dispute.objects.filter(household_id=household_id)
        .select_related("recorded_by__staff_profile")
        .prefetch_related("events__recorded_by__staff_profile")
    )
    for dispute in disputes:
        link = reverse("dispute-detail", args=[dispute.pk])
        what = dispute.get_kind_display()
        if dispute.cause:
            what = f"{what}: {dispute.get_cause_display()}"
        entries.append(
            Entry(
                dispute.recorded_at,
                "dispute",
                _("Dispute recorded: %(what)s") % {"what": what},
                dispute.words,
                person_name(dispute.recorded_by) if dispute.recorded_by else "",
                link=link,
            )
        )
        for event in dispute.events.all():
            entries.append(
                Entry(
                    event.happened_at,
                    "dispute_step",
                    f"{what} · {event.get_kind_display()}",
                    event.note,
                    person_name(event.recorded_by),
                    link=link,
                )
            )
    return entries


def _statement_entries(case: Case) -> list[Entry]:
    """The owner's statement links: each issued, revoked, opened and acted on (two queries)."""
    entries = []
    links = StatementLink.objects.filter(case=case).select_related(
        "issued_by__staff_profile", "revocation__revoked_by__staff_profile"
    )
    for link in links:
        entries.append(
            Entry(
                link.issued_at,
                "statement_link",
                _("Statement link issued (valid until %(day)s)")
                % {"day": f"{timezone.localtime(link.expires_at):%Y-%m-%d}"},
                "",
                person_name(link.issued_by),
            )
        )
        revocation = getattr(link, "revocation", None)
        if revocation is not None:
            entries.append(
                Entry(
                    revocation.revoked_at,
                    "statement_link_revoked",
                    _("Statement link revoked"),
                    revocation.reason,
                    person_name(revocation.revoked_by),
                )
            )
    titles = {
        StatementEvent.Kind.VIEWED: _("The owner opened the statement link"),
        StatementEvent.Kind.WRITTEN_ONLY: _(
            "The owner asked for written contact only on the statement link"
        ),
        StatementEvent.Kind.DISPUTED: _("The owner disputed the statement on the statement link"),
        StatementEvent.Kind.PLAN_PROPOSED: _(
            "The owner proposed instalments on the statement link"
        ),
        StatementEvent.Kind.DATA_REQUEST: _(
            "The owner asked about their personal information on the statement link"
        ),
        StatementEvent.Kind.PLAN_ACCEPTED: _(
            "The owner accepted the office's instalments on the statement link"
        ),
    }
    for event in StatementEvent.objects.filter(link__case=case):
        entries.append(Entry(event.at, "statement", titles[event.kind], "", ""))
    return entries


def _written_only_entries(household_id: int) -> list[Entry]:
    """Each time the owner asked for written contact only (from the household's history),
    each written withdrawal with its scan, and any lifting of a request without one."""
    entries = []
    history = (
        Household.history.filter(id=household_id)
        .select_related("history_user__staff_profile")
        .order_by("history_date", "history_id")
    )
    was_on, since, reason = False, None, ""
    for row in history:
        on = row.written_contact_only
        actor = person_name(row.history_user) if row.history_user else ""
        if on and (
            not was_on or (row.written_only_since, row.written_only_reason) != (since, reason)
        ):
            entries.append(
                Entry(
                    row.history_date,
                    "written_only",
                    _("The owner asked for written contact only (since %(since)s)")
                    % {"since": f"{row.written_only_since:%Y-%m-%d}"},
                    row.written_only_reason,
                    actor,
                )
            )
        elif was_on and not on and row.history_change_reason != WITHDRAWN_IN_WRITING:
            entries.append(
                Entry(
                    row.history_date,
                    "written_only_lifted",
                    _("Written contact only lifted without the owner's written withdrawal"),
                    _("No signed withdrawal from the owner is on record for this change."),
                    actor,
                    flags=(str(_("no written withdrawal")),),
                )
            )
        was_on, since, reason = on, row.written_only_since, row.written_only_reason
    withdrawals = WrittenOnlyWithdrawal.objects.filter(household_id=household_id).select_related(
        "recorded_by__staff_profile"
    )
    for w in withdrawals:
        entries.append(
            Entry(
                w.recorded_at,
                "written_only_withdrawn",
                _("The owner withdrew written contact only in writing (letter dated %(on)s)")
                % {"on": f"{w.withdrawn_on:%Y-%m-%d}"},
                w.note,
                person_name(w.recorded_by),
                evidence=((reverse("written-only-withdrawal-file", args=[w.pk]), w.original_name),),
            )
        )
    return entries
