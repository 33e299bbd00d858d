"""On-site tips from gate and patrol staff: the responsible collector hears at once.

A tip's note is scanned like every free text (arrears.unlawful): a note that mentions an
unlawful method is saved, flagged and the office manager is told.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from arrears.cases import case_for_household
from arrears.messages import Message
from arrears.models import Notification
from arrears.notifications import case_recipients, notify
from arrears.text_flags import flags_notify
from arrears.unlawful import flagged_terms
from households.models import Household, OnSiteTip


def tip_report(*, household: Household, kind: str, by, note: str = "") -> OnSiteTip:
    flags = flagged_terms(note)
    with transaction.atomic():
        tip = OnSiteTip.objects.create(
            household=household,
            kind=kind,
            note=note.strip(),
            reported_by=by,
            flagged_terms=flags,
        )
        case = case_for_household(household)
        # The responsible person if she is still in the case's team; else (nobody named
        # yet, or she has left the team) the team's leader takes it.
        recipients = case_recipients(case, [case.responsible]) if case is not None else []
        notify(
            recipients=recipients,
            kind=Notification.Kind.TIP,
            title=Message(
                gettext_noop("%(unit)s: %(kind)s"),
                unit=household.unit_code,
                kind=OnSiteTip.Kind(tip.kind).label,  # lazy: put in the reader's language
            ),
            body=tip.note,
            url=reverse("case-detail", args=[case.pk]) if case else "",
        )
        flags_notify(
            office=household.office,
            unit=household.unit_code,
            what=gettext_lazy("On-site tip"),
            terms=flags,
            url=reverse("case-detail", args=[case.pk]) if case else "",
        )
    return tip
