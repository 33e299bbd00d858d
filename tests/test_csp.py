"""The Content-Security-Policy (django-csp) and the templates that live under it (issue 12,
item 7): scripts and styles only from our static files, so no template may hold an inline
<script>, an on*= handler, a style="" attribute or a javascript: URL."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.templatetags.static import static as static_url
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
# The project's templates and each app's own.
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
# Mail clients need inline styles and never run scripts; mail is not served under the CSP.
EXEMPT = {ROOT / "summaries" / "templates" / "emails"}
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
HANDLER = re.compile(r"""<[a-z][^>]*?\son[a-z]+\s*=""", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"""<[a-z][^>]*?\sstyle\s*=""", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def inline_problems(html: str) -> list[str]:
    """What the policy would block in a page or template: inline code, handlers, styles."""
    problems = []
    for attributes, body in SCRIPT.findall(html):
        is_data = re.search(r"""type\s*=\s*["']application/(?:ld\+)?json["']""", attributes)
        if "src=" not in attributes and not is_data:
            problems.append(f"inline script: {body.strip()[:60]!r}")
        elif "src=" in attributes and body.strip():
            problems.append(f"code inside a <script src>: {body.strip()[:60]!r}")
    problems += [f"handler: {m.group(0)[-60:]!r}" for m in HANDLER.finditer(html)]
    problems += [f"style attribute: {m.group(0)[-60:]!r}" for m in STYLE_ATTRIBUTE.finditer(html)]
    problems += ["<style> element" for _ in STYLE_ELEMENT.finditer(html)]
    problems += [f"javascript: URL {m.group(0)!r}" for m in JAVASCRIPT_URL.finditer(html)]
    return problems


def templates():
    for path in sorted(p for folder in TEMPLATE_DIRS for p in folder.rglob("*.html")):
        if not any(path.is_relative_to(exempt) for exempt in EXEMPT):
            yield path


def test_the_scanner_finds_what_the_policy_blocks():
    assert inline_problems('<script>alert(1)</script><script src="/a.js"></script>') == [
        "inline script: 'alert(1)'"
    ]
    assert len(inline_problems('<button class="b" onclick="x()">')) == 1
    assert len(inline_problems('<select\n  name="s" onchange="this.form.submit()">')) == 1
    assert len(inline_problems('<input style="width:5em">')) == 1
    assert len(inline_problems('<a href="javascript:void(0)">')) == 1
    assert inline_problems('<script id="d" type="application/json">{"a": 1}</script>') == []
    assert inline_problems('<div data-online="1" hx-on="x"><p>onclick=</p>') == []


@pytest.mark.parametrize("path", list(templates()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_what_the_policy_blocks(path):
    assert inline_problems(path.read_text()) == []


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_the_login_page_carries_the_policy(client):
    response = client.get(reverse("login"))
    assert _policy(response) == POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_pages_people_work_in_carry_the_policy_and_nothing_it_blocks(client, world):
    pages = {
        world.collector_a: [
            reverse("desk"),
            reverse("case-list"),
            reverse("case-detail", args=[world.case_a.pk]),
            reverse("attempt-new", args=[world.case_a.pk]),
            reverse("leaderboard", args=[world.campaign.pk]),
            reverse("lawful-contact"),
        ],
        world.manager: [
            reverse("case-list"),  # with the letter batch and its script
            reverse("case-letter", args=[world.case_a.pk, "demand"]),
            reverse("letter-list"),
            reverse("summary-list"),
            reverse("breach-list"),
            reverse("contact-policy"),
            reverse("ledger-import"),
        ],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert _policy(response) == POLICY, url
            assert inline_problems(response.content.decode()) == [], url


def test_the_log_form_title_is_only_its_title(client, world):
    """The old inline script sat inside {% block title %} and showed up as the tab's title."""
    client.force_login(world.collector_a)
    page = client.get(reverse("attempt-new", args=[world.case_a.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
    assert "addEventListener" not in title and "<script" not in title


def test_each_page_script_is_a_static_file_that_exists(client, world):
    client.force_login(world.manager)
    page = client.get(reverse("case-list")).content.decode()
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    assert any(s.endswith("js/case_list.js") for s in sources)
    assert any(s.endswith("js/desk.js") for s in sources)
    static, prefix = Path(settings.BASE_DIR) / "static", static_url("")
    for source in sources:
        assert source.startswith(prefix), source  # ours, never a CDN
        assert (static / source.removeprefix(prefix)).is_file(), source
