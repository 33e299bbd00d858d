from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk.demo import HOUSEHOLDS, demo_load, demo_logins

REFUSAL = (
    "load_demo refuses to run on the production settings: it creates an administrator and "
    "staff logins for a made-up office. Load the demo on a development or demo site "
    "(manage.py uses config.settings). If this production-configured site really is a demo, "
    "run it again with --yes-demo-in-production: every demo user then gets its own random "
    "password, printed once."
)


class Command(BaseCommand):
    help = "Load the 华庭 campaign from the office's plan as demo data (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--original-dates",
            action="store_true",
            help="Keep the plan's own 2013–2015 dates instead of moving the campaign to today.",
        )
        parser.add_argument(
            "--yes-demo-in-production",
            action="store_true",
            help="Load the demo on the production settings anyway, with random passwords.",
        )

    def handle(self, *args, original_dates=False, yes_demo_in_production=False, **options):
        if settings.PRODUCTION and not yes_demo_in_production:
            raise CommandError(REFUSAL)
        random_passwords = settings.PRODUCTION
        result = demo_load(original_dates=original_dates, random_passwords=random_passwords)
        campaign = result.campaign
        verb = "Loaded" if result.created else "Already loaded, nothing changed:"
        self.stdout.write(self.style.SUCCESS(f"{verb} {campaign} ({campaign.office})"))
        self.stdout.write(
            f"  campaign {campaign.start_date:%Y-%m-%d} → {campaign.target_date:%Y-%m-%d}, "
            f"arrears through {campaign.arrears_through:%Y-%m}; "
            f"plan dates moved by {result.month_shift} months"
        )
        self.stdout.write(
            f"  {len(HOUSEHOLDS)} households, 4 teams (A–D; the plan's 'E' group is D)"
        )
        self.stdout.write("")
        if random_passwords:
            self._random_passwords(result.passwords)
            return
        self.stdout.write(
            f"Demo logins (password for all: {settings.DEMO_PASSWORD}) — demo data only:"
        )
        for username, name, role in demo_logins():
            self.stdout.write(f"  {username:<12} {name:<16} {role}")

    def _random_passwords(self, passwords):
        if not passwords:
            self.stdout.write(
                "Demo logins already exist: their passwords were printed when they were "
                "created and are not shown again (reset one with manage.py changepassword)."
            )
            return
        self.stdout.write(
            "Demo logins with their random passwords, shown this once (note them now):"
        )
        for username, name, role in demo_logins():
            if username in passwords:
                self.stdout.write(f"  {username:<12} {passwords[username]:<18} {name:<16} {role}")
