"""An attempt's channel, person and outcome labels, found by value (issue 15), are Django's."""

import pytest
from django.utils import translation

from households.models import Channel, ContactAttempt, Outcome, PersonContacted

FIELDS = {"channel": Channel, "person_contacted": PersonContacted, "outcome": Outcome}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("name", list(FIELDS))
def test_the_labels_are_djangos(name, language):
    field = ContactAttempt._meta.get_field(name)
    values = [*FIELDS[name].values, "no-such-choice"]
    with translation.override(language):
        for value in values:
            attempt = ContactAttempt(**{name: value})
            djangos = ContactAttempt._get_FIELD_display(attempt, field)
            assert getattr(attempt, f"get_{name}_display")() == djangos
            assert type(getattr(attempt, f"get_{name}_display")()) is str
