"""Each issued letter carries its own statement link and QR code (issue 17.1)."""

import io
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from docx import Document
from PIL import Image

from escalation.letter_docx import letters_docx
from escalation.letter_records import letter_issue
from escalation.letters import issued_letter
from escalation.models import StatementLink
from escalation.statement_qr import qr_png

pytestmark = pytest.mark.usefixtures("frozen")


def test_issuing_a_letter_issues_its_statement_link(world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    link = StatementLink.objects.get(letter=letter)
    assert link.case == world.case_a and link.issued_by == world.collector_a
    content = issued_letter(letter)
    assert content.statement_url.startswith(settings.SITE_URL + "/s/")
    assert content.statement_url in content.paragraphs()["statement"]


def test_the_link_on_the_letter_opens_the_owners_statement(client, world):
    letter = letter_issue(case=world.case_a, kind="demand", by=world.collector_a)
    path = urlparse(issued_letter(letter).statement_url).path
    page = client.get(path)
    assert page.status_code == 200 and "C6-101" in page.content.decode()


def test_the_printed_letter_shows_the_qr_code_and_the_link(client, world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    client.force_login(world.collector_a)
    text = client.get(reverse("letter-detail", args=[letter.pk])).content.decode()
    assert 'data-testid="letter-qr"' in text and 'src="data:image/png;base64,' in text
    assert issued_letter(letter).statement_url in text


def test_the_word_letter_has_the_link_and_the_qr_picture(world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    content = issued_letter(letter)
    document = Document(io.BytesIO(letters_docx([content])))
    assert any(content.statement_url in p.text for p in document.paragraphs)
    assert len(document.inline_shapes) == 1


def test_the_qr_code_is_a_square_png():
    image = Image.open(io.BytesIO(qr_png("http://127.0.0.1:8000/s/1:abc:def/")))
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 100


def test_the_letter_list_prints_each_letter_with_its_own_link(
    client, world, django_assert_max_num_queries
):
    a = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    b = letter_issue(case=world.case_b, kind="notice", by=world.collector_b)
    client.force_login(world.manager)
    text = client.get(reverse("letter-list"), {"id": [a.pk, b.pk]}).content.decode()
    assert issued_letter(a).statement_url in text and issued_letter(b).statement_url in text
    assert issued_letter(a).statement_url != issued_letter(b).statement_url
