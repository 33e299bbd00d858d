"""When the scheduled summaries first ran on this installation (issue 16): an installation
that already produced summaries started no later than its first one."""

from django.db import migrations, models


def from_first_summary(apps, schema_editor):
    Summary = apps.get_model("arrears", "Summary")
    SchedulerStart = apps.get_model("arrears", "SchedulerStart")
    first = Summary.objects.order_by("generated_at").values_list("generated_at", flat=True).first()
    if first is not None:
        SchedulerStart.objects.get_or_create(name="summaries", defaults={"started_at": first})


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0008_promise_issue_team"),
    ]

    operations = [
        migrations.CreateModel(
            name="SchedulerStart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(default="summaries", max_length=50, unique=True)),
                ("started_at", models.DateTimeField(verbose_name="first started at")),
            ],
            options={
                "verbose_name": "scheduler start",
                "verbose_name_plural": "scheduler starts",
            },
        ),
        migrations.RunPython(from_first_summary, migrations.RunPython.noop),
    ]
