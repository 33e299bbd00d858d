"""The owner's statement link's token (issue 17.1): signed, 90 days, revocable."""

import datetime

import pytest
import time_machine

from escalation.models import StatementLinkRevocation
from escalation.statement_links import link_for_token, link_issue, link_revoke, token_for
from tests.escalation.conftest import TODAY, at

pytestmark = pytest.mark.usefixtures("frozen")


def test_a_fresh_token_names_its_link(world):
    link = link_issue(case=world.case_a, by=world.collector_a)
    assert link_for_token(token_for(link)) == link


def test_the_token_is_valid_to_the_second_90_days_end_and_not_one_second_more(world):
    link = link_issue(case=world.case_a, by=world.collector_a)
    token = token_for(link)
    end = at(TODAY) + datetime.timedelta(days=90)
    with time_machine.travel(end, tick=False):
        assert link_for_token(token) == link
    with time_machine.travel(end + datetime.timedelta(seconds=1), tick=False):
        assert link_for_token(token) is None


def test_a_revoked_token_names_nothing_and_the_revocation_is_kept(world):
    link = link_issue(case=world.case_a, by=world.collector_a)
    token = token_for(link)
    link_revoke(link=link, by=world.manager, reason="业主更换")
    assert link_for_token(token) is None
    # Revoking twice keeps the first record.
    link_revoke(link=link, by=world.collector_a)
    assert StatementLinkRevocation.objects.get(link=link).revoked_by == world.manager


def test_a_new_link_after_a_revocation_works(world):
    old = link_issue(case=world.case_a, by=world.collector_a)
    link_revoke(link=old, by=world.manager)
    new = link_issue(case=world.case_a, by=world.manager)
    assert link_for_token(token_for(new)) == new
    assert link_for_token(token_for(old)) is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature altered
        lambda t: "9999" + t[t.index(":") :],  # another id under the same signature
        lambda t: "",
        lambda t: "garbage",
        lambda t: t + ":extra",
    ],
)
def test_a_forged_token_names_nothing(world, forge):
    link = link_issue(case=world.case_a, by=world.collector_a)
    assert link_for_token(forge(token_for(link))) is None


def test_another_households_token_names_only_its_own_household(world):
    a = link_issue(case=world.case_a, by=world.collector_a)
    b = link_issue(case=world.case_b, by=world.collector_b)
    assert link_for_token(token_for(b)).case.household == world.house_b
    # Putting a's id in front of b's signature does not give a's statement.
    token_b = token_for(b)
    swapped = str(a.pk) + token_b[token_b.index(":") :]
    assert link_for_token(swapped) is None


def test_a_token_signed_with_another_salt_names_nothing(world):
    from django.core import signing

    link = link_issue(case=world.case_a, by=world.collector_a)
    assert link_for_token(signing.TimestampSigner(salt="other").sign(str(link.pk))) is None
