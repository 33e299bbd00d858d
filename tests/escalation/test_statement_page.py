"""The owner's statement page (issue 17.1): public, this household only, logged, rate-limited."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from arrears.models import Notification
from desk.timeline import case_timeline
from escalation.models import StatementEvent
from escalation.statement_links import (
    FROM_STATEMENT_LINK,
    link_issue,
    link_revoke,
    token_for,
)
from households.models import Household
from tests.conftest import record_payment
from tests.escalation.conftest import TODAY, at

pytestmark = pytest.mark.usefixtures("frozen")

GONE = "This link cannot be opened"
NAMES_NEVER_SHOWN = ["张静", "13912345678", "139****5678", "李收费", "赵组长", "北苑经理", "高萌"]


def _url(link):
    return reverse("statement", args=[token_for(link)])


@pytest.fixture
def link(world):
    office = world.office
    office.phone, office.hours = "010-12345678", "每天 8:30–17:30"
    office.address, office.payment_instructions = "北苑小区3号楼一层", "微信或现金，前台缴纳"
    office.save()
    record_payment(world.house_a, "100.00", world.collector_a)
    return link_issue(case=world.case_a, by=world.collector_a)


def test_the_statement_shows_the_household_and_the_office_never_a_person(client, world, link):
    page = client.get(_url(link), HTTP_COOKIE="django_language=en")
    text = page.content.decode()
    assert page.status_code == 200
    for shown in (
        "北苑服务处",
        "C6-101",
        "010-12345678",
        "每天 8:30–17:30",
        "微信或现金",
        "¥100.00",
    ):
        assert shown in text
    # 17 months at ¥100, ¥100 paid: ¥1,600 still unpaid, as ranges.
    assert "¥1,600.00" in text and "2014-" in text
    for never in NAMES_NEVER_SHOWN:
        assert never not in text, never


def test_the_statement_is_in_chinese_by_default_and_english_on_request(client, world, link):
    assert "您的物业费对账单" in client.get(_url(link)).content.decode()
    client.cookies["django_language"] = "en"
    assert "Your property fee statement" in client.get(_url(link)).content.decode()


def test_another_households_link_shows_only_that_household(client, world, link):
    other = link_issue(case=world.case_b, by=world.collector_b)
    text = client.get(_url(other)).content.decode()
    assert "C13-103" in text and "C6-101" not in text and "¥100.00" not in text


def test_each_view_is_logged_and_on_the_case_timeline(client, world, link):
    client.get(_url(link))
    client.get(_url(link))
    assert StatementEvent.objects.filter(link=link, kind="viewed").count() == 2
    kinds = [e.kind for e in case_timeline(world.case_a)]
    assert kinds.count("statement") == 2 and "statement_link" in kinds


def _gone_pages(client, world, link):
    good = token_for(link)
    forged = good[:-2] + ("xx" if not good.endswith("xx") else "yy")
    expired = link_issue(case=world.case_a, by=world.collector_a)
    revoked = link_issue(case=world.case_a, by=world.collector_a)
    link_revoke(link=revoked, by=world.manager)
    pages = [client.get(reverse("statement", args=[forged]))]
    pages.append(client.get(_url(revoked)))
    with time_machine.travel(at(TODAY) + datetime.timedelta(days=90, seconds=1), tick=False):
        pages.append(client.get(_url(expired)))
    return pages


def test_a_forged_revoked_or_expired_link_gets_the_same_plain_page(client, world, link):
    client.cookies["django_language"] = "en"
    pages = _gone_pages(client, world, link)
    assert {p.status_code for p in pages} == {404}
    # The same page, byte for byte, for all three.
    texts = {p.content.decode() for p in pages}
    assert len(texts) == 1
    text = texts.pop()
    assert GONE in text
    for never in [*NAMES_NEVER_SHOWN, "C6-101", "北苑", "¥"]:
        assert never not in text
    assert not StatementEvent.objects.exclude(link=link).exists()


def test_too_many_views_of_one_link_get_try_again_later(client, world, link, settings):
    settings.STATEMENT_TOKEN_LIMIT = 3
    client.cookies["django_language"] = "en"
    codes = [client.get(_url(link)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    busy = client.get(_url(link))
    assert "Please try again later" in busy.content.decode()
    assert StatementEvent.objects.filter(link=link).count() == 3
    # Ten minutes later the link opens again.
    with time_machine.travel(at(TODAY) + datetime.timedelta(minutes=10), tick=False):
        assert client.get(_url(link)).status_code == 200


def test_too_many_requests_from_one_address_get_try_again_later(client, world, link, settings):
    settings.STATEMENT_ADDRESS_LIMIT = 2
    assert client.get(reverse("statement", args=["forged-1"])).status_code == 404
    assert client.get(reverse("statement", args=["forged-2"])).status_code == 404
    # Guessing tokens from one address runs out, and so would a real link from there.
    assert client.get(_url(link)).status_code == 429
    assert client.get(_url(link), REMOTE_ADDR="10.0.0.9").status_code == 200


def test_asking_for_written_contact_only_records_it_and_tells_the_manager(client, world, link):
    response = client.post(reverse("statement-written-only", args=[token_for(link)]))
    assert response.status_code == 302
    house = Household.objects.get(pk=world.house_a.pk)
    assert house.written_contact_only and house.written_only_reason == FROM_STATEMENT_LINK
    assert house.written_only_since == TODAY
    notice = Notification.objects.get(recipient=world.manager)
    assert "C6-101" in notice.title
    assert not Notification.objects.filter(recipient=world.collector_b).exists()
    assert StatementEvent.objects.filter(link=link, kind="written_only").count() == 1
    # Asking again changes nothing and tells nobody twice.
    client.post(reverse("statement-written-only", args=[token_for(link)]))
    assert Notification.objects.filter(recipient=world.manager).count() == 1
    page = client.get(response.url).content.decode()
    assert 'data-testid="statement-written-only-on"' in page


def test_written_only_through_a_revoked_link_is_refused(client, world, link):
    link_revoke(link=link, by=world.manager)
    response = client.post(reverse("statement-written-only", args=[token_for(link)]))
    assert response.status_code == 404
    assert not Household.objects.get(pk=world.house_a.pk).written_contact_only


def test_the_statement_page_asks_for_no_login_and_has_no_inline_script(client, world, link):
    text = client.get(_url(link)).content.decode()
    assert "<script>" not in text and "style=" not in text


def test_the_case_page_issues_a_link_for_a_message_and_revokes_it(client, world, link):
    client.force_login(world.collector_a)
    response = client.post(reverse("statement-link-new", args=[world.case_a.pk]))
    assert response.status_code == 302
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert page.count('data-testid="statement-message"') == 2
    assert "【北苑服务处】您好，C6-101 的物业费对账单" in page and "010-12345678" in page
    # The message names no person.
    newest = world.case_a.statement_links.order_by("-pk").first()
    from escalation.statement_links import case_links

    message = next(r.message for r in case_links(world.case_a) if r.link == newest)
    for never in NAMES_NEVER_SHOWN:
        assert never not in message
    assert client.get(_url(newest)).status_code == 200
    client.post(reverse("statement-link-revoke", args=[newest.pk]), {"reason": "发错了"})
    assert client.get(_url(newest)).status_code == 404
    assert client.get(_url(link)).status_code == 200  # the other link still opens
    kinds = [e.kind for e in case_timeline(world.case_a)]
    assert "statement_link_revoked" in kinds


def test_another_teams_collector_cannot_revoke_the_cases_link(client, world, link):
    client.force_login(world.collector_b)
    response = client.post(reverse("statement-link-revoke", args=[link.pk]))
    assert response.status_code == 404
    assert client.get(_url(link)).status_code == 200
