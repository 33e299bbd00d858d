"""What the load test's users read from the pages and send back, as plain functions.

No locust here (importing locust patches the standard library with gevent), so the tests
can check these against the real pages in-process: tests/bench/test_mix.py.

A collector logs only lawful contact. The attempt form says, for the household, whether a
call is allowed now (households/includes/contact_answers.html: `data-answer="call"
data-state="allowed"`, from households.contact.contact_answers, which applies the office's
contact policy: its hours, the calls per day and per 7 days, the quiet days after a
conversation, written-only). When it is, the collector logs a call that went unanswered;
when it is not (at night in the office's time zone, after today's call, written-only …), a
written payment notice sent by post, which no hour or count limits. The app does not refuse
an unlawful attempt, it saves it as a breach (households.views.attempt_new): so the load
checks the message on the case page after saving, and counts a breach apart from errors.
"""

import re

CASE_LINK = re.compile(r'href="/cases/(\d+)/"')
LEADERBOARD_LINK = re.compile(r'href="(/campaigns/\d+/leaderboard/)"')
ATTEMPT_FORM = 'data-testid="attempt-form"'
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CALL_STATE = re.compile(r'data-answer="call" data-state="([a-z_]+)"')
OCCURRED_AT = re.compile(r'name="occurred_at" value="([^"]+)"')
# base.html: one alert per message, its level in the class (success, warning, info, danger).
MESSAGE = re.compile(r'class="alert no-print alert-([a-z]+)" role="alert"')

CALL, LETTER = "call", "letter"


def case_ids(html: str) -> list[int]:
    """The cases linked from a page (the case list), in order, without repeats."""
    return list(dict.fromkeys(int(pk) for pk in CASE_LINK.findall(html)))


def leaderboard_path(html: str) -> str | None:
    """The leaderboard of the user's running campaign, from the navigation bar."""
    found = LEADERBOARD_LINK.search(html)
    return found.group(1) if found else None


def attempt_post(form_html: str) -> tuple[str, dict[str, str]]:
    """(CALL or LETTER, the form data to post) for the attempt form's page.

    Raises ValueError if the page is not the form (a changed template should fail the load
    test loudly, not post nonsense).
    """
    if ATTEMPT_FORM not in form_html:
        raise ValueError("not the attempt form")
    form = form_html[form_html.index(ATTEMPT_FORM) :]
    token, occurred_at = CSRF.search(form), OCCURRED_AT.search(form)
    state = CALL_STATE.search(form_html)
    if not (token and occurred_at and state):
        raise ValueError("the attempt form lacks its token, time or contact answers")
    data = {
        "csrfmiddlewaretoken": token.group(1),
        # The form's own "now" in the office's time zone, minute precision: never later.
        "occurred_at": occurred_at.group(1),
        "person_contacted": "owner",
        "notes": "",
        "next_step": "",
    }
    if state.group(1) == "allowed":
        return CALL, {**data, "channel": "phone_call", "outcome": "no_answer"}
    return LETTER, {
        **data,
        "channel": "payment_notice",
        "outcome": "sent",
        "delivery": "post",
    }


def saved_as(case_page_html: str) -> str:
    """What the case page shown after saving says: "logged" (the success message alone),
    "breach" (saved, but it breaks the contact policy, or any other warning), or "unknown"
    (no message: not the page after a save)."""
    levels = set(MESSAGE.findall(case_page_html))
    if "warning" in levels or "danger" in levels:
        return "breach"
    if "success" in levels:
        return "logged"
    return "unknown"
