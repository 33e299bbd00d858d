import pytest
from django.urls import reverse
from lxml import html as lxml_html

from arrears.models import Case
from teams.models import TeamMember
from tests.conftest import record_payment
from tests.teams.test_standings import campaign_four_months_in


def test_everyone_in_the_office_sees_the_ranking_but_never_owners(client, world):
    record_payment(world.house_a, "1700.00", world.collector_a, case=world.case_a)
    url = reverse("leaderboard", args=[world.campaign.pk])
    for who in ("collector_b", "leader_a", "manager", "ops", "director"):
        client.force_login(world.roles[who])
        response = client.get(url)
        assert response.status_code == 200, who
        html = response.content.decode()
        assert 'data-team="A"' in html
        for private in ("张静", "高萌", "13912345678", "C6-101"):
            assert private not in html, (who, private)


def test_collectors_see_no_per_person_detail_and_leaders_only_their_team(client, world):
    url = reverse("leaderboard", args=[world.campaign.pk])
    client.force_login(world.collector_a)
    assert client.get(url).context["members"] == []
    client.force_login(world.leader_a)
    people = {m.user.username for m in client.get(url).context["members"]}
    assert people == {"leader_a", "collector_a"}
    client.force_login(world.manager)
    people = {m.user.username for m in client.get(url).context["members"]}
    assert people == {"leader_a", "collector_a", "collector_b"}


def test_another_office_gets_404(client, world):
    for who in ("other_manager", "other_collector", "site", "nobody"):
        client.force_login(world.roles[who])
        for name in ("leaderboard", "assessment", "campaign-split"):
            assert client.get(reverse(name, args=[world.campaign.pk])).status_code == 404, (
                who,
                name,
            )


def test_the_assessment_shows_who_met_the_minimum(client, world):
    record_payment(world.house_a, "1700.00", world.collector_a, case=world.case_a)
    client.force_login(world.collector_b)
    response = client.get(reverse("assessment", args=[world.campaign.pk]))
    month, rows = response.context["assessment"].cycles[0].months[0]
    scores = {r.team.code: (r.score.met, r.score.points_per_member) for r in rows}
    assert scores == {"A": (True, 20), "B": (False, 0)}


def test_the_assessment_page_shows_each_cycle_with_its_totals_and_the_campaigns(client, world):
    months = campaign_four_months_in(world)
    client.force_login(world.collector_b)
    response = client.get(reverse("assessment", args=[world.campaign.pk]))
    page = lxml_html.fromstring(response.content.decode())

    def points(testid):
        (table,) = page.xpath(f'//table[@data-testid="{testid}"]')
        return {
            tr.get("data-team"): tr.xpath('.//*[@data-testid="points"]')[0].text_content().strip()
            for tr in table.xpath(".//tr[@data-team]")
        }

    assert points("cycle-1-totals") == {"A": "-20", "B": "-60"}
    assert points("cycle-2-totals") == {"A": "-20", "B": "+20"}
    assert points("assessment-campaign") == {"A": "-40", "B": "-40"}
    (cycle_1,) = page.xpath('//section[@data-testid="cycle-1"]')
    shown = [t.get("data-testid") for t in cycle_1.xpath(".//table")]
    assert shown == ["cycle-1-totals"] + [f"assessment-{m:%Y-%m}" for m in reversed(months[:3])]
    assert f"{months[0]:%Y-%m} — {months[2]:%Y-%m}" in cycle_1.text_content()


def test_the_leaderboard_offers_the_current_cycle(client, world):
    campaign_four_months_in(world)
    client.force_login(world.collector_b)
    response = client.get(reverse("leaderboard", args=[world.campaign.pk]), {"period": "cycle"})
    assert response.context["kind"] == "cycle"
    points = {r.team.code: r.standing.points for r in response.context["rows"]}
    assert points == {"A": -20, "B": 20}


