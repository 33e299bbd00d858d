import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from arrears.unlawful import flagged_terms
from escalation.letters import DEMAND, NOTICE, letter_for
from escalation.limitation_records import household_claims, unpaid_clocks
from tests.conftest import make_case, record_payment

TODAY = datetime.date(2026, 11, 27)


def test_a_demand_lists_the_unpaid_months_and_gives_at_least_15_days(world):
    record_payment(world.house_a, "300.00", world.collector_a)
    letter = letter_for(world.case_a, kind=DEMAND, dated=TODAY)
    assert [(r.start, r.end, r.count) for r in letter.ranges] == [
        (datetime.date(2014, 4, 1), datetime.date(2015, 5, 1), 14)
    ]
    assert letter.total == 1400
    assert letter.deadline == TODAY + datetime.timedelta(days=15)
    assert letter.owners == ["张静"]


def test_a_demand_never_gives_less_than_15_days(world):
    with pytest.raises(ValueError):
        letter_for(world.case_a, kind=DEMAND, dated=TODAY, deadline_days=10)


def test_a_notice_has_no_deadline(world):
    assert letter_for(world.case_a, kind=NOTICE, dated=TODAY).deadline is None


def test_the_printed_demand_is_in_chinese_cites_the_law_and_threatens_nothing_unlawful(
    client, world
):
    client.force_login(world.collector_a)
    response = client.get(reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "5"})
    assert response.status_code == 200
    page = response.content.decode()
    letter = re.search(r'<article class="letter".*?</article>', page, re.S).group(0)
    assert "催告函" in letter and "第九百四十四条" in letter and "¥1,700.00" in letter
    deadline = timezone.localdate() + datetime.timedelta(days=15)  # 5 asked, 15 is the floor
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in letter
    assert flagged_terms(re.sub(r"<[^>]+>", " ", letter)) == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("collector_b", 404), ("other_manager", 404), ("site", 404), ("manager", 200)],
)
def test_letters_are_scoped_like_the_case(client, world, who, status):
    client.force_login(world.roles[who])
    assert (
        client.get(reverse("case-letter", args=[world.case_a.pk, "notice"])).status_code == status
    )


def test_an_unknown_letter_is_404(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("case-letter", args=[world.case_a.pk, "eviction"])).status_code == 404


def test_a_delivery_logged_on_the_contact_form_is_claimed_and_restarts_nothing(client, world):
    # The form offers a demand "delivered" (it records what people say happened), but only a
    # letter issued here with its delivery record and scan restarts the limitation clock.
    from arrears.models import DebtorCategory
    from tests.conftest import make_household

    house = make_household(
        world.office, "R1-101", first=datetime.date(2025, 1, 1), last=datetime.date(2025, 6, 1)
    )
    case = make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.REFUSAL,
    )
    client.force_login(world.collector_a)
    form = client.get(
        reverse("attempt-new", args=[case.pk]),
        {"channel": "written_demand", "outcome": "delivered"},
    )
    html = form.content.decode()
    assert re.search(r'value="written_demand"[^>]*checked', html) and re.search(
        r'value="delivered"[^>]*checked', html
    )
    before = {c.clock.limit for c in unpaid_clocks([house.pk])[house.pk]}
    assert before == {datetime.date(2028, m, 1) for m in range(1, 7)}
    when = (timezone.localtime() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("attempt-new", args=[case.pk]),
        {
            "channel": "written_demand",
            "person_contacted": "owner",
            "outcome": "delivered",
            "occurred_at": when,
        },
    )
    assert response.status_code == 302
    after = {c.clock.limit for c in unpaid_clocks([house.pk])[house.pk]}
    assert after == before
    assert [c.kind for c in household_claims([house.pk])[house.pk]] == ["demand_delivered"]


def test_a_delivery_does_not_revive_months_already_time_barred(client, world):
    when = (timezone.localtime() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(world.collector_a)
    client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {
            "channel": "written_demand",
            "person_contacted": "owner",
            "outcome": "delivered",
            "occurred_at": when,
        },
    )
    clocks = unpaid_clocks([world.house_a.pk])[world.house_a.pk]
    assert clocks[0].clock.limit == datetime.date(2017, 1, 1) and clocks[0].state == "expired"
