import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from escalation.limitation import (
    DEMAND_DELIVERED,
    EXPIRED,
    LEGAL_FILING,
    NEAR,
    OK,
    PART_PAYMENT,
    PAYMENT_PLAN,
    PROMISE,
    Event,
)
from escalation.limitation_records import (
    household_claims,
    household_events,
    household_interruptions,
    limitation_groups,
    unpaid_clocks,
)
from households.contact import PromiseInput, attempt_log
from summaries.producing import weekly_pack
from tests.conftest import make_promise, record_payment

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
# world's households owe 2014-01 … 2015-05; on this day 2014-01's three years are long over.
TODAY = datetime.date(2017, 2, 1)


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def promise(world, day, *, hour=10, person="owner", evidence=()):
    """A call in which the owner promised to pay, as the contact form records it."""
    return attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=at(day, hour),
        channel="phone_call",
        person_contacted=person,
        outcome="promised",
        promise=PromiseInput(amount=Decimal("100.00"), due_date=day + datetime.timedelta(days=30)),
        evidence=evidence,
    )


def letter(world, day, outcome):
    return attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=at(day),
        channel="written_demand",
        person_contacted="owner",
        outcome=outcome,
    )


def test_a_delivered_demand_restarts_every_month_due_before_it(world, media):
    with time_machine.travel(at(TODAY), tick=False):
        _delivered_letter(world, datetime.date(2016, 12, 20))
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
        promise(world, TODAY - datetime.timedelta(days=1))
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


# --- only a proven event restarts the clock (issue 11, item 7) ---------------------------------
#
# On LATER, world's months 2014-01 … 2015-01 are time-barred (13 months, the last one on
# 2018-01-01). Anything that counted on CLAIMED — before every one of their limits — would
# restart all 17 months to 2019-12-20: that is what a backdated entry would buy.

LATER = datetime.date(2018, 1, 10)
CLAIMED = datetime.date(2016, 12, 20)
BARRED_ON_LATER = 13


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def scan(name="receipt.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.escalation.conftest import PNG

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def states(world, today=LATER):
    return [c.state for c in unpaid_clocks([world.house_a.pk], today=today)[world.house_a.pk]]


def claims(world):
    return household_claims([world.house_a.pk]).get(world.house_a.pk, [])


def logged(world, day, channel, outcome, **kw):
    return attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=at(day),
        channel=channel,
        person_contacted="owner",
        outcome=outcome,
        **kw,
    )


@pytest.mark.parametrize("channel", ["payment_notice", "written_demand", "lawyer_letter"])
def test_a_backdated_demand_delivered_on_the_contact_form_is_claimed_not_proven(world, channel):
    with time_machine.travel(at(LATER), tick=False):
        attempt = logged(world, CLAIMED, channel, "delivered")
        assert household_events([world.house_a.pk]) == {}
        assert states(world).count(EXPIRED) == BARRED_ON_LATER
        (claim,) = claims(world)
    assert (claim.kind, claim.on, claim.recorded_on) == (DEMAND_DELIVERED, CLAIMED, LATER)
    assert claim.attempt_id == attempt.pk and claim.why


def test_a_demand_logged_delivered_today_with_a_photo_is_still_only_claimed(world, media):
    # Not backdated, and a photo attached: still no letter issued here and no delivery record.
    with time_machine.travel(at(TODAY), tick=False):
        logged(world, TODAY, "written_demand", "delivered", evidence=[scan()])
        assert household_events([world.house_a.pk]) == {}
        assert [c.kind for c in claims(world)] == [DEMAND_DELIVERED]


def test_a_demand_logged_as_sent_or_not_delivered_is_neither_event_nor_claim(world):
    with time_machine.travel(at(TODAY), tick=False):
        logged(world, CLAIMED, "written_demand", "sent")
        logged(world, CLAIMED, "payment_notice", "not_delivered")
        assert household_events([world.house_a.pk]) == {} and claims(world) == []


@pytest.mark.parametrize("channel", ["payment_order", "lawsuit", "arbitration"])
@pytest.mark.parametrize("outcome", ["sent", "delivered", "talked"])
def test_a_filing_logged_on_the_contact_form_is_claimed_not_proven(world, channel, outcome):
    with time_machine.travel(at(LATER), tick=False):
        logged(world, CLAIMED, channel, outcome)
        assert household_events([world.house_a.pk]) == {}
        assert states(world).count(EXPIRED) == BARRED_ON_LATER
        assert [(c.kind, c.on) for c in claims(world)] == [(LEGAL_FILING, CLAIMED)]


