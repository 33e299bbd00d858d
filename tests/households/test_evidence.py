"""Evidence carries the picture and nothing more (issue 12, item 7): photos are decoded and
written again (no GPS, no device, nothing appended), anything that does not decode is
refused, PDFs are kept as sent and only ever downloaded, with nosniff."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from households.contact import attempt_log
from households.evidence import MAX_PIXELS, evidence_clean, validate_evidence
from households.models import AttemptEvidence, ContactAttempt
from tests.conftest import PNG

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n"
HTML = b"<html><body><script>fetch('/cases/').then(r=>r.text()).then(alert)</script></html>"
GPS_IFD, ORIENTATION, MAKE, MODEL = 0x8825, 0x0112, 0x010F, 0x0110


def phone_photo(orientation: int = 1, size=(40, 20)) -> bytes:
    """A JPEG as a phone takes it: GPS position, device, XMP with the position again."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE], exif[MODEL] = "Apple", "iPhone 15 Pro"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 10.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description GPSLatitude="31,14N"/></x:xmpmeta>'
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(
        out, "JPEG", exif=exif, xmp=xmp, comment=b"Li Shoufei"
    )
    return out.getvalue()


def picture(fmt: str, size=(4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOON, tick=False):
        yield tmp_path


def log(world, files):
    return attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=NOON,
        channel="payment_notice",
        person_contacted="owner",
        outcome="delivered",
        evidence=files,
    )


def stored(attempt) -> list[bytes]:
    return [e.file.open("rb").read() for e in AttemptEvidence.objects.filter(attempt=attempt)]


# --- evidence_clean: no database ------------------------------------------------------------


def test_the_test_photo_really_carries_gps_and_the_device():
    raw = phone_photo()
    exif = Image.open(io.BytesIO(raw)).getexif()
    assert exif[MODEL] == "iPhone 15 Pro" and exif.get_ifd(GPS_IFD)
    assert b"GPSLatitude" in raw and b"Li Shoufei" in raw


def test_a_phone_photo_is_stored_without_gps_device_xmp_or_comment():
    upload, content_type = evidence_clean(
        SimpleUploadedFile("门口.jpg", phone_photo()), "image/jpeg"
    )
    data = upload.read()
    assert content_type == "image/jpeg" and upload.name == "门口.jpg"
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif() and "xmp" not in image.info and "comment" not in image.info
    for secret in (b"iPhone", b"Apple", b"GPS", b"Exif", b"Li Shoufei", b"31,14N"):
        assert secret not in data


def test_the_photo_stays_upright_when_its_orientation_tag_is_dropped():
    # Orientation 6: the camera was turned; the 40×20 sensor picture is shown 20×40.
    upload, _ = evidence_clean(
        SimpleUploadedFile("d.jpg", phone_photo(orientation=6)), "image/jpeg"
    )
    assert Image.open(upload).size == (20, 40)


@pytest.mark.parametrize(
    ("fmt", "sniffed", "stored_type", "name"),
    [
        ("PNG", "image/png", "image/png", "scan.png"),
        ("JPEG", "image/jpeg", "image/jpeg", "scan.jpg"),
        ("GIF", "image/gif", "image/png", "scan.png"),
        ("WEBP", "image/webp", "image/jpeg", "scan.jpg"),
    ],
)
def test_an_image_with_html_after_it_comes_out_a_clean_image(fmt, sniffed, stored_type, name):
    polyglot = picture(fmt) + HTML
    upload, content_type = evidence_clean(
        SimpleUploadedFile(f"scan.{fmt.lower()}", polyglot), sniffed
    )
    data = upload.read()
    assert b"<html" not in data and b"<script" not in data
    assert (content_type, upload.name) == (stored_type, name)
    assert Image.open(io.BytesIO(data)).size == (4, 3)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,  # a PNG's first bytes and nothing of a picture
        b"\x89PNG\r\n\x1a\n" + HTML,
        b"\xff\xd8\xff\xe0" + HTML,
        b"GIF89a" + HTML,
        picture("PNG")[:40],  # cut off in the middle
    ],
)
def test_what_only_starts_like_an_image_is_refused(data):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        evidence_clean(SimpleUploadedFile("x.png", data), "image/png")
    assert refused.value.code == "file_type"
    assert "is not a photo or a PDF" in refused.value.messages[0]


