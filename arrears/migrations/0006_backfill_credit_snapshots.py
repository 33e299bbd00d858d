"""Payments and clearances recorded before credit was snapshotted get the case's team and
responsible person as they are now: the best that can be known for old rows."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Payment = apps.get_model("arrears", "Payment")
    Clearance = apps.get_model("arrears", "Clearance")
    Case = apps.get_model("arrears", "Case")
    case = Case.objects.filter(pk=OuterRef("case_id"))
    # QuerySet.update: these rows are append-only for application code, not for migrations.
    Payment.objects.filter(team__isnull=True, case__isnull=False).update(
        team=Subquery(case.values("team_id")[:1]),
        credited_to=Subquery(case.values("responsible_id")[:1]),
    )
    Clearance.objects.filter(responsible__isnull=True).update(
        responsible=Subquery(case.values("responsible_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("arrears", "0005_credit_snapshots")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