def test_only_the_manager_splits_and_the_preview_changes_nothing(client, world):
    url = reverse("campaign-split", args=[world.campaign.pk])
    client.force_login(world.leader_a)
    assert client.get(url).status_code == 403
    client.force_login(world.manager)
    response = client.get(url, {"mode": "amount"})
    assert response.status_code == 200
    assert response.context["moves"] == []  # one case each: balanced
    assert set(Case.objects.values_list("team__code", flat=True)) == {"A", "B"}
    response = client.post(url, {"mode": "count", "commit": "1"})
    assert response.status_code == 302
    assert sorted(
        Case.objects.filter(campaign=world.campaign).values_list("team__code", flat=True)
    ) == ["A", "B"]


def test_the_manager_moves_a_case_and_the_leader_names_the_responsible(client, world):
    client.force_login(world.manager)
    response = client.post(reverse("case-team", args=[world.case_b.pk]), {"team": world.team_a.pk})
    assert response.status_code == 302
    world.case_b.refresh_from_db()
    assert (world.case_b.team, world.case_b.responsible) == (world.team_a, None)
    client.force_login(world.leader_a)
    client.post(
        reverse("case-responsible", args=[world.case_b.pk]), {"person": world.collector_a.pk}
    )
    world.case_b.refresh_from_db()
    assert world.case_b.responsible == world.collector_a
    page = client.get(reverse("case-detail", args=[world.case_b.pk])).content.decode()
    assert 'data-testid="assignment"' in page and "北苑经理" in page


def test_a_collector_cannot_move_cases(client, world):
    client.force_login(world.collector_a)
    assert (
        client.post(
            reverse("case-team", args=[world.case_a.pk]), {"team": world.team_b.pk}
        ).status_code
        == 403
    )
    client.post(reverse("case-responsible", args=[world.case_a.pk]), {"person": world.leader_a.pk})
    world.case_a.refresh_from_db()
    assert world.case_a.responsible == world.collector_a


def _removal_url(world, user):
    membership = TeamMember.objects.get(team=world.team_a, user=user)
    return reverse("team-member-remove", args=[membership.pk])


