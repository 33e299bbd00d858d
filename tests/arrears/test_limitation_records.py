import datetime

import time_machine
from django.urls import reverse
from django.utils import timezone

from arrears.limitation import EXPIRED, NEAR, OK, PART_PAYMENT, PROMISE
from arrears.limitation_records import household_events, limitation_groups, unpaid_clocks
from arrears.models import PromiseToPay
from arrears.summaries import weekly_pack
from households.contact import attempt_log
from tests.conftest import record_payment

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
# world's households owe 2014-01 … 2015-05; on this day 2014-01's three years are long over.
TODAY = datetime.date(2017, 2, 1)


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def letter(world, day, outcome):
    return attempt_log(
        case=world.case_a,
        made_by=world.collector_a,
        occurred_at=at(day),
        channel="written_demand",
        person_contacted="owner",
        outcome=outcome,
    )


def test_a_delivered_demand_restarts_every_month_due_before_it(world):
    with time_machine.travel(at(TODAY), tick=False):
        letter(world, datetime.date(2016, 12, 20), "delivered")
        clocks = unpaid_clocks([world.house_a.pk], today=TODAY)[world.house_a.pk]
    assert {c.clock.limit for c in clocks} == {datetime.date(2019, 12, 20)}
    assert {c.state for c in clocks} == {OK}


def test_a_demand_sent_but_not_delivered_changes_nothing(world):
    with time_machine.travel(at(TODAY), tick=False):
        letter(world, datetime.date(2016, 12, 20), "not_delivered")
        assert household_events([world.house_a.pk]) == {}
        clocks = unpaid_clocks([world.house_a.pk], today=TODAY)[world.house_a.pk]
    assert clocks[0].clock.limit == datetime.date(2017, 1, 1) and clocks[0].state == EXPIRED
    assert clocks[2].clock.limit == datetime.date(2017, 3, 1) and clocks[2].state == NEAR


def test_promises_and_payments_count_as_acknowledgement(world):
    with time_machine.travel(at(TODAY), tick=False):
        PromiseToPay.objects.create(
            case=world.case_a,
            amount=100,
            due_date=TODAY,
            recorded_by=world.collector_a,
            recorded_at=at(datetime.date(2016, 6, 1)),
        )
        record_payment(
            world.house_a, "100.00", world.collector_a, paid_at=at(datetime.date(2016, 8, 1))
        )
        kinds = sorted(e.kind for e in household_events([world.house_a.pk])[world.house_a.pk])
    assert kinds == sorted([PROMISE, PART_PAYMENT])


def test_the_case_page_groups_months_by_their_limit(client, world):
    with time_machine.travel(at(TODAY), tick=False):
        client.force_login(world.manager)
        page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
        groups = limitation_groups(unpaid_clocks([world.house_a.pk], today=TODAY)[world.house_a.pk])
    assert 'data-testid="limitation"' in page and 'data-state="expired"' in page
    assert [str(g.months) for g in groups][:2] == ["2014-01 (1 个月)", "2014-02 (1 个月)"]
    assert len(groups) == 17  # no interruption: every month has its own limit


def test_the_monday_pack_lists_the_cases_near_or_past_their_limit(world):
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    with time_machine.travel(at(TODAY), tick=False):
        watch = weekly_pack(monday, world.region)["limitation"]
    assert sorted((w["unit"], w["state"]) for w in watch) == [
        ("C13-103", EXPIRED),
        ("C6-101", EXPIRED),
    ]
    assert all(w["limit"] == datetime.date(2017, 1, 1) for w in watch)


def test_the_case_list_flags_legal_review(client, world):
    with time_machine.travel(at(TODAY), tick=False):
        client.force_login(world.manager)
        html = client.get(reverse("case-list")).content.decode()
    assert "badge text-bg-danger" in html
    assert timezone.is_aware(at(TODAY))
