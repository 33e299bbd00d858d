"""What happens to free text that names an unlawful method (DESIGN.md §5.2).

Every service that saves text a person wrote calls these: a decision or a plan that approves
a method is refused with the rule and the law (`refuse_approved`); any other mention is saved,
its phrases stored on the record (`flagged_terms`) and the office manager told, with each
phrase and its rule (`flags_notify`). The scanner itself is `arrears.unlawful`; the page that lists flagged texts reads them
with `reports.flagged_texts`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.messages import Flags, Message
from arrears.models import Notification
from arrears.notifications import notify, office_managers
from arrears.unlawful import approved_methods


def refuse_approved(field: str, *texts: str | None) -> None:
    """Raise a ValidationError on `field` naming each approved method's phrase, rule and law."""
    hits = approved_methods(*texts)
    if not hits:
        return
    seen, errors = set(), []
    for hit in hits:
        if hit.code in seen:
            continue
        seen.add(hit.code)
        errors.append(
            ValidationError(
                _(
                    "“%(phrase)s” approves a method that does not exist in this product, so "
                    "nothing was saved. %(reason)s Write a lawful step instead: a written "
                    "demand with a deadline, the owners' committee, mediation, a payment order "
                    "or a suit."
                )
                % {"phrase": hit.phrase, "reason": hit.reason},
                code=hit.code,
            )
        )
    raise ValidationError({field: errors})


def flags_notify(*, office, unit: str, what, terms: list[str], url: str = "") -> None:
    """Tell the office's managers that `what` (a lazy translation: put in the reader's
    language when read) on `unit` mentions unlawful methods."""
    if not terms:
        return
    notify(
        recipients=office_managers(office),
        kind=Notification.Kind.FLAG,
        title=Message(
            gettext_noop("%(what)s on %(unit)s flagged for review"), what=what, unit=unit
        ),
        body=Message(gettext_noop("Mentions: %(terms)s"), terms=Flags(terms)),
        url=url,
    )
