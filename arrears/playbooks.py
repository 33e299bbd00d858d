"""Lawful next steps per debtor category (DESIGN.md §5.4). Decision support, not legal advice.

The plan's own "measures" for these categories included cutting water and power, waiting at
the owner's workplace and night-time harassment; none of that is here. What is here is the
lawful road: find and reach the owner, fix a real grievance, put the demand in writing, then
the owners' committee, mediation, a payment order or a suit.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from arrears.models import DebtorCategory


@dataclass(frozen=True)
class Step:
    title: str
    detail: str


WRITTEN_NOTICE = Step(
    _("Send a written payment notice (催缴通知书)"),
    _(
        "Print it from the case page with the months and amounts, deliver it to the unit and keep "
        "a photo or a registered-mail receipt as evidence."
    ),
)
DEMAND = Step(
    _("Send a formal demand with a deadline (催告函)"),
    _(
        "Give at least 15 days to pay, deliver it with proof (EMS or registered mail with tracking, "
        "or in person with a signature). Courts have dismissed fee claims where no written demand "
        "could be proven; the delivered demand also interrupts the 3-year limitation."
    ),
)
LEGAL = Step(
    _("Then: lawyer's letter, and a payment order or a suit"),
    _(
        "After the demand's deadline has passed: a lawyer's letter from counsel actually retained; "
        "a payment order (支付令) where the amount is fixed, undisputed and the owner can be served; "
        "arbitration only with an arbitration clause; otherwise a suit, with mediation offered. "
        "Civil Code art. 944: never cut off water, electricity, heating or gas."
    ),
)

CLASSIFY = Step(
    _("Classify the case: find out why it is unpaid"),
    _(
        "Call the owner in allowed hours or visit (unless they asked for written contact only), "
        "check whether the unit is lived in, and read the reason the ledger gives. Then set the "
        "category on this page: its own steps replace these. Until then only the steps every "
        "category shares apply."
    ),
)
# What every category's road has in common: nothing here presumes why the owner does not pay.
SHARED = [WRITTEN_NOTICE, DEMAND, LEGAL]

PLAYBOOKS: dict[str, list[Step]] = {
    # Not yet classified (an imported ledger did not say): find out first; no method of
    # another category (an unreachable owner's registry search, a grievance's mediation, the
    # owners' committee for a refusal) is suggested on a guess.
    DebtorCategory.UNCLASSIFIED: [CLASSIFY, *SHARED],
    DebtorCategory.VACANT: [
        Step(
            _("Reach the owner where they live now"),
            _(
                "Call in allowed hours (08:00–21:00) and send a message with an opt-out; ask the "
                "owner for a convenient time and a way to pay from elsewhere (transfer, WeChat)."
            ),
        ),
        WRITTEN_NOTICE,
        Step(
            _("Explain why a vacant unit still owes the fee"),
            _(
                "Common areas, security and upkeep are served whether or not the unit is lived in; "
                "check the contract for any vacancy discount and apply it if due."
            ),
        ),
        DEMAND,
        LEGAL,
    ],
    DebtorCategory.UNREACHABLE: [
        Step(
            _("Find the current owner through lawful records"),
            _(
                "Ask the property registry (房地产交易中心) or the developer for the registered "
                "owner's contact; check the owners' committee's list."
            ),
        ),
        WRITTEN_NOTICE,
        Step(
            _("Ask someone who knows the owner only to pass on a request to call"),
            _(
                "An unrelated person may be asked to pass on a request to contact the office, never "
                "told about the debt (PIPL arts. 10 and 25)."
            ),
        ),
        DEMAND,
        LEGAL,
    ],
    DebtorCategory.AWAY: [
        Step(
            _("Agree a time and a remote way to pay"),
            _(
                "Call in allowed hours and record the time the owner asks for; offer bank transfer, "
                "WeChat or Alipay, or remittance from elsewhere."
            ),
        ),
        Step(
            _("Offer a payment plan (分期还款协议)"),
            _("A written plan with instalments; the agreement itself interrupts the limitation."),
        ),
        WRITTEN_NOTICE,
        DEMAND,
        LEGAL,
    ],
    DebtorCategory.GRIEVANCE: [
        Step(
            _("Log the grievance as a difficult issue"),
            _(
                "Write down what the owner says is wrong (service, facilities, a dispute); the "
                "service office manager answers it in writing."
            ),
        ),
        Step(
            _("Fix the cause, or explain in writing why not"),
            _(
                "Meet the owner at the management office; record what was agreed. Where the "
                "grievance is justified, settle it before pressing for payment."
            ),
        ),
        Step(
            _("Offer mediation (社区/人民调解)"),
            _("A community or people's mediator can settle both the grievance and the arrears."),
        ),
        DEMAND,
        LEGAL,
    ],
    DebtorCategory.REFUSAL: [
        WRITTEN_NOTICE,
        DEMAND,
        Step(
            _("Ask the owners' committee to urge payment (业委会督促)"),
            _(
                "Property Management Regulations art. 64: the owners' committee urges payment first."
            ),
        ),
        LEGAL,
    ],
}


def playbook_for(category: str) -> list[Step]:
    return PLAYBOOKS.get(category, SHARED)
