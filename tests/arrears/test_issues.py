import pytest
from django.core.exceptions import ValidationError

from arrears.issues import issue_discuss, issue_raise, issue_resolve
from arrears.models import DifficultIssue, Notification


def raise_one(world):
    return issue_raise(
        case=world.case_a,
        raised_by=world.collector_a,
        title="业主要求先赔付",
        description="家中被盗",
    )


def test_raising_an_issue_tells_the_team_leader_and_the_office_manager(world):
    issue = raise_one(world)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"leader_a", "manager"}
    assert issue.status == DifficultIssue.Status.OPEN


def test_an_issue_needs_a_title_and_a_description(world):
    with pytest.raises(ValidationError):
        issue_raise(case=world.case_a, raised_by=world.collector_a, title=" ", description="x")


def test_resolving_records_the_decision_and_tells_the_raiser(world):
    issue = raise_one(world)
    issue_discuss(issue=issue, author=world.leader_a, text="18:00 会议讨论：核实安保记录")
    resolved = issue_resolve(
        issue=issue, resolved_by=world.manager, decision="经理书面答复业主，安排面谈"
    )
    assert resolved.status == DifficultIssue.Status.RESOLVED
    assert resolved.resolved_by == world.manager and resolved.resolved_at
    assert Notification.objects.filter(
        recipient=world.collector_a, title__contains="业主要求先赔付"
    ).exists()
    assert resolved.notes.count() == 1
    assert resolved.history.first().history_user == world.manager


def test_a_resolution_needs_a_written_decision(world):
    issue = raise_one(world)
    with pytest.raises(ValidationError):
        issue_resolve(issue=issue, resolved_by=world.manager, decision="  ")
    issue.refresh_from_db()
    assert issue.status == DifficultIssue.Status.OPEN


def test_a_resolved_issue_is_not_resolved_again_nor_discussed(world):
    issue = raise_one(world)
    issue_resolve(issue=issue, resolved_by=world.manager, decision="已处理")
    with pytest.raises(ValidationError):
        issue_resolve(issue=issue, resolved_by=world.manager, decision="再次")
    with pytest.raises(ValidationError):
        issue_discuss(issue=issue, author=world.collector_a, text="补充")
