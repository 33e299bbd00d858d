"""Disputes (issue 17.2): recording, the steps after it, and the pause rule."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from arrears.models import DebtPeriod, ImmutableRecordError, Notification
from households import disputes
from households.disputes import DisputeFacts, pause_since
from households.models import Dispute, DisputeEvent, DisputeWorkOrder

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime.datetime(2015, 6, 10, 10, 0, tzinfo=TZ)
M = [datetime.date(2015, m, 1) for m in (1, 2, 3)]


def months_of(house, *months):
    return list(DebtPeriod.objects.filter(household=house, month__in=months))


# --- the pause rule, plain ---------------------------------------------------------------


def test_no_pause_without_disputes_or_unpaid_months():
    assert pause_since([], M, AT) is None
    assert pause_since([DisputeFacts(AT, None, whole_debt=True)], [], AT) is None


def test_all_unpaid_months_disputed_pauses_from_the_dispute():
    facts = DisputeFacts(AT, None, months=frozenset(M))
    assert pause_since([facts], M, AT) == AT
    assert pause_since([facts], M, AT + datetime.timedelta(days=30)) == AT


def test_some_months_disputed_does_not_pause():
    facts = DisputeFacts(AT, None, months=frozenset(M[:2]))
    assert pause_since([facts], M, AT + datetime.timedelta(hours=1)) is None


def test_two_disputes_together_pause_from_the_second():
    first = DisputeFacts(AT, None, months=frozenset(M[:2]))
    second = DisputeFacts(AT + datetime.timedelta(days=1), None, months=frozenset(M[2:]))
    later = AT + datetime.timedelta(days=2)
    assert pause_since([second, first], M, later) == second.recorded_at
    assert pause_since([first, second], M, AT + datetime.timedelta(hours=1)) is None


def test_a_whole_debt_service_dispute_pauses_everything():
    assert pause_since([DisputeFacts(AT, None, whole_debt=True)], M, AT) == AT


def test_pause_ends_when_the_written_answer_is_delivered():
    delivered = AT + datetime.timedelta(days=10)
    facts = DisputeFacts(AT, delivered, months=frozenset(M))
    assert pause_since([facts], M, delivered - datetime.timedelta(minutes=1)) == AT
    assert pause_since([facts], M, delivered) is None
    assert pause_since([facts], M, AT - datetime.timedelta(minutes=1)) is None


# --- recording ---------------------------------------------------------------------------


def record(world, **kw):
    fields = {
        "case": world.case_a,
        "kind": "months",
        "months": months_of(world.house_a, datetime.date(2014, 1, 1), datetime.date(2014, 2, 1)),
        "words": "那两个月我交过了",
        "source": "call",
        "by": world.collector_a,
    }
    fields.update(kw)
    return disputes.dispute_record(**fields)


def test_recording_a_months_dispute_keeps_the_months_and_tells_the_manager(world):
    dispute = record(world)
    assert [p.month for p in dispute.months.order_by("month")] == [
        datetime.date(2014, 1, 1),
        datetime.date(2014, 2, 1),
    ]
    assert dispute.recorded_by == world.collector_a
    assert disputes.status(dispute) == disputes.OPEN
    notice = Notification.objects.get(recipient=world.manager, kind=Notification.Kind.DISPUTE)
    assert notice.url.endswith(f"/disputes/{dispute.pk}/")  # the dispute page
    with translation.override("en"):
        from arrears.messages import shown

        assert "Dispute on C6-101" in shown(notice.message, notice.params, notice.title)
        assert "那两个月我交过了" in shown(notice.body_message, notice.body_params, notice.body)
    with translation.override("zh-hans"):
        title = shown(notice.message, notice.params, notice.title)
        assert "C6-101" in title and "Dispute" not in title
    # Nobody in the other office hears of it.
    assert not Notification.objects.filter(recipient=world.other_manager).exists()


def test_months_of_another_household_are_refused(world):
    other = months_of(world.other_house, datetime.date(2014, 1, 1))
    with pytest.raises(ValidationError) as caught:
        record(world, months=other)
    assert "months" in caught.value.message_dict
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"months": []}, "months"),
        ({"kind": "amount", "months": [], "amount": None}, "amount"),
        ({"kind": "amount", "months": [], "amount": Decimal("-5")}, "amount"),
        ({"kind": "service", "months": [], "cause": ""}, "cause"),
        ({"kind": "service", "months": [], "cause": "made_up"}, "cause"),
        ({"cause": "cleaning"}, "cause"),
        ({"amount": Decimal("100")}, "amount"),
        ({"words": "   "}, "words"),
        ({"source": "rumour"}, "source"),
        ({"by": None}, "source"),
    ],
)
def test_a_dispute_that_does_not_hold_together_is_refused_with_what_to_do(world, fields, field):
    with pytest.raises(ValidationError) as caught:
        record(world, **fields)
    assert field in caught.value.message_dict
    assert not Dispute.objects.exists()


def test_the_owner_may_record_from_the_statement_page_without_staff(world):
    dispute = record(
        world, source="statement", by=None, kind="service", months=[], cause="leak_unrepaired"
    )
    assert dispute.recorded_by is None and dispute.cause == "leak_unrepaired"


def test_open_answered_resolved_and_nothing_is_edited(world):
    dispute = record(world)
    with pytest.raises(ValidationError):
        disputes.dispute_resolve(dispute=dispute, outcome="settled", by=world.manager)
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager)
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert disputes.status(dispute) == disputes.ANSWERED
    with pytest.raises(ValidationError):
        disputes.dispute_answer_delivered(dispute=dispute, by=world.manager)
    with pytest.raises(ValidationError) as caught:
        disputes.dispute_resolve(dispute=dispute, outcome="rejected", by=world.manager)
    assert "note" in caught.value.message_dict
    disputes.dispute_resolve(
        dispute=dispute, outcome="rejected", note="收据号查无此款", by=world.manager
    )
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert disputes.status(dispute) == disputes.RESOLVED
    assert [e.kind for e in dispute.events.all()] == ["answered", "rejected"]
    dispute.words = "changed"
    with pytest.raises(ImmutableRecordError):
        dispute.save()
    with pytest.raises(ImmutableRecordError):
        DisputeEvent.objects.first().delete()


def test_answer_before_the_dispute_is_refused(world):
    dispute = record(world)
    with pytest.raises(ValidationError):
        disputes.dispute_answer_delivered(
            dispute=dispute, by=world.manager, at=dispute.recorded_at - datetime.timedelta(days=1)
        )


def test_household_pause_reads_the_database(world):
    at = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    all_months = list(DebtPeriod.objects.filter(household=world.house_a))
    assert disputes.household_pause(world.house_a.pk, at) is None
    record(world, now=at - datetime.timedelta(hours=1))  # two months only
    assert disputes.household_pause(world.house_a.pk, at) is None
    dispute = record(world, months=all_months, now=at - datetime.timedelta(minutes=30))
    assert disputes.household_pause(world.house_a.pk, at) == dispute.recorded_at
    assert disputes.household_pause(world.house_b.pk, at) is None
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager, at=at)
    assert disputes.household_pause(world.house_a.pk, at) is None


def test_a_service_dispute_naming_no_months_pauses_the_whole_debt(world):
    at = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    dispute = record(world, kind="service", months=[], cause="security", now=at)
    assert disputes.household_pause(world.house_a.pk, at) == dispute.recorded_at


def test_an_amount_dispute_pauses_the_whole_debt_only_when_it_covers_the_balance(world):
    at = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    record(world, kind="amount", months=[], amount=Decimal("300"), now=at)
    assert disputes.household_pause(world.house_a.pk, at) is None
    whole = record(world, kind="amount", months=[], amount=Decimal("1700"), now=at)
    assert disputes.household_pause(world.house_a.pk, at) == whole.recorded_at


def test_a_service_dispute_becomes_a_work_order_for_who_can_fix_it(world):
    at = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=TZ)
    leak = record(world, kind="service", months=[], cause="leak_unrepaired", now=at)
    assert leak.work_order.department == "engineering"
    assert leak.work_order.due_date == datetime.date(2026, 12, 7)  # local date + 7 days
    theft = record(world, kind="service", months=[], cause="security", now=at)
    assert theft.work_order.department == "security"
    months = record(world, now=at)
    assert not DisputeWorkOrder.objects.filter(dispute=months).exists()


def test_the_log_form_names_the_months_not_to_ask_for(client, world):
    """Two months disputed: calls about the household go on (about the others), and the log
    form says which months not to ask for, with what they add up to."""
    from django.urls import reverse

    client.force_login(world.collector_a)
    url = reverse("attempt-new", args=[world.case_a.pk])
    assert 'data-testid="paused-months"' not in client.get(url).content.decode()
    record(world)
    assert disputes.paused_month_ranges(world.house_a.pk, timezone.now())[0].count == 2
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        page = client.get(url).content.decode()
    assert 'data-testid="paused-months"' in page
    assert "2014-01 — 2014-02 (2 months)" in page and "¥200.00" in page


def test_no_months_to_list_when_the_whole_debt_is_paused(world):
    record(world, kind="service", months=(), cause="leak_unrepaired", words="漏水一直没修")
    assert disputes.paused_month_ranges(world.house_a.pk, timezone.now()) is None