def _delivered_letter(world, day):
    from escalation.letter_records import letter_issue, letter_record_delivery

    letter = letter_issue(case=world.case_a, kind="demand", by=world.manager, dated=day)
    return letter_record_delivery(
        letter=letter,
        by=world.manager,
        delivered_on=day,
        proof="signature",
        proof_detail="业主本人签收",
        scans=[scan()],
        method="in_person",
    )


def test_a_letter_delivered_with_its_scan_restarts_the_clock_on_the_day_of_delivery(world, media):
    with time_machine.travel(at(LATER), tick=False):
        letter = _delivered_letter(world, CLAIMED)
        (event,) = household_events([world.house_a.pk])[world.house_a.pk]
        assert claims(world) == []
        assert EXPIRED not in states(world)
    assert (event.kind, event.on) == (DEMAND_DELIVERED, CLAIMED)
    assert letter.outcome_attempt.evidence.exists()


def test_a_delivery_withdrawn_by_a_correcting_entry_restarts_nothing(world, media):
    from households.models import ContactAttempt

    with time_machine.travel(at(LATER), tick=False):
        letter = _delivered_letter(world, CLAIMED)
        wrong = letter.outcome_attempt
        ContactAttempt.objects.create(
            household=wrong.household,
            case=wrong.case,
            made_by=world.manager,
            occurred_at=wrong.occurred_at,
            channel=wrong.channel,
            person_contacted=wrong.person_contacted,
            outcome="not_delivered",
            notes="登记错误：未送达",
            corrects=wrong,
        )
        assert household_events([world.house_a.pk]) == {}
        assert states(world).count(EXPIRED) == BARRED_ON_LATER


def test_a_promise_counts_from_the_conversation_not_from_when_it_was_typed(world):
    made = TODAY - datetime.timedelta(days=3)
    with time_machine.travel(at(TODAY), tick=False):
        promise(world, made)
        (event,) = household_events([world.house_a.pk])[world.house_a.pk]
    assert (event.kind, event.on) == (PROMISE, made)


def test_a_promise_typed_today_and_dated_two_years_back_is_claimed_not_proven(world):
    made = LATER.replace(year=LATER.year - 2)
    with time_machine.travel(at(LATER), tick=False):
        attempt = promise(world, made)
        assert household_events([world.house_a.pk]) == {}
        assert states(world).count(EXPIRED) == BARRED_ON_LATER
        (claim,) = claims(world)
    assert (claim.kind, claim.on, claim.attempt_id) == (PROMISE, made, attempt.pk)
    assert str((LATER - made).days) in claim.why  # how late it was recorded


def test_a_backdated_promise_with_a_file_attached_counts_from_the_day_it_was_made(world, media):
    # The owner's written acknowledgement (or a recording) is the proof a late record lacks.
    made = LATER.replace(year=LATER.year - 2)
    with time_machine.travel(at(LATER), tick=False):
        promise(world, made, evidence=[scan("acknowledgement.png")])
        (event,) = household_events([world.house_a.pk])[world.house_a.pk]
        assert claims(world) == [] and EXPIRED not in states(world)
    assert (event.kind, event.on) == (PROMISE, made)


@pytest.mark.parametrize(
    ("hour", "minute", "counts"), [(10, 0, True), (9, 59, False)], ids=["7 days", "7 days 1 min"]
)
def test_a_promise_counts_when_recorded_within_seven_days(world, hour, minute, counts):
    made = LATER - datetime.timedelta(days=settings.BACKDATE_DAYS)
    with time_machine.travel(at(LATER), tick=False):
        attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=datetime.datetime.combine(
                made, datetime.time(hour, minute), tzinfo=SHANGHAI
            ),
            channel="phone_call",
            person_contacted="owner",
            outcome="promised",
            promise=PromiseInput(amount=Decimal("100"), due_date=LATER),
        )
        events = household_events([world.house_a.pk]).get(world.house_a.pk, [])
    assert (events == [Event(made, PROMISE)]) is counts
    assert bool(claims(world)) is not counts


@pytest.mark.parametrize(("person", "counts"), [("co_owner", True), ("occupant", False)])
def test_only_an_owner_or_co_owner_can_acknowledge_the_debt(world, person, counts):
    with time_machine.travel(at(TODAY), tick=False):
        promise(world, TODAY, person=person)
        events = household_events([world.house_a.pk]).get(world.house_a.pk, [])
        assert bool(events) is counts and bool(claims(world)) is not counts


