"""The summaries list and a summary's page read the stored figures of the summary shown only:
a region's list holds 200 summaries, and a Monday pack's figures run to a megabyte (issue 15)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears.models import Summary

pytestmark = pytest.mark.django_db
DATA = '"arrears_summary"."data"'


def office_summaries(world, days=3):
    figures = {"attempts": 1, "collected": "0.00"}
    data = {"office": "北苑服务处", "teams": [], "totals": figures, "window": None}
    return [
        Summary.objects.create(
            kind=Summary.Kind.DAILY_OFFICE,
            scope=f"office:{world.office.pk}",
            for_date=datetime.date(2026, 11, 20) + datetime.timedelta(days=n),
            region=world.region,
            office=world.office,
            data=data,
        )
        for n in range(days)
    ]


def reads(client, user, url):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries if DATA in q["sql"]]


@pytest.mark.parametrize("who", ["manager", "director"])
def test_the_list_reads_no_figures(client, world, who):
    office_summaries(world)
    response, with_data = reads(client, world.roles[who], reverse("summary-list"))
    assert len(response.context["summaries"]) == 3
    assert with_data == []


def test_a_summarys_page_reads_its_own_figures_only(client, world):
    *earlier, latest = office_summaries(world)
    response, with_data = reads(client, world.manager, reverse("summary-detail", args=[latest.pk]))
    assert {s.pk for s in response.context["history"]} == {s.pk for s in earlier}
    assert len(with_data) == 1
