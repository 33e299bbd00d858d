"""Difficult issues (疑难问题): raised on a case, discussed, resolved with a written decision.

Every text is scanned for unlawful methods (arrears.unlawful): mentions are saved, flagged
on the record and the office manager is told; a decision that approves one is refused.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from arrears.credited import case_team_now
from arrears.messages import Message
from arrears.models import Case, DifficultIssue, DifficultIssueNote, Notification
from arrears.notifications import notify, office_managers, team_leaders
from arrears.text_flags import flags_notify, refuse_approved
from arrears.unlawful import flagged_terms


def issue_raise(*, case: Case, by, title: str, description: str) -> DifficultIssue:
    """Raise an issue; the team leader and the office's managers hear of it."""
    title, description = title.strip(), description.strip()
    if not title or not description:
        raise ValidationError(
            _("Give the issue a short title and describe what blocks collection."),
            code="required",
        )
    flags = flagged_terms(title, description)
    with transaction.atomic():
        issue = DifficultIssue.objects.create(
            case=case,
            title=title,
            description=description,
            raised_by=by,
            team_id=case_team_now(case.pk),  # kept when the case moves (arrears.credited)
            flagged_terms=flags,
        )
        notify(
            recipients=[
                *(team_leaders(case.team_id) if case.team_id else []),
                *office_managers(case.campaign.office),
            ],
            kind=Notification.Kind.ISSUE,
            title=Message(
                gettext_noop("Difficult issue on %(unit)s: %(title)s"),
                unit=case.household.unit_code,
                title=title,
            ),
            body=description,
            url=reverse("issue-detail", args=[issue.pk]),
        )
        _flag(issue, flags, gettext_lazy("Difficult issue"))
    return issue


def _flag(issue: DifficultIssue, flags: list[str], what) -> None:
    case = issue.case
    flags_notify(
        office=case.campaign.office,
        unit=case.household.unit_code,
        what=what,
        terms=flags,
        url=reverse("issue-detail", args=[issue.pk]),
    )


def issue_discuss(*, issue: DifficultIssue, by, text: str) -> DifficultIssueNote:
    if not text.strip():
        raise ValidationError(_("Write what was said or decided before saving."), code="required")
    # Read the status from the database: the page may have been open since before it was resolved.
    if DifficultIssue.objects.filter(pk=issue.pk, status=DifficultIssue.Status.RESOLVED).exists():
        raise ValidationError(
            _("This issue is resolved; raise a new one if the problem came back."), code="resolved"
        )
    flags = flagged_terms(text)
    with transaction.atomic():
        note = DifficultIssueNote.objects.create(
            issue=issue, author=by, text=text.strip(), flagged_terms=flags
        )
        _flag(issue, flags, _("Discussion of a difficult issue"))
    return note


def issue_resolve(*, issue: DifficultIssue, by, decision: str) -> DifficultIssue:
    """Close the issue with the manager's written decision; the raiser hears of it."""
    decision = decision.strip()
    if not decision:
        raise ValidationError(
            _("Write the decision: what was agreed and what the collector does next."),
            code="required",
        )
    refuse_approved("decision", decision)
    flags = flagged_terms(decision)
    with transaction.atomic():
        issue = DifficultIssue.objects.select_for_update().get(pk=issue.pk)
        if issue.status == DifficultIssue.Status.RESOLVED:
            raise ValidationError(_("This issue was already resolved."), code="resolved")
        issue.status = DifficultIssue.Status.RESOLVED
        issue.decision = decision
        issue.resolved_by = by
        issue.resolved_at = timezone.now()
        issue.flagged_terms = list(dict.fromkeys([*issue.flagged_terms, *flags]))
        issue._history_user = by
        issue.save()
        notify(
            recipients=[issue.raised_by],
            kind=Notification.Kind.ISSUE,
            title=Message(gettext_noop("Decision on %(title)s"), title=issue.title),
            body=decision,
            url=reverse("issue-detail", args=[issue.pk]),
        )
        _flag(issue, flags, gettext_lazy("Decision on a difficult issue"))
    return issue
