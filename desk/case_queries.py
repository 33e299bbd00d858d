"""The case list's queryset: scoped, with figures, promise state and what to do next."""

import datetime

from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Value, When
from django.utils import timezone

from arrears import scoping
from arrears.models import Campaign, Case
from arrears.promises import BROKEN, PENDING, with_promise_state
from arrears.selectors import with_case_figures
from escalation.plans import with_plan_state
from households.contact_policy import CONVERSATION_OUTCOMES, OWNER_PERSONS
from households.models import ContactAttempt

# What to do next, in the order a collector should do it.
BROKEN_PROMISE, PROMISE_DUE, PLAN_REACHED, CONTACT_ALLOWED, CONTACT_BLOCKED, DONE = range(6)


def cases_to_work(
    user, *, now: datetime.datetime | None = None, running_only=True
) -> QuerySet[Case]:
    """The user's cases ordered by what to do next: broken or due promises (and payment
    plans behind or with an instalment due today), planned dates reached, then cases that may be contacted now before those that may not."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    qs = scoping.cases(user)
    if running_only:
        qs = qs.filter(campaign__status=Campaign.Status.RUNNING)
    qs = with_plan_state(with_promise_state(with_case_figures(qs), today=today), today=today)
    # In the database only the two lasting blocks are visible (written-only, a recent
    # conversation); the exact answer per row comes from the contact policy on the page.
    recent_conversation = ContactAttempt.objects.filter(
        household=OuterRef("household"),
        person_contacted__in=OWNER_PERSONS,
        outcome__in=CONVERSATION_OUTCOMES,
        occurred_at__gt=now - datetime.timedelta(days=7),
    )
    qs = qs.annotate(
        priority=Switch(
            When(status__in=[Case.Status.CLEARED, Case.Status.CLOSED], then=Value(DONE)),
            When(promise_state=BROKEN, then=Value(BROKEN_PROMISE)),
            # A payment plan behind its instalments is a broken promise; one due today, due.
            When(plan_paid_now__lt=F("plan_owed_now"), then=Value(BROKEN_PROMISE)),
            When(promise_state=PENDING, promise_due__lte=today, then=Value(PROMISE_DUE)),
            When(plan_next_due=today, then=Value(PROMISE_DUE)),
            When(planned_date__lte=today, then=Value(PLAN_REACHED)),
            When(household__written_contact_only=True, then=Value(CONTACT_BLOCKED)),
            When(Exists(recent_conversation), then=Value(CONTACT_BLOCKED)),
            default=Value(CONTACT_ALLOWED),
            output_field=IntegerField(),
        )
    )
    return qs.order_by(
        "priority",
        F("promise_due").asc(nulls_last=True),
        F("planned_date").asc(nulls_last=True),
        "-balance",
        "household__unit_code",
    )
