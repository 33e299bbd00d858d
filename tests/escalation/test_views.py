"""What the escalation pages do with odd input: a typed-in URL is answered, never a 500.
(The road through the pages end to end is in test_flow.py.)"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("frozen")


def test_a_preview_with_fewer_than_15_days_gives_15(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "3"})
    assert response.status_code == 200 and response.context["days"] == 15


def test_a_preview_with_days_that_are_not_a_number_gives_15(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "x"})
    assert response.status_code == 200 and response.context["days"] == 15


def test_a_preview_with_an_absurd_number_of_days_is_answered(client, world):
    client.force_login(world.manager)
    response = client.get(
        reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "999999999"}
    )
    assert response.status_code in (200, 400)


def test_a_letter_list_with_an_id_that_is_not_a_number_is_answered(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("letter-list"), {"id": "²"}).status_code in (200, 400)