def test_the_manager_removes_a_member_choosing_who_takes_each_case(client, world):
    client.force_login(world.manager)
    team_page = client.get(reverse("team-detail", args=[world.team_a.pk])).content.decode()
    url = _removal_url(world, world.collector_a)
    assert url in team_page and "李收费" in team_page
    page = lxml_html.fromstring(client.get(url).content.decode())
    (select,) = page.xpath(f'//select[@name="case_{world.case_a.pk}"]')
    offered = [(o.get("value"), o.text_content()) for o in select.xpath("./option")]
    assert offered[1:] == [(str(world.leader_a.pk), "赵组长")]  # not herself
    assert offered[0][0] == ""  # nobody yet: the team leader takes it

    response = client.post(
        url, {"shown": str(world.case_a.pk), f"case_{world.case_a.pk}": world.leader_a.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("team-detail", args=[world.team_a.pk])
    assert not TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()
    world.case_a.refresh_from_db()
    assert world.case_a.responsible == world.leader_a
    client.force_login(world.leader_a)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert "李收费 → 赵组长" in " ".join(page.split())  # recorded like any responsible change


def test_nobody_leaves_the_case_to_the_team_leader(client, world):
    client.force_login(world.manager)
    url = _removal_url(world, world.collector_a)
    response = client.post(url, {"shown": str(world.case_a.pk), f"case_{world.case_a.pk}": ""})
    assert response.status_code == 302
    world.case_a.refresh_from_db()
    assert world.case_a.responsible is None


@pytest.mark.parametrize("who", ["collector_a", "collector_b", "other_collector", "manager"])
def test_a_raw_post_naming_someone_outside_the_team_saves_nothing(client, world, who):
    client.force_login(world.manager)
    url = _removal_url(world, world.collector_a)
    data = {"shown": str(world.case_a.pk), f"case_{world.case_a.pk}": world.roles[who].pk}
    response = client.post(url, data)
    assert response.status_code == 200
    field = f"case_{world.case_a.pk}"
    (error,) = response.context["form"].errors.as_data()[field]
    assert error.code == "invalid_choice"  # "Choose a member who stays in the team, or nobody"
    assert TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()
    world.case_a.refresh_from_db()
    assert world.case_a.responsible == world.collector_a


def test_a_case_given_to_her_while_the_manager_chose_is_not_left_to_nobody(client, world):
    client.force_login(world.manager)
    url = _removal_url(world, world.collector_a)
    # The page showed no case (say, case_a was someone else's then); now case_a is hers.
    response = client.post(url, {"shown": ""})
    assert response.status_code == 200
    (error,) = response.context["form"].errors.as_data()["__all__"]
    assert error.code == "cases_changed"  # "… check the list again and save."
    assert TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()
    world.case_a.refresh_from_db()
    assert world.case_a.responsible == world.collector_a


@pytest.mark.parametrize("shown", ["x", "1,,2;3", "9" * 40])
def test_a_tampered_case_list_is_refused_with_a_message(client, world, shown):
    client.force_login(world.manager)
    response = client.post(_removal_url(world, world.collector_a), {"shown": shown})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()


def test_the_other_offices_manager_cannot_remove_anyone_here(client, world):
    client.force_login(world.other_manager)
    response = client.post(
        _removal_url(world, world.collector_a),
        {"shown": str(world.case_a.pk), f"case_{world.case_a.pk}": ""},
    )
    assert response.status_code == 404
    assert TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()


def test_removed_in_the_administration_she_is_shown_and_listed_as_no_longer_in_the_team(
    client, world
):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    membership = TeamMember.objects.get(team=world.team_a, user=world.collector_a)
    response = client.post(
        reverse("admin:teams_teammember_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TeamMember.objects.filter(pk=membership.pk).exists()
    gone = TeamMember.history.get(id=membership.pk, history_type="-")
    assert gone.history_user == world.admin  # membership history: who removed her, when

    client.force_login(world.collector_a)
    assert client.get(reverse("case-detail", args=[world.case_a.pk])).status_code == 404

    client.force_login(world.leader_a)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="responsible-departed"' in page
    client.force_login(world.manager)
    team_page = lxml_html.fromstring(
        client.get(reverse("team-detail", args=[world.team_a.pk])).content.decode()
    )
    (listed,) = team_page.xpath('//*[@data-testid="departed-responsible"]')
    assert "C6-101" in listed.text_content() and "李收费" in listed.text_content()
    # Once the leader names a member, the case is off the list and the mark is gone.
    client.force_login(world.leader_a)
    client.post(reverse("case-responsible", args=[world.case_a.pk]), {"person": world.leader_a.pk})
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="responsible-departed"' not in page
    client.force_login(world.manager)
    team_page = client.get(reverse("team-detail", args=[world.team_a.pk])).content.decode()
    assert "C6-101" not in team_page


def test_the_team_page_makes_the_same_queries_whatever_the_number_of_members(
    client, world, django_assert_max_num_queries
):
    from tests.conftest import make_user

    client.force_login(world.manager)
    url = reverse("team-detail", args=[world.team_a.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(5):
        user = make_user(f"extra{i}", "collector", office=world.office)
        TeamMember.objects.create(team=world.team_a, user=user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "en",
            ["Last week", "This month so far", "This assessment cycle so far", "Campaign so far"],
        ),
        ("zh-hans", ["上周", "本月至今", "本考核周期至今", "清收行动至今"]),
    ],
)
def test_the_period_labels_are_in_the_readers_language(client, world, settings, language, labels):
    client.force_login(world.collector_b)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("leaderboard", args=[world.campaign.pk]))
    page = lxml_html.fromstring(response.content.decode())
    shown = [a.text_content().strip() for a in page.xpath('//ul[contains(@class, "nav-pills")]//a')]
    assert shown == labels
