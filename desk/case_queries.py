"""The case list's queryset: scoped, with figures, promise state and what to do next."""

import datetime

from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Value, When
from django.utils import timezone

from arrears import scoping
from arrears.models import Campaign, Case
from arrears.promises import with_promise_state
from arrears.selectors import with_case_figures
from escalation.plans import with_plan_state
from households.contact_policy import CONVERSATION_OUTCOMES, OWNER_PERSONS
from households.models import ContactAttempt, Household

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
    # The order is computed from the case's kept columns (arrears.case_figures) and today:
    # per case in scope a few comparisons, and the one subquery only for the cases contacted
    # in the last week. The promise and plan annotations above are shown for the page's rows.
    week_ago = now - datetime.timedelta(days=7)
    written_only = Household.objects.filter(written_contact_only=True).values("pk")
    recent_conversation = ContactAttempt.objects.filter(
        household=OuterRef("household"),
        person_contacted__in=OWNER_PERSONS,
        outcome__in=CONVERSATION_OUTCOMES,
        occurred_at__gt=week_ago,
    )
    qs = qs.annotate(
        priority=Switch(
            When(status__in=[Case.Status.CLEARED, Case.Status.CLOSED], then=Value(DONE)),
            # A promise not kept by its day is broken; a payment plan behind its
            # instalments is too. One due today (not yet paid), due.
            When(open_promise_due__lt=today, then=Value(BROKEN_PROMISE)),
            When(plan_unpaid_due__lt=today, then=Value(BROKEN_PROMISE)),
            When(open_promise_due=today, then=Value(PROMISE_DUE)),
            When(plan_unpaid_due=today, then=Value(PROMISE_DUE)),
            When(planned_date__lte=today, then=Value(PLAN_REACHED)),
            # A set read once, not a join: the totals and the count of the same queryset
            # would keep the join to every household in scope.
            When(household__in=written_only, then=Value(CONTACT_BLOCKED)),
            # Nested, so the subquery runs only for cases contacted in the last week.
            When(
                last_contact_at__gt=week_ago,
                then=Switch(
                    When(Exists(recent_conversation), then=Value(CONTACT_BLOCKED)),
                    default=Value(CONTACT_ALLOWED),
                ),
            ),
            default=Value(CONTACT_ALLOWED),
            output_field=IntegerField(),
        )
    )
    return qs.order_by(
        "priority",
        F("open_promise_due").asc(nulls_last=True),
        F("planned_date").asc(nulls_last=True),
        "-balance",
        "household__unit_code",
    )
