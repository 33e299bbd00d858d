"""The case list of a household whose whole debt is under dispute (issue 17.2): its contact
badges say "disputed", they do not break the list."""

from django.urls import reverse

from households import disputes


def test_the_case_list_shows_a_paused_household(client, world):
    disputes.dispute_record(
        case=world.case_a,
        kind="service",
        cause="leak_unrepaired",
        words="漏水三年没人修",
        source="visit",
        by=world.collector_a,
    )
    for user in (world.collector_a, world.manager):
        client.force_login(user)
        for url in (reverse("case-list"), reverse("desk")):
            response = client.get(url)
            assert response.status_code == 200, url
    assert 'data-state="disputed"' in client.get(reverse("case-list")).text