def test_a_promise_whose_conversation_was_withdrawn_counts_for_nothing(world):
    from households.models import ContactAttempt

    with time_machine.travel(at(TODAY), tick=False):
        wrong = promise(world, TODAY)
        ContactAttempt.objects.create(
            household=wrong.household,
            case=wrong.case,
            made_by=world.collector_a,
            occurred_at=wrong.occurred_at,
            channel="phone_call",
            person_contacted="owner",
            outcome="talked",
            corrects=wrong,
        )
        assert household_events([world.house_a.pk]) == {} and claims(world) == []


def test_a_promise_without_the_conversation_that_made_it_is_claimed(world):
    with time_machine.travel(at(TODAY), tick=False):
        make_promise(case=world.case_a, amount=100, due_date=TODAY, recorded_by=world.collector_a)
        assert household_events([world.house_a.pk]) == {}
        assert [c.kind for c in claims(world)] == [PROMISE]


def _plan(world, agreed, **kw):
    from escalation.plans import plan_record

    return plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=agreed,
        instalments=[(agreed + datetime.timedelta(days=30), Decimal("100"))],
        **kw,
    )


@pytest.mark.parametrize(
    ("late", "counts"), [(settings.BACKDATE_DAYS, True), (settings.BACKDATE_DAYS + 1, False)]
)
def test_a_plan_recorded_within_a_week_counts_from_the_day_it_was_agreed(world, late, counts):
    agreed = LATER - datetime.timedelta(days=late)
    with time_machine.travel(at(LATER), tick=False):
        _plan(world, agreed)
        events = household_events([world.house_a.pk]).get(world.house_a.pk, [])
        assert (events == [Event(agreed, PAYMENT_PLAN)]) is counts
        assert [c.kind for c in claims(world)] == ([] if counts else [PAYMENT_PLAN])


def test_a_backdated_plan_without_its_signed_copy_is_claimed_not_proven(world):
    with time_machine.travel(at(LATER), tick=False):
        _plan(world, CLAIMED)
        assert household_events([world.house_a.pk]) == {}
        assert states(world).count(EXPIRED) == BARRED_ON_LATER
        (claim,) = claims(world)
    assert (claim.kind, claim.on, claim.attempt_id) == (PAYMENT_PLAN, CLAIMED, None)


def test_a_backdated_plan_with_its_signed_copy_counts_from_the_day_it_was_agreed(world, media):
    with time_machine.travel(at(LATER), tick=False):
        _plan(world, CLAIMED, signed_copy=scan("plan.png"))
        assert household_events([world.house_a.pk])[world.house_a.pk] == [
            Event(CLAIMED, PAYMENT_PLAN)
        ]
        assert EXPIRED not in states(world)


def test_the_case_list_and_the_monday_pack_ignore_claims(client, world):
    monday = LATER - datetime.timedelta(days=LATER.weekday())
    with time_machine.travel(at(LATER), tick=False):
        logged(world, CLAIMED, "written_demand", "delivered")
        logged(world, CLAIMED, "lawsuit", "sent")
        watch = weekly_pack(monday, world.region)["limitation"]
        client.force_login(world.manager)
        html = client.get(reverse("case-list")).content.decode()
    assert ("C6-101", EXPIRED) in {(w["unit"], w["state"]) for w in watch}
    row = html[html.index("C6-101") :]
    assert "badge text-bg-danger" in row[: row.index("</tr>")]


def test_a_backdated_demand_posted_on_the_contact_form_leaves_the_months_expired(client, world):
    # The hurried collector of the issue: a "delivered" demand, no letter, no scan, dated a
    # year back. The page keeps the months time-barred and shows the entry as a claim.
    with time_machine.travel(at(LATER), tick=False):
        client.force_login(world.collector_a)
        response = client.post(
            reverse("attempt-new", args=[world.case_a.pk]),
            {
                "channel": "written_demand",
                "person_contacted": "owner",
                "outcome": "delivered",
                "occurred_at": f"{CLAIMED:%Y-%m-%d}T10:00",
            },
            follow=True,
        )
        assert response.redirect_chain[-1][1] == 302
        page = response.content.decode()
        (claim,) = claims(world)
    # The message after saving says so at once, with the reason.
    assert any(claim.why in str(m) for m in response.context["messages"])
    panel = page[page.index('data-testid="limitation"') :]
    panel = panel[: panel.index('data-testid="playbook"')]
    assert panel.count('data-state="expired"') == BARRED_ON_LATER
    assert 'data-testid="limitation-claim" data-kind="demand_delivered"' in panel
    assert "2016-12-20" in panel and "2019-12-20" not in panel
    timeline = page[page.index('data-testid="timeline"') :]
    assert 'data-testid="claimed"' in timeline[: timeline.index("</ul>")]