def test_a_heic_photo_that_cannot_be_decoded_asks_for_jpeg():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(ValidationError) as refused:
        evidence_clean(SimpleUploadedFile("IMG_0001.HEIC", heic), "image/heic")
    assert refused.value.code == "heic" and "JPEG" in refused.value.messages[0]


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr("households.evidence.MAX_PIXELS", 11)
    with pytest.raises(ValidationError) as refused:
        evidence_clean(SimpleUploadedFile("x.png", picture("PNG", (4, 3))), "image/png")
    assert refused.value.code == "too_many_pixels"
    assert evidence_clean(SimpleUploadedFile("x.png", picture("PNG", (3, 3))), "image/png")
    assert MAX_PIXELS >= 50_000_000  # a phone's photo passes


def test_a_pdf_is_kept_as_it_was_sent():
    upload = SimpleUploadedFile("receipt.pdf", PDF)
    assert evidence_clean(upload, "application/pdf") == (upload, "application/pdf")


def test_validate_evidence_names_the_field_and_keeps_the_code():
    with pytest.raises(ValidationError) as refused:
        validate_evidence([SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + HTML)])
    assert refused.value.error_dict["evidence"][0].code == "file_type"


# --- Every place a scan or photo is stored ---------------------------------------------------


def test_a_logged_contact_stores_the_cleaned_photo(world):
    attempt = log(world, [SimpleUploadedFile("门口.jpg", phone_photo())])
    (data,) = stored(attempt)
    assert b"GPS" not in data and b"iPhone" not in data
    evidence = AttemptEvidence.objects.get(attempt=attempt)
    assert evidence.content_type == "image/jpeg" and evidence.size == len(data)


def test_a_polyglot_is_stored_as_a_picture_alone(world):
    attempt = log(world, [SimpleUploadedFile("notice.png", PNG + HTML)])
    (data,) = stored(attempt)
    assert data.startswith(b"\x89PNG") and b"<html" not in data


def test_a_refused_file_saves_nothing(world):
    with pytest.raises(ValidationError):
        log(world, [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG[:20])])
    assert not ContactAttempt.objects.exists()


def test_a_written_only_withdrawal_stores_the_cleaned_photo(world):
    from households.contact import household_set_written_only, household_withdraw_written_only

    household_set_written_only(
        household=world.house_a, since=NOON.date(), reason="业主要求书面联系", by=world.manager
    )
    withdrawal = household_withdraw_written_only(
        household=world.house_a,
        withdrawn_on=NOON.date(),
        evidence=SimpleUploadedFile("撤回.jpg", phone_photo()),
        by=world.manager,
    )
    data = withdrawal.file.open("rb").read()
    assert b"GPS" not in data and b"iPhone" not in data and withdrawal.size == len(data)


# --- Serving: PDFs only as downloads, nothing sniffed -----------------------------------------


def test_a_pdf_is_served_as_an_attachment_with_nosniff(client, world):
    attempt = log(world, [SimpleUploadedFile("回执.pdf", PDF)])
    evidence = AttemptEvidence.objects.get(attempt=attempt)
    client.force_login(world.collector_a)
    response = client.get(reverse("evidence-file", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%9B%9E%E6%89%A7.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_photo_is_served_inline_with_nosniff(client, world):
    attempt = log(world, [SimpleUploadedFile("door.png", PNG)])
    evidence = AttemptEvidence.objects.get(attempt=attempt)
    client.force_login(world.collector_a)
    response = client.get(reverse("evidence-file", args=[evidence.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="door.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_stored_file_of_another_type_is_only_ever_downloaded(client, world):
    """Files stored before the cleaning (or by hand) are never shown inline unless images."""
    attempt = log(world, [SimpleUploadedFile("door.png", PNG)])
    AttemptEvidence.objects.filter(attempt=attempt).update(content_type="text/html")
    client.force_login(world.collector_a)
    response = client.get(reverse("evidence-file", args=[attempt.evidence.get().pk]))
    assert response["Content-Disposition"].startswith("attachment;")
