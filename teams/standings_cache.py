"""The leaderboard and the assessment, kept for a minute (issue 15): everyone in an office sees
the same standings, so a page need not load the campaign's facts on every request.

Each office has a version token in Django's cache; what is kept for a campaign is filed under
its office's token and the office's latest payment, and anything that changes the standings
gives the office a new token at once and again once the transaction commits (a request that
read the old data meanwhile files it under the old token): a payment or a reversal, a
clearance or its revocation, a contact attempt (a breach voids a clearance) and its review, a
backdating approval, a team, its members or the campaign's policy. The signals are wired in
TeamsConfig.ready(). A payment written in bulk (a batch, an import) sends no signal; the
latest payment in the key sees it. Kept at most SECONDS seconds in any case.
"""

import uuid

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from arrears.models import BackdateApproval, Campaign, Case, Clearance, Payment
from households.models import ContactAttempt, ExemptionReview, Household
from teams.models import Team, TeamMember
from teams.standings import (
    assessment,
    cumulative_collection,
    leaderboard,
    load_facts,
    member_rows,
    monthly_clearances,
)

SECONDS = 60


def _prefix() -> str:
    # Several databases may share one cache (a file cache per checkout, a Redis): keys name theirs.
    return f"standings:{connection.settings_dict['NAME']}"


def _version_key(office_id: int) -> str:
    return f"{_prefix()}:version:{office_id}"


def _key(campaign: Campaign, what: str) -> str:
    version = cache.get(_version_key(campaign.office_id))
    if version is None:
        version = uuid.uuid4().hex
        cache.set(_version_key(campaign.office_id), version, None)
    latest = (
        Payment.objects.filter(office_id=campaign.office_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    # The local date: a month or a week that ends at midnight ends for the kept copy too.
    return f"{_prefix()}:{campaign.pk}:{what}:{timezone.localdate()}:{version}:{latest}"


def board(campaign: Campaign, kind: str) -> dict:
    """The campaign's leaderboard of `kind`, every member's row and the two charts."""
    key = _key(campaign, f"board:{kind}")
    kept = cache.get(key)
    if kept is None:
        facts = load_facts(campaign)
        kept = {
            "rows": leaderboard(facts, kind),
            "members": member_rows(facts, kind),
            "collection_chart": cumulative_collection(facts),
            "clearance_chart": monthly_clearances(facts),
            "policy": facts.policy,
        }
        cache.set(key, kept, SECONDS)
    return kept


def assessment_of(campaign: Campaign):
    """The campaign's assessment (teams.standings.assessment) and its scoring policy."""
    key = _key(campaign, "assessment")
    kept = cache.get(key)
    if kept is None:
        facts = load_facts(campaign)
        kept = (assessment(facts), facts.policy)
        cache.set(key, kept, SECONDS)
    return kept


def forget(office_id: int | None) -> None:
    """The office's standings changed: nothing kept before counts any more."""
    if office_id is None:
        return

    def renew():
        cache.set(_version_key(office_id), uuid.uuid4().hex, None)

    renew()
    transaction.on_commit(renew)


def _cached(instance, name: str):
    return instance._state.fields_cache.get(name)


def _office_of(instance) -> int | None:
    """The office whose standings `instance` changes: from its own fields where it has them,
    else one small query."""
    if isinstance(instance, Payment | Campaign):
        return instance.office_id
    if isinstance(instance, ContactAttempt):
        household = _cached(instance, "household")
        if household is not None:
            return household.office_id
        return (
            Household.objects.filter(pk=instance.household_id)
            .values_list("office_id", flat=True)
            .first()
        )
    lookups = {
        Clearance: (Case, "case_id", "campaign__office_id"),
        ExemptionReview: (ContactAttempt, "attempt_id", "household__office_id"),
        BackdateApproval: (Payment, "payment_id", "office_id"),
        Team: (Campaign, "campaign_id", "office_id"),
        TeamMember: (Team, "team_id", "campaign__office_id"),
    }
    model, field, path = lookups[type(instance)]
    return model.objects.filter(pk=getattr(instance, field)).values_list(path, flat=True).first()


def _changed(sender, instance, **kwargs):
    if kwargs.get("raw"):  # loading fixtures
        return
    forget(_office_of(instance))


WATCHED = (
    Payment,
    Clearance,
    ContactAttempt,
    ExemptionReview,
    BackdateApproval,
    Team,
    TeamMember,
    Campaign,
)


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"standings-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"standings-{model.__name__}-del")
