from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from escalation.personal_data import erase_expired


class Command(BaseCommand):
    help = _(
        "Erase the owners' names, phones and notes of households whose arrears are cleared, "
        "whose campaign has closed and whose office's retention period has passed (the "
        "scheduled job does this every night); safe to run twice."
    )

    def handle(self, *args, **options):
        count = erase_expired()
        self.stdout.write(_("Contact data erased for %(count)d households.") % {"count": count})
