"""Every download names its file through one helper (RFC 6266): a unit code with a quote, a
semicolon, a line break or Chinese never breaks the header or smuggles in a parameter."""

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from arrears.downloads import attachment, disposition

# A quote, a parameter, CR/LF and Chinese (the building part stays within 20 characters).
HOSTILE = 'A"1;f=x.html\r\n6栋-101'


def _parameters(header: str) -> list[str]:
    """The header's parts split on the semicolons outside a quoted string."""
    return [part.strip() for part in re.findall(r'(?:[^;"]|"(?:[^"\\]|\\.)*")+', header)]


def _filename(header: str) -> str:
    """The file name a browser takes from the header (filename* wins, as RFC 6266 says)."""
    star = re.search(r"filename\*=utf-8''([^;]+)$", header)
    if star:
        return unquote(star.group(1))
    plain = re.fullmatch(r'attachment; filename="((?:[^"\\]|\\.)*)"', header)
    assert plain, header
    return re.sub(r"\\(.)", r"\1", plain.group(1))


@pytest.mark.parametrize(
    "name",
    [
        "cases-20260101-0900.xlsx",
        'a"b.docx',
        "a;b.docx",
        "a\\b.docx",
        "6栋-101-notice.docx",
        HOSTILE,
    ],
)
def test_the_name_comes_back_whole_and_alone(name):
    header = disposition(name)
    assert "\n" not in header and "\r" not in header
    assert header.startswith("attachment; ")
    assert len(_parameters(header)) == 2  # no second parameter smuggled in
    assert _filename(header) == name


def test_chinese_names_use_filename_star():
    assert (
        disposition("催告函.docx")
        == "attachment; filename*=utf-8''%E5%82%AC%E5%91%8A%E5%87%BD.docx"
    )


def test_a_response_carries_the_type_and_the_name():
    response = attachment(b"data", filename='x".xlsx', content_type="application/x-test")
    assert response["Content-Type"] == "application/x-test"
    assert response["Content-Disposition"] == 'attachment; filename="x\\".xlsx"'
    assert response.content == b"data"


def test_the_letter_download_of_a_hostile_unit_code(client, world):
    world.house_a.unit_code = HOSTILE
    world.house_a.save(update_fields=["unit_code"])
    client.force_login(world.manager)
    response = client.get(
        reverse("case-letter", args=[world.case_a.pk, "notice"]), {"format": "docx"}
    )
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert len(_parameters(header)) == 2 and "\n" not in header
    world.house_a.refresh_from_db()  # stored as typed, in capitals
    assert _filename(header) == f"{world.house_a.unit_code}-notice.docx"
    assert '"' in world.house_a.unit_code and "栋" in world.house_a.unit_code
