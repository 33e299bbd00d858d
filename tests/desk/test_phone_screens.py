"""Server-side rules behind the collector's phone screens (issue 16, items 3–6): the totals
row's cell order, the next step on the cards, the outcome's required fields, the legal
channels refused on the log form, the gate form's explicit choice and the case page's
order and folded tables. The browser tests are tests/browser/test_phone_screens.py."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from arrears.ledger import add_months
from arrears.models import DebtorCategory
from desk.views import SHORT_TABLE
from households.forms import LEGAL_STAGE_CHANNELS, AttemptForm
from households.models import ContactAttempt, OnSiteTip
from tests.conftest import make_case, make_household, make_promise, set_campaign_months

LEGAL = sorted(LEGAL_STAGE_CHANNELS)


def html_of(client, user, url, *, language="en", **params):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def cells(section: str, tag: str) -> list[tuple[str, str]]:
    """(column, text) of each cell of a table section, in order."""
    found = re.findall(rf"<{tag}\b([^>]*)>(.*?)</{tag}>", section, re.S)
    out = []
    for attrs, inner in found:
        column = re.search(r'class="[^"]*\bc-(\w+)', attrs)
        out.append((column.group(1) if column else "", re.sub(r"<[^>]+>|\s+", " ", inner).strip()))
    return out


def part(html, start, end):
    """From the first `start` to the first `end` after it."""
    i = html.index(start)
    return html[i : html.index(end, i)]


# --- item 3 ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "collector_a"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_totals_row_has_one_cell_per_column_in_the_headers_order(client, world, who, language):
    html = html_of(client, getattr(world, who), reverse("case-list"), language=language)
    head = cells(part(html, "<thead", "</thead>"), "th")
    foot = cells(part(html, "<tfoot", "</tfoot>"), "td")
    assert [c for c, _t in head] == [c for c, _t in foot]
    totals = {column: text for column, text in foot if text}
    balance = "¥3,400.00" if who == "manager" else "¥1,700.00"
    assert totals == {
        "unit": "Total" if language == "en" else "合计",
        "owed": balance,
        "balance": balance,
    }
    # The balance's total is the cell right after the owed one, as the headers are.
    columns = [c for c, _t in head]
    assert columns.index("balance") == columns.index("owed") + 1
    assert columns[columns.index("balance") + 1] == "next_step"
    # Each header cell and its total are hidden at the same widths.
    hidden_head = [c for c in re.findall(r"<th\b[^>]*>", part(html, "<thead", "</thead>"))]
    hidden_foot = [c for c in re.findall(r"<td\b[^>]*>", part(html, "<tfoot", "</tfoot>"))]
    for th, td in zip(hidden_head, hidden_foot, strict=True):
        for css in ("d-none", "d-md-none", "d-md-table-cell"):
            assert (css in th.split('"')[1].split()) == (css in td.split('"')[1].split()), (th, td)


def test_each_cell_names_its_column_for_the_cards(client, world):
    html = html_of(client, world.collector_a, reverse("case-list"))
    body = part(html, "<tbody", "</tbody>")
    assert 'class="c-balance money" data-label="Balance"' in body or re.search(
        r'<td[^>]*class="[^"]*\bc-balance\b[^"]*"[^>]*data-label="Balance"', body
    )
    for label in ("Months owed", "Next step", "Contact now", "Promise"):
        assert f'data-label="{label}"' in body
    zh = html_of(client, world.collector_a, reverse("case-list"), language="zh-hans")
    assert 'data-label="欠费余额"' in zh


def test_the_next_step_says_what_to_do_first(client, world):
    make_promise(
        case=world.case_a,
        amount=D("100"),
        due_date=timezone.localdate() - datetime.timedelta(days=2),
        recorded_by=world.collector_a,
        recorded_at=timezone.now() - datetime.timedelta(days=3),
    )
    html = html_of(client, world.manager, reverse("case-list"))
    rows = dict(re.findall(r'<tr[^>]*data-unit="([^"]+)"[^>]*>(.*?)</tr>', html, re.S))
    assert "Follow up the broken promise or plan" in rows["C6-101"]
    assert "Make contact" in rows["C13-103"] or "No contact now" in rows["C13-103"]


def test_the_cards_cost_no_query_more_than_the_table(client, world):
    """The cards are the table's own rows: one page of rows, read once."""
    client.force_login(world.manager)
    client.get(reverse("case-list"))  # warm the session and the caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("case-list"))
    case_reads = [q for q in queries.captured_queries if 'FROM "arrears_case"' in q["sql"]]
    assert len(case_reads) <= 3  # the totals, the page's ids, the page's rows


