from django.conf import settings
from django.core.management.base import BaseCommand

from arrears.demo import HOUSEHOLDS, demo_load, demo_logins


class Command(BaseCommand):
    help = "Load the 华庭 campaign from the office's plan as demo data (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--original-dates",
            action="store_true",
            help="Keep the plan's own 2013–2015 dates instead of moving the campaign to today.",
        )

    def handle(self, *args, original_dates=False, **options):
        result = demo_load(original_dates=original_dates)
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
        self.stdout.write(
            f"Demo logins (password for all: {settings.DEMO_PASSWORD}) — demo data only:"
        )
        for username, name, role in demo_logins():
            self.stdout.write(f"  {username:<12} {name:<16} {role}")
