"""Evidence files cleaned before they are stored: a photo keeps its picture and nothing else.

A phone photo carries the collector's GPS position, the device and the time in its EXIF
(and sometimes XMP) data, and a file that only *starts* like an image can carry HTML after
the picture. So every image is decoded and written again by Pillow: what is stored is the
picture alone (turned upright first by its EXIF orientation, with its colour profile), in a
format chosen here, never the bytes that were sent. Anything that does not decode as an
image is refused. PDFs are kept as sent (they are served only as downloads, with nosniff).

HEIC (an iPhone's own format) is refused with a request for JPEG: Pillow cannot decode it
without the pillow-heif plugin, and keeping it as it came would keep its GPS position. An
iPhone sends JPEG when asked (Settings › Camera › Formats › Most Compatible) and Safari
converts photos picked for a web form to JPEG by itself.
"""

import io
import warnings
from collections.abc import Sequence
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

PDF = "application/pdf"
# Decoding costs 3 bytes a pixel: 50 megapixels (150 MB) takes an iPhone's 48-megapixel photo
# and an A4 page scanned at 600 dpi (35); a 200-megapixel mode is asked to take a smaller one.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 90
# What each decoded format is stored as: photos stay JPEG, drawings and screenshots PNG.
STORED_AS = {
    "JPEG": ("JPEG", "image/jpeg", ".jpg"),
    "MPO": ("JPEG", "image/jpeg", ".jpg"),  # some cameras' JPEG with a second picture
    "WEBP": ("JPEG", "image/jpeg", ".jpg"),
    "AVIF": ("JPEG", "image/jpeg", ".jpg"),
    "PNG": ("PNG", "image/png", ".png"),
    "GIF": ("PNG", "image/png", ".png"),
}


def not_a_photo(name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s is not a photo or a PDF: attach a JPEG, PNG or PDF file.") % {"name": name},
        code="file_type",
    )


def evidence_clean(upload: UploadedFile, content_type: str) -> tuple[UploadedFile, str]:
    """The file to store and its type: a PDF as sent, an image decoded and written again
    without its metadata or anything after it. Raises ValidationError (a message for the
    person who attached it) when an image does not decode."""
    if content_type == PDF:
        return upload, content_type
    name = upload.name or "photo"
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(
                    _(
                        "%(name)s is larger than %(mp)d megapixels: take the photo at a lower "
                        "resolution or scan the page again."
                    )
                    % {"name": name, "mp": MAX_PIXELS // 1_000_000},
                    code="too_many_pixels",
                )
            stored_as = STORED_AS.get(image.format)
            if stored_as is None:
                raise not_a_photo(name)
            image.load()
            data = _reencode(image, *stored_as[:1])
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):  # fmt: skip
        if content_type == "image/heic":
            raise ValidationError(
                _(
                    "%(name)s is an HEIC photo, which cannot be checked here: attach it as "
                    "JPEG (on an iPhone, Settings › Camera › Formats › Most Compatible)."
                )
                % {"name": name},
                code="heic",
            ) from None
        raise not_a_photo(name) from None
    finally:
        upload.seek(0)
    _format, stored_type, suffix = stored_as
    stored_name = (
        str(PurePath(name).with_suffix(suffix)) if PurePath(name).stem else f"photo{suffix}"
    )
    return SimpleUploadedFile(stored_name, data, content_type=stored_type), stored_type


def _reencode(image: Image.Image, format_: str) -> bytes:
    """The picture alone: upright, first frame, no EXIF, XMP, comments or text chunks."""
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)  # a copy, so the original's info stays behind
    if format_ == "JPEG":
        picture = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
    else:
        picture = (
            upright
            if upright.mode in ("1", "L", "LA", "P", "RGB", "RGBA")
            else upright.convert("RGBA")
        )
    transparency = upright.info.get("transparency") if picture.mode == "P" else None
    picture.info = {}  # nothing carried over: Pillow writes what is in `info` for some formats
    if transparency is not None:
        picture.info["transparency"] = transparency
    out = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if format_ == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    picture.save(out, format=format_, **options)
    return out.getvalue()


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
# Checked against the file's first bytes, not its name or the browser's word for it.
EVIDENCE_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _evidence_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def sniff_content_type(upload: UploadedFile) -> str | None:
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in EVIDENCE_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"  # iPhone photos
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_evidence(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """The files to store and their types, checked and cleaned (`evidence_clean`): store
    these, never the uploads themselves."""
    if len(files) > MAX_EVIDENCE_FILES:
        raise _evidence_error(
            "evidence",
            _("Attach at most %(n)d files to one attempt.") % {"n": MAX_EVIDENCE_FILES},
            "too_many_files",
        )
    checked = []
    for upload in files:
        if upload.size > MAX_EVIDENCE_BYTES:
            raise _evidence_error(
                "evidence",
                _(
                    "%(name)s is larger than 10 MB: take the photo at a lower resolution or "
                    "scan the page again."
                )
                % {"name": upload.name},
                "file_too_large",
            )
        content_type = sniff_content_type(upload)
        try:
            if content_type is None:
                raise not_a_photo(upload.name)
            # Images are decoded and written again: no GPS, no device, nothing appended.
            checked.append(evidence_clean(upload, content_type))
        except ValidationError as error:
            raise _evidence_error("evidence", error.messages[0], error.code) from None
    return checked
