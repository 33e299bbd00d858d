"""Bring every office policy number that is looser than DESIGN.md §5.3 back to the default.

Runs before 0006 adds the CHECK constraints that keep them there. Each changed row gets a
historical record (history_type "~") with the reason, so the office can see what it had and
what it has now; a row whose looser values were never in its history (written past the
model) first gets a record of them, so nothing that was stored is lost.

The defaults are frozen here as they were when this migration was written.
"""

import datetime

from django.db import migrations
from django.utils import timezone

# field: (default, "max" if the default is a ceiling, "min" if it is a floor)
LIMITS = {
    "allowed_from": (datetime.time(8, 0), "min"),
    "allowed_until": (datetime.time(21, 0), "max"),
    "calls_per_day": (2, "max"),
    "calls_per_7_days": (7, "max"),
    "quiet_days_after_conversation": (7, "min"),
    "messages_per_day": (1, "max"),
    "messages_per_7_days": (3, "max"),
    "visits_per_7_days": (1, "max"),
    "visit_staff_recommended": (2, "min"),
    "visit_staff_max": (3, "max"),
}
FIELDS = list(LIMITS)
REASON = "Set back to the DESIGN.md §5.3 default: a policy may be stricter, never looser"
FOUND = "Values found before they were set back to the DESIGN.md §5.3 defaults"


def _looser(value, default, kind):
    return value > default if kind == "max" else value < default


def _record(historical, policy, when, reason):
    historical.objects.create(
        id=policy.pk,
        office_id=policy.office_id,
        history_date=when,
        history_type="~",
        history_change_reason=reason,
        history_user=None,
        **{name: getattr(policy, name) for name in FIELDS},
    )


def clamp(apps, schema_editor):
    ContactPolicy = apps.get_model("households", "ContactPolicy")
    HistoricalContactPolicy = apps.get_model("households", "HistoricalContactPolicy")
    now = timezone.now()
    for policy in ContactPolicy.objects.order_by("pk"):
        changed = [
            name
            for name, (default, kind) in LIMITS.items()
            if _looser(getattr(policy, name), default, kind)
        ]
        if not changed:
            continue
        last = (
            HistoricalContactPolicy.objects.filter(id=policy.pk)
            .order_by("-history_date", "-history_id")
            .first()
        )
        if last is None or any(getattr(last, n) != getattr(policy, n) for n in FIELDS):
            _record(HistoricalContactPolicy, policy, now, FOUND)
            now += datetime.timedelta(microseconds=1)
        for name in changed:
            setattr(policy, name, LIMITS[name][0])
        # Two staff are recommended at least, so the maximum on a visit cannot be below it.
        if policy.visit_staff_max < policy.visit_staff_recommended:
            policy.visit_staff_max = policy.visit_staff_recommended
        if policy.allowed_from >= policy.allowed_until:
            policy.allowed_from, policy.allowed_until = (
                LIMITS["allowed_from"][0],
                LIMITS["allowed_until"][0],
            )
        # update(), not save(): no signal writes a second record beside ours.
        ContactPolicy.objects.filter(pk=policy.pk).update(**{n: getattr(policy, n) for n in FIELDS})
        _record(HistoricalContactPolicy, policy, now, REASON)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0004_outcome_sent"),
    ]

    operations = [
        migrations.RunPython(clamp, migrations.RunPython.noop),
    ]
