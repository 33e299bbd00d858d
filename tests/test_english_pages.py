"""Every page of every role, read in English, is in English; no page in either language shows
a raw ISO timestamp (issue 16.8).

The pages are those of tests/test_access_matrix.py that each role may open (200), with every
object they show made first (an issue, a breach, a tip, a letter, every summary…), and the
inbox full of the notices those made. What may stay Chinese in an English page:

- people's data: every text stored in the database (owners, names, offices, notes, issue
  titles, flagged phrases…) is removed from the page before it is read; notices and
  summaries are not data (they are the product's words) and are not removed;
- what is marked Chinese on purpose (`lang="zh-hans"`): the letter to an owner, the
  language switch's 简体中文;
- a Chinese term given after its English name, in parentheses: "payment plan (分期还款协议)",
  "unreachable (无法联系)": the words staff find on the Chinese forms and documents.
"""

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from lxml import html as lxml_html

from households.tips import tip_report
from tests.test_access_matrix import GET_EXPECTED, ROLES, Objects, _body

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# A Chinese term in parentheses, or quoted as an example, after English words.
GLOSS = re.compile(r"[(（][^()（）]*?[\u4e00-\u9fff][^()（）]*?[)）]|“[^”]*”")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# The roles of the product (the other office's people see the same pages with less in them).
READERS = ("collector_a", "leader_a", "site", "manager", "ops", "director", "admin")
# Files, not pages.
NOT_PAGES = {
    "evidence-file",
    "written-only-withdrawal-file",
    "dispute-file",
    "case-letter:docx",
    "letter-list:docx",
    "letter-detail:docx",
    "ledger-import-template",
    "healthz",
    "credit-refund",
}
# What the pages show, made first (not `credit`: a payment beyond the debt leaves nothing to
# demand; the refund page is left out).
MADE = (
    "issue",
    "attempt",
    "exempt_attempt",
    "payment",
    "backdated_payment",
    "letter",
    "sent_letter",
    "summaries",
    "summary",
    "written_only",
    "withdrawal",
    "dispute",
    "service_dispute",
    "answered_dispute",
)
NOT_DATA = {"arrears.Notification", "arrears.Summary"}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def stored_texts() -> list[str]:
    """Every Chinese text people stored, longest first (so that no shorter one splits it)."""
    found = set()
    for model in apps.get_models():
        if model._meta.label in NOT_DATA or model._meta.label.startswith("arrears.Historical"):
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for value in row:
                for text in _strings(value):
                    for part in text.splitlines():
                        if CJK.search(part):
                            found.add(part.strip())
    return sorted((t for t in found if t), key=len, reverse=True)


def shown_text(page: str) -> str:
    """What a reader sees: the text of the body without scripts, styles and anything marked
    as Chinese on purpose, with titles and labels given to assistive technology."""
    root = lxml_html.fromstring(page)
    # (Not the head: its title repeats the page's heading, and a letter's is the document's
    # own, printed in its header.)
    for element in root.xpath(
        "//head|//script|//style|//template|//body//*[starts-with(@lang, 'zh')]"
    ):
        if element.getparent() is not None:
            element.drop_tree()
    words = [" ".join(root.text_content().split())]
    for attribute in ("title", "aria-label", "placeholder", "alt"):
        words += root.xpath(f"//@{attribute}")
    return "\n".join(words)


def make_everything(world):
    """Every object the pages show, made once for all the roles that read them."""
    objs = Objects(world)
    for name in MADE:
        getattr(objs, name)
    tip_report(household=world.house_a, kind="owner_seen", by=world.site, note="看到业主回家")
    return objs


def crawl(client, world, objs, role):
    """(url, page) of every page the role may open."""
    client.force_login(world.roles[role])
    column = ROLES.index(role)
    pages = []
    for view, statuses in GET_EXPECTED.items():
        if statuses[column] != 200 or view in NOT_PAGES:
            continue
        url = objs.url(view)
        response = client.get(url)
        assert response.status_code == 200, url
        if "text/html" not in response.get("Content-Type", ""):
            continue
        pages.append((url, _body(response).decode()))
    return pages


def chinese_in(text: str, data: list[str]) -> list[str]:
    for value in data:
        text = text.replace(value, " ")
    text = GLOSS.sub(" ", text)
    return sorted(
        {m.group(0).strip() for m in re.finditer(r".{0,30}" + CJK.pattern + r".{0,30}", text)}
    )


# One test per language, every role in turn on the same objects (making them, the summaries
# above all, is what costs); each crawl reads each page for both faults.
def test_every_page_in_english_is_in_english_and_shows_no_raw_timestamp(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    objs = make_everything(world)
    data = stored_texts()
    chinese, stamps = {}, {}
    for role in READERS:
        pages = crawl(client, world, objs, role)
        assert len(pages) >= 4, role
        for url, page in pages:
            text = shown_text(page)
            if found := chinese_in(text, data):
                chinese[f"{role} {url}"] = found[:8]
            if found := ISO_TIMESTAMP.findall(text):
                stamps[f"{role} {url}"] = found[:3]
    assert chinese == {}, f"Chinese in English pages: {chinese}"
    assert stamps == {}, f"raw timestamps (en): {stamps}"


def test_no_chinese_page_shows_a_raw_timestamp(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    objs = make_everything(world)
    found = {}
    for role in ("collector_a", "manager", "ops", "director", "admin"):
        for url, page in crawl(client, world, objs, role):
            stamps = ISO_TIMESTAMP.findall(shown_text(page))
            if stamps:
                found[f"{role} {url}"] = stamps[:3]
    assert found == {}, f"raw timestamps (zh-hans): {found}"


def test_the_checks_find_what_they_look_for():
    page = (
        '<html><body><p title="2026-11-29T22:30">上周 Last week</p>'
        '<article lang="zh-hans">尊敬的业主</article><p>payment plan (分期还款协议)</p>'
        "<script>var a = '清欠台';</script></body></html>"
    )
    text = shown_text(page)
    assert ISO_TIMESTAMP.findall(text) == ["2026-11-29T22:30"]
    assert "尊敬" not in text and "清欠台" not in text
    assert CJK.findall(GLOSS.sub(" ", text)) == ["上", "周"]
    assert chinese_in("业主 王五 paid 上周", ["王五"]) == ["业主   paid 上周"]
