from django.urls import reverse

from arrears.models import Case
from tests.conftest import record_payment


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
    month, rows = response.context["months"][0]
    scores = {r.team.code: (r.score.met, r.score.points_per_member) for r in rows}
    assert scores == {"A": (True, 20), "B": (False, 0)}


def test_only_the_manager_splits_and_the_preview_changes_nothing(client, world):
    url = reverse("campaign-split", args=[world.campaign.pk])
    client.force_login(world.leader_a)
    assert client.get(url).status_code == 403
    client.force_login(world.manager)
    response = client.get(url, {"mode": "amount"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2
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