def test_the_rule_costs_the_same_queries_for_one_household_or_many(world, media):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import add_cases

    add_cases(world, 4, "Q")
    cases = list(world.campaign.cases.select_related("household"))
    with time_machine.travel(at(LATER), tick=False):
        for case in cases:
            for channel, outcome in (("written_demand", "delivered"), ("lawsuit", "sent")):
                attempt_log(
                    case=case,
                    by=world.collector_a,
                    occurred_at=at(CLAIMED),
                    channel=channel,
                    person_contacted="owner",
                    outcome=outcome,
                )
            record_payment(case.household, "10.00", world.collector_a)
        _delivered_letter(world, CLAIMED)
        promise(world, LATER)
        ids = [c.household_id for c in cases]
        counts = []
        for some in (ids[:1], ids):
            with CaptureQueriesContext(connection) as queries:
                found = household_interruptions(some)
            counts.append(len(queries))
    assert counts[0] == counts[1] <= 5
    assert sum(len(i.claims) for i in found.values()) == 2 * len(cases)


# --- the Monday pack's reading: the same dates as the case page, from far fewer rows -----------

# On 2017-01-03, a promise of 31 December restarts every month of house_a still running (all
# due 2014-01 … 2015-05: to 2019-12-31); a part payment of 2 January comes a day too late for
# house_b's 2014-01 (limit 2017-01-01) and restarts the rest to 2020-01-02; a delivered
# demand on 2 January restarts the other office's household the same way.
RECORDED = datetime.date(2017, 1, 3)
EDGE_TODAYS = [
    datetime.date(2016, 10, 2),  # 91 days before 2017-01-01: still ok
    datetime.date(2016, 10, 3),  # 90 days: near
    datetime.date(2016, 12, 31),
    datetime.date(2017, 1, 1),  # the limit itself: near, not yet expired
    datetime.date(2017, 1, 2),  # a day past: expired
    datetime.date(2017, 2, 1),
    datetime.date(2019, 10, 2),
    datetime.date(2019, 10, 3),
    datetime.date(2020, 1, 1),
    datetime.date(2020, 1, 3),
    datetime.date(2022, 6, 1),
]


@pytest.fixture
def interrupted(world, media):
    from escalation.letter_records import letter_issue, letter_record_delivery

    with time_machine.travel(at(RECORDED), tick=False):
        promise(world, datetime.date(2016, 12, 31))
        record_payment(
            world.house_b, "10.00", world.collector_b, paid_at=at(datetime.date(2017, 1, 2))
        )
        demand = letter_issue(
            case=world.other_case, kind="demand", by=world.admin, dated=datetime.date(2017, 1, 2)
        )
        letter_record_delivery(
            letter=demand,
            by=world.admin,
            delivered_on=datetime.date(2017, 1, 2),
            proof="signature",
            proof_detail="业主本人签收",
            scans=[scan()],
            method="in_person",
        )
    return [world.house_a.pk, world.house_b.pk, world.other_house.pk]


@pytest.mark.parametrize("today", EDGE_TODAYS)
def test_the_packs_reading_of_the_clock_is_the_case_pages(interrupted, today):
    from escalation.limitation_records import NearLimit, earliest_limit, near_limit, worst_state

    expected = {}
    for household_id, clocks in unpaid_clocks(interrupted, today=today).items():
        if worst_state(clocks) != OK:
            expected[household_id] = NearLimit(
                worst_state(clocks),
                earliest_limit(clocks),
                sum(1 for c in clocks if c.state != OK),
            )
    assert near_limit(interrupted, today=today) == expected


def test_the_edge_days_reach_every_state(interrupted):
    from escalation.limitation_records import near_limit

    seen = {
        (h, n.state)
        for today in EDGE_TODAYS
        for h, n in near_limit(interrupted, today=today).items()
    }
    assert {state for _h, state in seen} == {NEAR, EXPIRED}
    assert {h for h, _state in seen} == set(interrupted)
