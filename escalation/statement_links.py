"""The owner's statement link (issue 17.1): a signed, expiring, revocable token.

The token is the link's id signed with its own salt and the time it was signed
(django.core.signing.TimestampSigner). It is valid for STATEMENT_DAYS from issue, up to and
including the very second the 90 days end, unless it was revoked. Whatever is wrong with a
token — forged, altered, expired, revoked, unknown — the answer is the same `None`, so that
the public page says the same thing for all of them.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from arrears.ledger import MonthRange
from arrears.messages import Message
from arrears.models import Case, Notification, Payment
from arrears.money import ZERO
from arrears.notifications import notify, office_managers
from escalation.letters import unpaid_ranges
from escalation.models import (
    PlanProposal,
    StatementEvent,
    StatementLink,
    StatementLinkRevocation,
)
from escalation.statement_qr import statement_url
from escalation.statement_tokens import VALIDITY, _signer, token_for  # noqa: F401 - token_for is part of this module's use
from households.contact import household_set_written_only
from households.disputes import month_ranges_of, open_disputes, status
from households.models import Household


def link_issue(*, case: Case, by, letter=None) -> StatementLink:
    """A new link for the case's household; earlier links stay valid until they expire."""
    now = timezone.now()
    return StatementLink.objects.create(
        case=case, letter=letter, issued_by=by, issued_at=now, expires_at=now + VALIDITY
    )


def link_for_token(token: str, *, now: datetime.datetime | None = None) -> StatementLink | None:
    """The live link the token names, or None (forged, expired, revoked or unknown)."""
    now = now or timezone.now()
    try:
        value, timestamp = signing.Signer.unsign(_signer(), token).rsplit(_signer().sep, 1)
        signed_at = signing.b62_decode(timestamp)
        pk = int(value)
    except (signing.BadSignature, ValueError):
        return None
    if now.timestamp() - signed_at > VALIDITY.total_seconds():
        return None
    link = (
        StatementLink.objects.filter(pk=pk, revocation__isnull=True, expires_at__gte=now)
        .select_related("case__household", "case__campaign__office")
        .first()
    )
    return link


def link_revoke(*, link: StatementLink, by, reason: str = "") -> StatementLinkRevocation:
    """Withdraw a link for good: the revocation is kept; a new link may be issued."""
    with transaction.atomic():
        link = StatementLink.objects.select_for_update().get(pk=link.pk)
        existing = StatementLinkRevocation.objects.filter(link=link).first()
        if existing:
            return existing
        return StatementLinkRevocation.objects.create(link=link, revoked_by=by, reason=reason)


