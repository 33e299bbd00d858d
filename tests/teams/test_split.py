"""Issue 16 item 2: rebalancing a campaign moves only open cases, as few as needed, exactly
as the preview showed, and refuses a preview that is no longer true."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import html as lxml_html

from arrears.models import Case, Clearance
from desk.views import _team_figures
from teams.assignment import (
    BY_COUNT,
    STALE,
    campaign_apply_split,
    campaign_split_plan,
    case_assign_team,
    case_set_responsible,
)
from teams.models import Team, TeamMember
from teams.standings import MONTH, leaderboard, load_facts
from tests.conftest import make_case, make_household, record_payment


def _add(world, team, unit, responsible=None):
    house = make_household(
        world.office, unit, first=datetime.date(2015, 1, 1), last=datetime.date(2015, 5, 1)
    )
    return make_case(campaign=world.campaign, household=house, team=team, responsible=responsible)


@pytest.fixture
def four_teams(world):
    """The issue's campaign: teams A–D with 2 cases each; one of B's is cleared."""
    world.team_c = Team.objects.create(campaign=world.campaign, code="C")
    world.team_d = Team.objects.create(campaign=world.campaign, code="D")
    _add(world, world.team_a, "A2-101", world.collector_a)
    _add(world, world.team_b, "B2-101", world.collector_b)
    _add(world, world.team_c, "C1-101")
    _add(world, world.team_c, "C2-101")
    _add(world, world.team_d, "D1-101")
    _add(world, world.team_d, "D2-101")
    record_payment(world.house_b, str(world.case_b.balance), world.collector_b, case=world.case_b)
    world.case_b.refresh_from_db()
    assert world.case_b.status == Case.Status.CLEARED
    return world


def team_of(case):
    case.refresh_from_db()
    return case.team.code if case.team else None


def apply(world, plan, by=None):
    return campaign_apply_split(
        campaign=world.campaign,
        mode=plan.mode,
        fingerprint=plan.fingerprint,
        moves=plan.move_keys,
        by=by or world.manager,
    )


def test_the_issues_campaign_is_already_even_and_nothing_moves(four_teams):
    world = four_teams
    # the leader has just named the responsible person on a case
    case_set_responsible(
        case=world.case_a, person=world.leader_a, by=world.leader_a, may_manage_office=False
    )
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    assert plan.moves == []
    apply(world, plan)
    world.case_a.refresh_from_db()
    assert (world.case_a.team, world.case_a.responsible) == (world.team_a, world.leader_a)
    assert team_of(world.case_b) == "B"


def test_a_cleared_case_never_moves_and_no_team_gains_a_phantom_clearance(four_teams):
    world = four_teams
    # Team A now holds 4 open cases, B 1 (and the cleared one), C none, D 2: 7 open cases
    # make 2, 2, 2, 1; two of A's move, to B and C, never B's cleared case.
    for case in Case.objects.filter(team=world.team_c):
        Case.objects.filter(pk=case.pk).update(team=world.team_a)
    Case.objects.filter(pk=world.case_b.pk).update(team=world.team_b)
    before_clearances = list(Clearance.objects.values_list("case_id", "team_id"))
    before_figures = {
        t.code: (t.case_count, t.cleared_count) for t in _team_figures(world.campaign.teams.all())
    }
    before_board = {
        r.team.code: r.standing.cleared for r in leaderboard(load_facts(world.campaign), MONTH)
    }
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    assert len(plan.moves) == 2
    assert world.case_b.pk not in {m.case_id for m in plan.moves}
    assert {m.team_from for m in plan.moves} == {world.team_a.pk}
    assert {m.team_to for m in plan.moves} == {world.team_b.pk, world.team_c.pk}
    apply(world, plan)
    assert team_of(world.case_b) == "B"
    assert list(Clearance.objects.values_list("case_id", "team_id")) == before_clearances
    after_figures = {
        t.code: (t.case_count, t.cleared_count) for t in _team_figures(world.campaign.teams.all())
    }
    assert {k: v[1] for k, v in after_figures.items()} == {
        k: v[1] for k, v in before_figures.items()
    }
    assert after_figures["B"][1] == 1 and after_figures["A"][1] == 0
    after_board = {
        r.team.code: r.standing.cleared for r in leaderboard(load_facts(world.campaign), MONTH)
    }
    assert after_board == before_board


def test_a_closed_case_does_not_move_either_and_cannot_be_moved_by_hand(four_teams):
    world = four_teams
    Case.objects.filter(team=world.team_d).update(status=Case.Status.CLOSED, closed_reason="已售")
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    closed = set(Case.objects.filter(status=Case.Status.CLOSED).values_list("pk", flat=True))
    assert closed and not closed & {m.case_id for m in plan.moves}
    for done in (world.case_b, Case.objects.filter(status=Case.Status.CLOSED).first()):
        with pytest.raises(ValidationError) as refused:
            case_assign_team(case=done, team=world.team_a, by=world.manager)
        assert refused.value.code == "done"


def test_a_responsible_person_in_the_new_team_is_kept_and_the_preview_says_so(world):
    # collector_a is also a member of team B; team A holds 3 cases in her name, B one.
    TeamMember.objects.create(team=world.team_b, user=world.collector_a)
    _add(world, world.team_a, "N1-101", world.collector_a)
    _add(world, world.team_a, "N2-101", world.collector_a)
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    (move,) = plan.moves
    assert move.keeps_responsible
    apply(world, plan)
    moved = Case.objects.get(pk=move.case_id)
    assert (moved.team, moved.responsible) == (world.team_b, world.collector_a)


@pytest.mark.parametrize(
    "change",
    ["payment clears a case", "another manager moves a case", "a member leaves", "a new case"],
)
def test_a_preview_that_is_no_longer_true_is_refused_and_nothing_is_applied(world, change):
    world.team_c = Team.objects.create(campaign=world.campaign, code="C")
    extra = [_add(world, world.team_a, f"N{i}-101") for i in range(4)]
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    assert len(plan.moves) == 3  # A 5, B 1, C 0 → 2 each
    if change == "payment clears a case":
        record_payment(extra[0].household, str(extra[0].balance), world.collector_a, case=extra[0])
    elif change == "another manager moves a case":
        case_assign_team(case=extra[1], team=world.team_c, by=world.manager)
    elif change == "a member leaves":
        TeamMember.objects.filter(team=world.team_b, user=world.collector_b).delete()
    else:
        _add(world, None, "Z9-101")
    teams_before = dict(Case.objects.values_list("pk", "team_id"))
    with pytest.raises(ValidationError) as refused:
        apply(world, plan)
    assert refused.value.code == STALE
    assert dict(Case.objects.values_list("pk", "team_id")) == teams_before


def test_posted_moves_other_than_the_plans_are_refused(world):
    extra = [_add(world, world.team_a, f"N{i}-101") for i in range(2)]
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    (key,) = plan.move_keys
    for moves in (
        [],
        [key, f"{extra[1].pk}:{world.team_b.pk}"],
        [f"{world.other_case.pk}:{world.team_b.pk}"],
        [f"{key.split(':')[0]}:{world.other_team.pk}"],
    ):
        with pytest.raises(ValidationError):
            campaign_apply_split(
                campaign=world.campaign,
                mode=BY_COUNT,
                fingerprint=plan.fingerprint,
                moves=moves,
                by=world.manager,
            )
    assert set(
        Case.objects.filter(campaign=world.campaign).values_list("team__code", flat=True)
    ) == {"A", "B"}
    assert Case.objects.filter(campaign=world.campaign, team=world.team_a).count() == 3


# --- through the client ---------------------------------------------------------------------


def split_url(world):
    return reverse("campaign-split", args=[world.campaign.pk])


def preview(client, world, mode="count"):
    response = client.get(split_url(world), {"mode": mode})
    assert response.status_code == 200
    page = lxml_html.fromstring(response.content.decode())
    form = page.xpath('//form[.//input[@name="fingerprint"]]')
    data = {}
    if form:
        data = {"mode": mode, "commit": "1"}
        data["fingerprint"] = form[0].xpath('.//input[@name="fingerprint"]/@value')[0]
        data["move"] = form[0].xpath('.//input[@name="move"]/@value')
    return response, page, data


def test_the_preview_lists_every_move_and_what_happens_to_each_responsible_person(client, world):
    _add(world, world.team_a, "N1-101", world.collector_a)
    _add(world, world.team_a, "N2-101")
    world.team_c = Team.objects.create(campaign=world.campaign, code="C")
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response, page, data = preview(client, world)
    rows = page.xpath('//table[@data-testid="split-preview"]/tbody/tr')
    shown = [[td.text_content().strip() for td in tr.xpath("td")] for tr in rows]
    # 4 open cases over 3 teams: A keeps 2, B holds 1 and gets nothing, C gets 1: N2 (nobody
    # responsible), so nobody's name is cleared.
    assert [(r[0], r[2], r[3]) for r in shown] == [("N2-101", "A", "C")]
    assert "nobody named" in shown[0][4]
    assert len(data["move"]) == 1
    # Now the fullest team's cases all have a person: the preview names who is cleared.
    Case.objects.filter(household__unit_code="N2-101").update(responsible=world.collector_a)
    _response, page, _data = preview(client, world)
    (tr,) = page.xpath('//table[@data-testid="split-preview"]/tbody/tr')
    text = tr.text_content()
    assert "cleared" in text and "李收费" in text and "Team C" in text
    assert "2 open cases stay" in page.text_content() or "3 open cases stay" in page.text_content()


def test_committing_the_preview_applies_exactly_it(client, world):
    extra = [_add(world, world.team_a, f"N{i}-101") for i in range(2)]
    client.force_login(world.manager)
    _response, _page, data = preview(client, world)
    response = client.post(split_url(world), data)
    assert response.status_code == 302 and response.url == reverse(
        "leaderboard", args=[world.campaign.pk]
    )
    assert Case.objects.filter(campaign=world.campaign, team=world.team_a).count() == 2
    assert Case.objects.filter(campaign=world.campaign, team=world.team_b).count() == 2
    assert team_of(extra[0]) == "B"  # nobody responsible: it goes before case_a


def test_a_stale_preview_is_refused_with_a_message_pointing_to_the_new_one(client, world):
    extra = [_add(world, world.team_a, f"N{i}-101") for i in range(2)]
    client.force_login(world.manager)
    _response, _page, data = preview(client, world)
    # meanwhile a payment clears the case the preview would move
    record_payment(extra[0].household, str(extra[0].balance), world.collector_a, case=extra[0])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(split_url(world), data, follow=True)
    assert response.redirect_chain[-1][0] == split_url(world) + "?mode=count"
    assert "nothing was saved" in response.content.decode()
    assert "new preview" in response.content.decode()
    assert Case.objects.filter(campaign=world.campaign, team=world.team_a).count() == 3
    # the new preview no longer offers the cleared case
    moves = response.context["plan"].moves
    assert extra[0].pk not in {m.case_id for m in moves}


@pytest.mark.parametrize(
    "tamper",
    [
        "cleared case",
        "another campaign's team",
        "another office's case",
        "no fingerprint",
        "commit without preview",
    ],
)
def test_a_raw_post_the_form_never_offers_changes_nothing(client, world, tamper):
    _extra = [_add(world, world.team_a, f"N{i}-101") for i in range(2)]
    cleared = _add(world, world.team_a, "P1-101")
    record_payment(cleared.household, str(cleared.balance), world.collector_a, case=cleared)
    client.force_login(world.manager)
    _response, _page, data = preview(client, world)
    assert len(data["move"]) == 1  # A holds 3 open cases, B 1: one moves
    if tamper == "cleared case":
        data["move"] = data["move"] + [f"{cleared.pk}:{world.team_b.pk}"]
    elif tamper == "another campaign's team":
        data["move"] = [re.sub(r":\d+$", f":{world.other_team.pk}", m) for m in data["move"]]
    elif tamper == "another office's case":
        data["move"] = data["move"] + [f"{world.other_case.pk}:{world.team_b.pk}"]
    elif tamper == "no fingerprint":
        del data["fingerprint"]
    else:
        data = {"mode": "count", "commit": "1"}
    before = dict(Case.objects.values_list("pk", "team_id"))
    response = client.post(split_url(world), data)
    assert response.status_code == 302 and "split" in response.url
    assert dict(Case.objects.values_list("pk", "team_id")) == before


def test_a_user_of_another_office_gets_404_on_preview_and_commit(client, world):
    _add(world, world.team_a, "N1-101")
    plan = campaign_split_plan(world.campaign, BY_COUNT)
    data = {"mode": "count", "commit": "1", "fingerprint": plan.fingerprint, "move": plan.move_keys}
    before = dict(Case.objects.values_list("pk", "team_id"))
    for who in ("other_manager", "other_collector"):
        client.force_login(world.roles[who])
        assert client.get(split_url(world)).status_code == 404
        assert client.post(split_url(world), data).status_code == 404
    assert dict(Case.objects.values_list("pk", "team_id")) == before


def test_moving_a_cleared_case_by_hand_is_refused_with_a_message(client, world):
    record_payment(world.house_a, str(world.case_a.balance), world.collector_a, case=world.case_a)
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("case-team", args=[world.case_a.pk]), {"team": world.team_b.pk}, follow=True
    )
    assert "only open cases move" in response.content.decode()
    assert team_of(world.case_a) == "A"


def test_the_case_page_offers_no_move_for_a_cleared_case(client, world):
    client.force_login(world.manager)
    url = reverse("case-detail", args=[world.case_a.pk])
    assert client.get(url).context["team_form"] is not None
    record_payment(world.house_a, str(world.case_a.balance), world.collector_a, case=world.case_a)
    assert "team_form" not in client.get(url).context
