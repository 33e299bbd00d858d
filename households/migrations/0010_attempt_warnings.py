from django.db import migrations, models

RECOMMENDED = "visit_staff_recommended"  # households.contact_policy.VISIT_STAFF_RECOMMENDED


def keep_solo_visit_advice(apps, schema_editor):
    """Home visits saved before warnings were kept get the advice they did not follow, judged
    by their office's recommended staff count (2 by default). Nothing else changes."""
    ContactAttempt = apps.get_model("households", "ContactAttempt")
    ContactPolicy = apps.get_model("households", "ContactPolicy")
    recommended = dict(ContactPolicy.objects.values_list("office_id", "visit_staff_recommended"))
    visits = ContactAttempt.objects.filter(channel="home_visit").values_list(
        "pk", "household__office_id", "staff_count"
    )
    solo = [
        pk
        for pk, office_id, staff in visits
        if staff is None or staff < recommended.get(office_id, 2)
    ]
    # update(), not save(): the rows are append-only for people, not for their own schema.
    ContactAttempt.objects.filter(pk__in=solo).update(warnings=[RECOMMENDED])


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0009_tip_flags"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactattempt",
            name="warnings",
            field=models.JSONField(
                blank=True, default=list, verbose_name="policy advice not followed"
            ),
        ),
        migrations.RunPython(keep_solo_visit_advice, migrations.RunPython.noop),
    ]