# --- item 4 ---------------------------------------------------------------------------


def attempt_post(client, world, **data):
    client.force_login(world.collector_a)
    client.cookies["django_language"] = "en"
    when = timezone.localtime() - datetime.timedelta(minutes=5)
    return client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {
            "channel": "phone_call",
            "person_contacted": "owner",
            "outcome": "promised",
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
            **data,
        },
    )


def test_a_promise_without_its_amount_and_date_is_refused_beside_each_field(client, world):
    response = attempt_post(client, world)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"promise_amount", "promise_date"}
    assert "Enter the amount and the date" in form.errors["promise_date"][0]
    assert response.context["promise_open"]
    assert 'data-testid="promise-fields" open' in response.content.decode()
    assert not ContactAttempt.objects.exists()


def test_a_promise_with_only_its_amount_asks_for_the_date(client, world):
    response = attempt_post(client, world, promise_amount="500")
    assert set(response.context["form"].errors) == {"promise_date"}
    assert not ContactAttempt.objects.exists()
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    assert attempt_post(client, world, promise_amount="500", promise_date=due).status_code == 302
    assert ContactAttempt.objects.get().outcome == "promised"


def test_the_promise_fields_are_folded_until_a_promise_is_chosen(client, world):
    html = html_of(client, world.collector_a, reverse("attempt-new", args=[world.case_a.pk]))
    assert re.search(
        r'<details class="mb-3" data-outcomes="promised" data-testid="promise-fields">', html
    )
    html = html_of(
        client,
        world.collector_a,
        reverse("attempt-new", args=[world.case_a.pk]),
        outcome="promised",
    )
    assert 'data-testid="promise-fields" open' in html


def test_every_page_loads_the_error_script_once(client, world):
    html = html_of(client, world.collector_a, reverse("desk"))
    assert html.count("js/form_errors.js") == 1


# --- item 6: legal channels -----------------------------------------------------------


def test_the_log_form_offers_the_channels_a_collector_uses(client, world):
    values = [value for value, _label in AttemptForm().fields["channel"].choices]
    assert values[:5] == ["phone_call", "sms", "wechat", "home_visit", "office_meeting"]
    assert {"payment_notice", "written_demand"} <= set(values)
    assert not set(LEGAL) & set(values)
    html = html_of(client, world.collector_a, reverse("attempt-new", args=[world.case_a.pk]))
    for channel in LEGAL:
        assert f'value="{channel}"' not in html


@pytest.mark.parametrize("channel", LEGAL)
def test_a_legal_channel_posted_to_the_log_form_is_refused_pointing_to_the_legal_stage(
    client, world, channel
):
    response = attempt_post(client, world, channel=channel, outcome="sent")
    assert response.status_code == 200
    (error,) = response.context["form"].errors["channel"]
    assert "recorded in the legal stage" in error
    assert "Select a valid choice" not in response.content.decode()
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize("channel", LEGAL)
def test_a_link_cannot_preselect_a_legal_channel(client, world, channel):
    html = html_of(
        client, world.collector_a, reverse("attempt-new", args=[world.case_a.pk]), channel=channel
    )
    assert " checked" not in part(html, 'data-field="channel"', 'data-field="person_contacted"')


