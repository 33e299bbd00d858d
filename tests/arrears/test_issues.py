import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from arrears.issues import issue_discuss, issue_raise, issue_resolve
from arrears.models import DifficultIssue, Notification


def raise_one(world):
    return issue_raise(
        case=world.case_a,
        by=world.collector_a,
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
        issue_raise(case=world.case_a, by=world.collector_a, title=" ", description="x")


def test_resolving_records_the_decision_and_tells_the_raiser(world):
    issue = raise_one(world)
    issue_discuss(issue=issue, by=world.leader_a, text="18:00 会议讨论：核实安保记录")
    resolved = issue_resolve(issue=issue, by=world.manager, decision="经理书面答复业主，安排面谈")
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
        issue_resolve(issue=issue, by=world.manager, decision="  ")
    issue.refresh_from_db()
    assert issue.status == DifficultIssue.Status.OPEN


def test_a_resolved_issue_is_not_resolved_again_nor_discussed(world):
    issue = raise_one(world)
    issue_resolve(issue=issue, by=world.manager, decision="已处理")
    with pytest.raises(ValidationError):
        issue_resolve(issue=issue, by=world.manager, decision="再次")
    with pytest.raises(ValidationError):
        issue_discuss(issue=issue, by=world.collector_a, text="补充")


# --- Unlawful methods in the issue's texts (DESIGN.md §5.2) -------------------------------


def flags_told(world):
    return Notification.objects.filter(recipient=world.manager, kind=Notification.Kind.FLAG)


def test_an_issue_proposing_unlawful_methods_is_saved_flagged_and_the_manager_told(world):
    with translation.override("en"):
        issue = issue_raise(
            case=world.case_a,
            by=world.collector_a,
            title="恶意拒交",
            description="建议对其停水停电，到其单位拉横幅",
        )
    issue.refresh_from_db()
    assert issue.flagged_terms == ["停水停电", "到其单位", "拉横幅"]
    (told,) = flags_told(world)
    assert "C6-101" in told.title
    with translation.override("en"):  # read in English
        assert "停水停电 (cutting utilities)" in told.shown_body
        assert "到其单位 (contacting the owner's workplace)" in told.shown_body


def test_a_lawful_issue_is_not_flagged(world):
    issue = raise_one(world)
    assert issue.flagged_terms == []
    assert not flags_told(world).exists()


def test_a_discussion_note_that_mentions_a_method_is_saved_and_flagged(world):
    issue = raise_one(world)
    note = issue_discuss(issue=issue, by=world.leader_a, text="有人提议晚上11点上门")
    assert note.flagged_terms == ["晚上11点"]
    assert flags_told(world).count() == 1


@pytest.mark.parametrize(
    "decision",
    [
        "同意：对其停水停电",
        "批准到其单位拉横幅",
        "Approved: call at 11pm",
        "同意，对其停　水",  # a full-width space
    ],
)
def test_a_decision_that_approves_an_unlawful_method_is_refused_with_the_law(world, decision):
    issue = raise_one(world)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        issue_resolve(issue=issue, by=world.manager, decision=decision)
    assert list(refused.value.message_dict) == ["decision"]
    message = refused.value.message_dict["decision"][0]
    assert "Civil Code art." in message or "PIPL" in message
    issue.refresh_from_db()
    assert issue.status == DifficultIssue.Status.OPEN and issue.decision == ""
    assert not Notification.objects.filter(recipient=world.collector_a).exists()


def test_a_decision_that_rejects_the_method_is_saved_and_flagged(world):
    issue = raise_one(world)
    resolved = issue_resolve(issue=issue, by=world.manager, decision="不同意停水停电，改为发催告函")
    assert resolved.status == DifficultIssue.Status.RESOLVED
    resolved.refresh_from_db()
    assert resolved.flagged_terms == ["停水停电"]
    assert flags_told(world).count() == 1


# --- through the page ------------------------------------------------------------------------


def test_the_decision_page_refuses_an_approving_decision_with_the_law(client, world, settings):
    from django.urls import reverse

    issue = raise_one(world)
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        response = client.post(
            reverse("issue-detail", args=[issue.pk]), {"decision": "同意：对其停水停电"}
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Civil Code art. 944" in page and "停水停电" in page
    issue.refresh_from_db()
    assert issue.status == DifficultIssue.Status.OPEN


def test_the_issue_form_saves_a_proposal_and_flags_it(client, world):
    from django.urls import reverse

    client.force_login(world.collector_a)
    response = client.post(
        reverse("issue-new", args=[world.case_a.pk]),
        {"title": "恶意拒交", "description": "建议对其停水停电，到其单位拉横幅"},
    )
    assert response.status_code == 302
    issue = DifficultIssue.objects.get()
    assert issue.flagged_terms == ["停水停电", "到其单位", "拉横幅"]
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    assert 'data-testid="flags"' in page and 'data-rule="public_shaming"' in page
