from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from desk.load import LoadRefused, generate_load


class Command(BaseCommand):
    help = _(
        "Make up a whole region (offices, teams, households, debts, contacts, payments) for "
        "benchmarks, reproducibly from a seed. Refuses a region code that exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--offices", type=int, default=20)
        parser.add_argument("--households-per-office", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--region", default="load", help=_("Region code (a slug)."))
        parser.add_argument(
            "--summary-days",
            type=int,
            default=2,
            help=_("Daily summaries for this many days before today (0: none)."),
        )

    def handle(self, *args, **options):
        def progress(step, seconds):
            self.stdout.write(_("  %(step)s done at %(s).1f s") % {"step": step, "s": seconds})

        try:
            result = generate_load(
                offices=options["offices"],
                households_per_office=options["households_per_office"],
                seed=options["seed"],
                region_code=options["region"],
                summary_days=options["summary_days"],
                progress=progress if options["verbosity"] > 1 else None,
            )
        except LoadRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(
            self.style.SUCCESS(
                _("Region %(code)s generated in %(s).1f s (seed %(seed)d):")
                % {"code": result.region.code, "s": result.seconds, "seed": options["seed"]}
            )
        )
        for name, count in result.rows.items():
            self.stdout.write(f"  {name:<20} {count:>10,}")
        for name, seconds in result.steps:
            self.stdout.write(_("  %(s)7.1f s  %(step)s") % {"s": seconds, "step": name})
        code = result.region.code
        self.stdout.write(
            _(
                "Logins (password: DEMO_PASSWORD): admin, %(code)s-director, %(code)s-ops, "
                "<office>-manager, <office>-<team>-leader, <office>-<team>-collector and "
                "-collector2, with offices %(code)s-01 … and teams a–d."
            )
            % {"code": code}
        )
