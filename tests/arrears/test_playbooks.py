"""The lawful next steps per debtor category, and for a case not yet classified."""

import pytest

from arrears.models import DebtorCategory
from arrears.playbooks import CLASSIFY, PLAYBOOKS, SHARED, playbook_for

CLASSIFIED = [c for c in DebtorCategory if c != DebtorCategory.UNCLASSIFIED]


def test_every_category_has_a_playbook():
    assert set(PLAYBOOKS) == set(DebtorCategory)


def test_a_case_not_yet_classified_starts_by_finding_out():
    steps = playbook_for(DebtorCategory.UNCLASSIFIED)
    assert steps[0] == CLASSIFY
    assert steps[1:] == SHARED


def test_a_case_not_yet_classified_gets_no_method_of_another_category():
    own_methods = {s for c in CLASSIFIED for s in PLAYBOOKS[c] if s not in SHARED}
    assert own_methods  # the check below is not vacuous
    assert not own_methods & set(playbook_for(DebtorCategory.UNCLASSIFIED))


@pytest.mark.parametrize("category", CLASSIFIED)
def test_only_a_case_not_yet_classified_is_asked_to_classify(category):
    assert CLASSIFY not in playbook_for(category)


def test_the_shared_steps_end_every_road_with_the_demand_then_the_legal_route():
    for category in DebtorCategory:
        assert playbook_for(category)[-1] == SHARED[-1]
