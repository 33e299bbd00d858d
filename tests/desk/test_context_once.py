"""The menu's figures (unread notifications, the running campaign) are read once a request,
also on pages with a table: django-tables2 renders a table with the request, which runs the
context processors again (issue 15)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who,url",
    [
        ("collector_a", "desk"),
        ("manager", "desk"),
        ("manager", "case-list"),
        ("manager", "attempt-list"),
        ("director", "payment-list"),
    ],
)
def test_the_unread_count_is_read_once_a_request(client, world, who, url):
    client.force_login(world.roles[who])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(url))
    assert response.status_code == 200
    unread = [q for q in queries if 'FROM "arrears_notification"' in q["sql"]]
    assert len(unread) == 1