# --- item 5: the gate form ------------------------------------------------------------


def tip_post(client, world, **data):
    client.force_login(world.site)
    client.cookies["django_language"] = "en"
    return client.post(reverse("tip-new", args=[world.house_a.pk]), data)


@pytest.mark.parametrize("kind", [None, ""])
def test_a_tip_without_a_choice_is_refused_with_what_to_do_and_keeps_the_note(client, world, kind):
    data = {"note": "看到有人搬家具进去"}
    if kind is not None:
        data["kind"] = kind
    response = tip_post(client, world, **data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose what you saw" in page and "then tap “Send”" in page
    assert "看到有人搬家具进去" in page
    assert not OnSiteTip.objects.exists()


def test_a_tip_with_a_kind_not_listed_is_refused(client, world):
    response = tip_post(client, world, kind="owner_seen_twice", note="x")
    assert response.status_code == 400
    assert "Choose one of the listed sightings" in response.content.decode()
    assert not OnSiteTip.objects.exists()


def test_a_tip_with_its_choice_is_saved_with_the_note(client, world):
    response = tip_post(client, world, kind="moving", note="  看到有人搬家具进去 ")
    assert response.status_code == 302
    tip = OnSiteTip.objects.get()
    assert (tip.kind, tip.note) == ("moving", "看到有人搬家具进去")


def test_the_gate_form_has_the_note_first_no_choice_made_and_one_button(client, world):
    html = html_of(client, world.site, reverse("tip-new", args=[world.house_a.pk]))
    form = part(html, 'data-testid="tip-form"', "</form>")
    assert form.index('name="note"') < form.index('name="kind"')
    assert "<textarea" in form  # Enter starts a new line: it sends nothing
    assert " checked" not in form
    assert form.count("<button") == 1 and 'name="kind"' not in re.findall(r"<button[^>]*>", form)[0]


# --- item 6: the case page ------------------------------------------------------------


@pytest.fixture
def long_case(world):
    """Twelve unpaid months, each its own limitation row."""
    last = add_months(timezone.localdate().replace(day=1), -12)
    house = make_household(world.office, "R2-301", first=add_months(last, -11), last=last)
    set_campaign_months(world.campaign, arrears_through=timezone.localdate().replace(day=1))
    return make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.REFUSAL,
    )


def test_the_case_page_puts_first_what_a_collector_needs(client, world, long_case):
    html = html_of(client, world.collector_a, reverse("case-detail", args=[long_case.pk]))
    order = [
        'data-testid="contact-now"',
        'data-testid="case-actions"',
        ">Owner<",
        'data-testid="ledger-summary"',
        'data-testid="timeline"',
        'data-testid="ladder"',
        'data-testid="limitation"',
        'data-testid="playbook"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The team and responsible person come after the timeline too (a collector reads it).
    if 'data-testid="assignment"' in html:
        assert html.index('data-testid="assignment"') > html.index('data-testid="timeline"')


def test_a_long_limitation_table_is_one_line_until_tapped(client, world, long_case):
    html = html_of(client, world.collector_a, reverse("case-detail", args=[long_case.pk]))
    assert '<details data-testid="limitation-details">' in html  # closed
    summary = part(html, 'data-testid="limitation-summary"', "</summary>")
    assert "12 rows" in summary and "earliest time-bar" in summary
    table = part(html, 'data-testid="limitation-details"', "</table>")
    assert table.count("data-state=") == 12  # all still there, one tap away


def test_a_short_ledger_shows_open(client, world):
    html = html_of(client, world.collector_a, reverse("case-detail", args=[world.case_a.pk]))
    assert 'data-testid="ledger-details" open' in html
    summary = part(html, 'data-testid="ledger-summary"', "</p>")
    assert "¥1,700.00" in summary and "17 months unpaid" in summary
    assert SHORT_TABLE == 4