def link_is_live(link: StatementLink, *, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return not hasattr(link, "revocation") and link.expires_at >= now


def event_record(link: StatementLink, kind: str) -> StatementEvent:
    return StatementEvent.objects.create(link=link, kind=kind)


@dataclass(frozen=True)
class OwnerDispute:
    """A dispute as the owner sees it on the statement: what, since when, its state."""

    kind: str
    kind_label: str
    recorded_on: datetime.date
    months: list[MonthRange]
    state: str


def owner_disputes(case: Case) -> list[OwnerDispute]:
    """The household's open disputes, newest first, naming no one who recorded them."""
    return [
        OwnerDispute(
            kind=d.kind,
            kind_label=d.get_kind_display(),
            recorded_on=timezone.localdate(d.recorded_at),
            months=month_ranges_of(d),
            state=status(d),
        )
        for d in open_disputes(case)
    ]


@dataclass(frozen=True)
class Statement:
    """What the owner's statement shows: this household's debt and the office's contacts,
    never the owner's phone, other owners or any collector's name."""

    office_name: str
    office_address: str
    office_phone: str
    office_hours: str
    payment_instructions: str
    unit: str
    ranges: list[MonthRange]
    total: Decimal
    payments: list[tuple[datetime.date, Decimal]]
    written_only: bool
    # Months under an open dispute: paused, not demanded until the written answer (17.2).
    under_review: tuple[MonthRange, ...] = ()
    disputes: tuple = ()  # OwnerDispute, newest first
    proposals: tuple = ()  # PlanProposal, newest first, each with its decision if any

    @property
    def paused_total(self) -> Decimal:
        """What the months under review add up to: not asked for until the written answer."""
        return sum((r.balance for r in self.under_review), ZERO)

    @property
    def due_now(self) -> Decimal:
        return self.total - self.paused_total


def statement_for(link: StatementLink) -> Statement:
    case = link.case
    office = case.campaign.office
    # The statement shows every unpaid month, those under an open dispute too.
    demanded, under_review = unpaid_ranges(case)
    ranges = sorted(demanded + under_review, key=lambda r: r.start)

    payments = [
        (timezone.localdate(paid_at), amount)
        for paid_at, amount in Payment.objects.filter(
            household_id=case.household_id, kind=Payment.Kind.PAYMENT, reversed_by__isnull=True
        )
        .order_by("-paid_at")
        .values_list("paid_at", "amount")
    ]
    return Statement(
        office_name=office.name,
        office_address=office.address,
        office_phone=office.phone,
        office_hours=office.hours,
        payment_instructions=office.payment_instructions,
        unit=case.household.unit_code,
        ranges=ranges,
        total=sum((r.balance for r in ranges), ZERO),
        payments=payments,
        written_only=case.household.written_contact_only,
        under_review=tuple(under_review),
        disputes=tuple(owner_disputes(case)),
        proposals=tuple(
            PlanProposal.objects.filter(case=case)
            .select_related("decision__acceptance")
            .order_by("-proposed_at", "-pk")
        ),
    )


# Kept as the owner's reason on the household (its history shows when): the request came
# through the statement link, not from a call or a visit.
FROM_STATEMENT_LINK = "业主通过对账单链接要求只书面联系（来自对账单链接）"


def statement_ask_written_only(link: StatementLink) -> bool:
    """The owner asked, on the statement, for written contact only: recorded through the
    written-only request (households.contact), logged and told to the office manager.
    False when the request was already recorded (nothing changes, the click is still logged)."""
    household = link.case.household
    with transaction.atomic():
        event_record(link, StatementEvent.Kind.WRITTEN_ONLY)
        if Household.objects.filter(pk=household.pk, written_contact_only=True).exists():
            return False
        household_set_written_only(
            household=household,
            since=timezone.localdate(),
            reason=FROM_STATEMENT_LINK,
            by=None,
        )
        office = link.case.campaign.office
        notify(
            recipients=office_managers(office),
            kind=Notification.Kind.FLAG,
            title=Message(
                gettext_noop("%(unit)s asked for written contact only on the statement link"),
                unit=household.unit_code,
            ),
            body=Message(
                gettext_noop(
                    "From today, no calls, messages or visits to %(unit)s: letters only. "
                    "The request stays until the owner withdraws it in writing."
                ),
                unit=household.unit_code,
            ),
            url=reverse("case-detail", args=[link.case_id]),
        )
    return True


@dataclass(frozen=True)
class LinkRow:
    """A statement link as the case page lists it, with the text of a message carrying it."""

    link: StatementLink
    live: bool
    revoked: bool
    views: int
    url: str
    message: str


def message_text(link: StatementLink, url: str) -> str:
    """The SMS or WeChat text that carries the link, in Chinese like the letters (it goes to
    the owner); it names the office and the unit, never a person."""
    office = link.case.campaign.office
    phone = f"如有疑问请致电{office.phone}。" if office.phone else ""
    return (
        f"【{office.name}】您好，{link.case.household.unit_code} 的物业费对账单（含欠费明细和缴费方式，"
        f"{timezone.localtime(link.expires_at):%Y-%m-%d}前有效）：{url} {phone}"
    ).strip()


def case_links(case: Case) -> list[LinkRow]:
    """The case's statement links, newest first, with how often each was opened (one query)."""
    now = timezone.now()
    links = (
        StatementLink.objects.filter(case=case)
        .select_related("revocation", "letter", "case__household", "case__campaign__office")
        .annotate(views=Count("events", filter=Q(events__kind=StatementEvent.Kind.VIEWED)))
    )
    rows = []
    for link in links:
        url = statement_url(link)
        revoked = hasattr(link, "revocation")
        rows.append(
            LinkRow(
                link=link,
                live=link_is_live(link, now=now),
                revoked=revoked,
                views=link.views,
                url=url,
                message=message_text(link, url),
            )
        )
    return rows
