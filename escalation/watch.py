"""What the Monday meeting should look at on the lawful road, for a set of open cases:
demands whose deadline has passed (the legal stage may open), letters sent but not yet
proven delivered, legal actions under way, waivers awaiting approval and payment plans
behind their instalments. A fixed number of queries whatever the number of cases."""

import datetime

from django.db.models import F

from escalation.letter_records import effective_deadline
from escalation.models import LegalAction, Letter, Waiver
from escalation.plans import with_plan_state
from escalation.proceedings import OPEN_STAGES

# A letter sent more than this long ago without a delivery or a return needs chasing.
CHASE_AFTER_DAYS = 10


def _where(case) -> dict:
    return {
        "office": case.campaign.office.name,
        "unit": case.household.unit_code,
        "case": case.pk,  # the pack links to the case page
        "team": case.team.code if case.team else "",
    }


def escalation_watch(open_cases, today: datetime.date) -> dict:
    related = ("case__household", "case__campaign__office", "case__team")
    open_actions = set(
        LegalAction.objects.filter(case__in=open_cases, stage__in=OPEN_STAGES).values_list(
            "case_id", flat=True
        )
    )
    ready, seen = [], set()
    for letter in (
        Letter.objects.filter(
            case__in=open_cases, kind=Letter.Kind.DEMAND, status=Letter.Status.DELIVERED
        )
        .select_related(*related)
        .order_by("delivered_on")
    ):
        deadline = effective_deadline(letter)
        if deadline < today and letter.case_id not in open_actions and letter.case_id not in seen:
            seen.add(letter.case_id)
            ready.append(
                {**_where(letter.case), "reference": letter.reference, "deadline": deadline}
            )
    chase = [
        {
            **_where(x.case),
            "reference": x.reference,
            "sent_on": x.sent_on,
            "days": (today - x.sent_on).days,
            "tracking": x.tracking_number,
        }
        for x in Letter.objects.filter(
            case__in=open_cases,
            status=Letter.Status.SENT,
            sent_on__lte=today - datetime.timedelta(days=CHASE_AFTER_DAYS),
        )
        .select_related(*related)
        .order_by("sent_on")
    ]
    legal = [
        {
            **_where(a.case),
            "route": a.get_route_display(),
            "stage": a.get_stage_display(),
            "claimed": a.claimed,
        }
        for a in LegalAction.objects.filter(case__in=open_cases, stage__in=OPEN_STAGES)
        .select_related(*related)
        .order_by("opened_at")
    ]
    waivers = [
        {**_where(w.case), "amount": w.amount, "basis": w.get_basis_display()}
        for w in Waiver.objects.filter(case__in=open_cases, status=Waiver.Status.PENDING)
        .select_related(*related)
        .order_by("requested_at")
    ]
    return {
        "legal_ready": ready,
        "letters_to_chase": chase,
        "legal_open": legal,
        "waivers_pending": waivers,
        "plans_behind": _plans_behind(open_cases, today),
    }


def _plans_behind(open_cases, today: datetime.date) -> list[dict]:
    """Cases whose latest plan is behind: the same rule that orders the collectors' work."""
    behind = (
        with_plan_state(open_cases, today=today)
        .filter(plan_id__isnull=False, plan_paid_now__lt=F("plan_owed_now"))
        .select_related("household", "campaign__office", "team")
    )
    return sorted(
        (
            {**_where(case), "owed": case.plan_owed_now, "paid": case.plan_paid_now}
            for case in behind
        ),
        key=lambda b: (b["office"], b["unit"]),
    )
