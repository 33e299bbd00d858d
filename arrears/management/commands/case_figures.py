from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from arrears import case_figures
from arrears.models import Case


class Command(BaseCommand):
    help = _(
        "Recompute every case's kept figures (owed, paid, balance, unpaid months, oldest "
        "unpaid month, last contact, the open promise's day, the first uncovered "
        "instalment's day) from the ledger, attempts, promises and plans and list the cases "
        "where they differ; with --fix, write the recomputed figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help=_("Write the recomputed figures."))
        parser.add_argument(
            "--show", type=int, default=20, help=_("List at most this many differences.")
        )

    def handle(self, *args, **options):
        found = case_figures.drift()
        cases = Case.objects.count()
        for d in found[: options["show"]]:
            self.stdout.write(
                _("  case %(case)d  %(field)s: kept %(stored)s, ledger %(computed)s")
                % {"case": d.case_id, "field": d.field, "stored": d.stored, "computed": d.computed}
            )
        differing = len({d.case_id for d in found})
        summary = _("%(cases)d cases checked, %(differing)d with figures that differ.") % {
            "cases": cases,
            "differing": differing,
        }
        if options["fix"]:
            fixed = case_figures.refresh(None)
            self.stdout.write(summary)
            self.stdout.write(self.style.SUCCESS(_("%(n)d cases rewritten.") % {"n": fixed}))
            return
        if differing:
            raise CommandError(summary + " " + _("Run it again with --fix to rewrite them."))
        self.stdout.write(self.style.SUCCESS(summary))
