"""The flagged texts a manager reviews: every saved text that names an unlawful method.

Reads across the apps (issues, tips, payments, plans, legal steps, waivers, imported rows), so
it lives above them; the rule that flags them is `arrears.text_flags`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from arrears import scoping
from arrears.models import DifficultIssueNote
from arrears.unlawful import flag_details
from escalation.models import LegalStep, PaymentPlan, Waiver
from households import scoping as household_scoping


@dataclass(frozen=True)
class FlaggedText:
    what: str
    unit: str
    at: datetime.datetime | None
    by: object  # the user who wrote it, or None for an imported row
    text: str
    flags: list  # (phrase, Forbidden | None)
    url: str


def flagged_texts(user, *, since: datetime.datetime) -> list[FlaggedText]:
    """Issues, their notes and decisions, tips, payment plans, legal steps, waiver decisions
    payment notes and reversal reasons, and imported ledger rows whose text names an unlawful method, newest first, within what
    `user` may see. Eight queries."""
    issues = scoping.difficult_issues(user)
    out: list[FlaggedText] = []
    for issue in (
        issues.exclude(flagged_terms=[])
        .filter(Q(raised_at__gte=since) | Q(resolved_at__gte=since))
        .select_related("case__household", "raised_by__staff_profile")
    ):
        text = "\n".join(x for x in (issue.title, issue.description, issue.decision) if x)
        out.append(
            FlaggedText(
                _("Difficult issue"),
                issue.case.household.unit_code,
                issue.resolved_at or issue.raised_at,
                issue.raised_by,
                text,
                flag_details(issue.flagged_terms),
                reverse("issue-detail", args=[issue.pk]),
            )
        )
    for note in (
        DifficultIssueNote.objects.filter(issue__in=issues, created_at__gte=since)
        .exclude(flagged_terms=[])
        .select_related("issue__case__household", "author__staff_profile")
    ):
        out.append(
            FlaggedText(
                _("Discussion of a difficult issue"),
                note.issue.case.household.unit_code,
                note.created_at,
                note.author,
                note.text,
                flag_details(note.flagged_terms),
                reverse("issue-detail", args=[note.issue_id]),
            )
        )
    for tip in (
        household_scoping.tips(user)
        .filter(reported_at__gte=since)
        .exclude(flagged_terms=[])
        .select_related("household", "reported_by__staff_profile")
    ):
        out.append(
            FlaggedText(
                _("On-site tip"),
                tip.household.unit_code,
                tip.reported_at,
                tip.reported_by,
                tip.note,
                flag_details(tip.flagged_terms),
                "",
            )
        )
    for plan in (
        PaymentPlan.objects.filter(case__in=scoping.cases(user), recorded_at__gte=since)
        .exclude(flagged_terms=[])
        .select_related("case__household", "recorded_by__staff_profile")
    ):
        out.append(
            FlaggedText(
                _("Payment plan"),
                plan.case.household.unit_code,
                plan.recorded_at,
                plan.recorded_by,
                plan.note,
                flag_details(plan.flagged_terms),
                reverse("case-detail", args=[plan.case_id]) + "#plans",
            )
        )
    cases = scoping.cases(user)
    for step in (
        LegalStep.objects.filter(action__case__in=cases, recorded_at__gte=since)
        .exclude(flagged_terms=[])
        .select_related("action__case__household", "recorded_by__staff_profile")
    ):
        out.append(
            FlaggedText(
                _("Legal step"),
                step.action.case.household.unit_code,
                step.recorded_at,
                step.recorded_by,
                step.note,
                flag_details(step.flagged_terms),
                reverse("case-detail", args=[step.action.case_id]),
            )
        )
    for waiver in (
        Waiver.objects.filter(case__in=cases, decided_at__gte=since)
        .exclude(flagged_terms=[])
        .select_related("case__household", "decided_by__staff_profile")
    ):
        out.append(
            FlaggedText(
                _("Waiver decision"),
                waiver.case.household.unit_code,
                waiver.decided_at,
                waiver.decided_by,
                waiver.decision_note,
                flag_details(waiver.flagged_terms),
                reverse("case-detail", args=[waiver.case_id]),
            )
        )
    for payment in (
        scoping.payments(user)
        .filter(recorded_at__gte=since)
        .exclude(flagged_terms=[])
        .select_related("household", "recorded_by__staff_profile")
    ):
        out.append(
            FlaggedText(
                _("Reason for a reversal") if payment.reverses_id else _("Payment note"),
                payment.household.unit_code,
                payment.recorded_at,
                payment.recorded_by,
                payment.note,
                flag_details(payment.flagged_terms),
                reverse("case-detail", args=[payment.case_id]) if payment.case_id else "",
            )
        )
    # Imported rows have no time of their own: a flagged ledger row stays listed.
    for case in scoping.cases(user).exclude(flagged_terms=[]).select_related("household"):
        text = "\n".join(x for x in (case.reason, case.plan_note, case.imported_text) if x)
        out.append(
            FlaggedText(
                _("Imported ledger row"),
                case.household.unit_code,
                None,
                None,
                text,
                flag_details(case.flagged_terms),
                reverse("case-detail", args=[case.pk]),
            )
        )
    out.sort(key=lambda f: f.at or since, reverse=True)
    return out
