"""Receipt numbers as compared: one receipt is one payment however it was typed.

A receipt number is stored as typed (`Payment.receipt_no`) and compared through its key
(`Payment.receipt_key`): NFKC (full-width letters and digits become ASCII), zero-width and
other invisible format characters removed, every dash variant made "-", whitespace
removed and the case folded. "ABC-1", "abc－１", "ABC‐1" and "A\u200bBC-1" are one receipt.
"""

import unicodedata

# Hyphens, dashes and minus signs a keyboard, an IME or a spreadsheet may put in a number.
DASHES = frozenset(
    "\u002d\u00ad\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212"
    "\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\u30fc"
)


def receipt_key(text: str) -> str:
    """The form of a receipt number in which two spellings of one receipt are equal."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = []
    for char in text:
        if char in DASHES:
            kept.append("-")
        elif char.isspace() or unicodedata.category(char) == "Cf":
            continue  # zero-width spaces and joiners, BOM, direction marks; spaces
        else:
            kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept).casefold())


def receipt_keys_assign(rows) -> tuple[dict[int, str | None], list[tuple[int, int]]]:
    """Keys for existing payments `(pk, office_id, receipt_no)`, earliest pk first.

    The first payment of an office with a key keeps it; a later one whose key is taken gets
    None (kept, not compared) and is listed as `(later pk, earlier pk)` for the office to check.
    """
    keys: dict[int, str | None] = {}
    first: dict[tuple[int, str], int] = {}
    collisions = []
    for pk, office_id, receipt_no in sorted(rows):
        key = receipt_key(receipt_no)[:255]
        if key and (office_id, key) in first:
            keys[pk] = None
            collisions.append((pk, first[office_id, key]))
        else:
            first.setdefault((office_id, key), pk)
            keys[pk] = key
    return keys, collisions
