"""How a file's header row is found and its columns matched to an import's fields, by meaning.

Offices name the same column in many ways (欠费起始月, 欠费周期起, 起始月份（年月）…). A header
is first normalised (`normalise_header`: half-width, no spaces, no bracketed units, lower case),
then matched to a field:

1. by a mapping the office saved (imports.models.ColumnMapping) or gave the command (--columns);
2. by one of the field's synonyms, compared whole;
3. by the field's containment rules (`Rule`): every group names words of which the header must
   contain one, and the header must contain none of `none_of` (起始 AND 月 is a first month,
   but 计划开始时间 is not).

A column is matched once and a field takes its first column; the other columns are listed as
"not imported" in the preview, never dropped silently.

The header row is looked for among the first HEADER_SEARCH_ROWS rows (titles above it are
skipped). A two-row header — a merged parent cell above its parts, like 欠费周期 over 起 and
止 — is read as one (欠费周期起, 欠费周期止).
"""

import re
import unicodedata
from dataclasses import dataclass

HEADER_SEARCH_ROWS = 15
# A bracketed unit or remark: (元) （月） [㎡] 【必填】 （元/月）
BRACKETS_RE = re.compile(r"[(（\[【〔<《].*?[)）\]】〕>》]")
SPACES_RE = re.compile(r"[\s_*:：·•\-—/\\、,，.。'\"“”‘’]")
TOTALS = ("合计", "总计", "小计", "total", "subtotal")


def normalise_header(text) -> str:
    """A header as compared: NFKC (full-width → half-width), bracketed units removed, no
    spaces or punctuation, lower case. `欠费金额 （元）` → `欠费金额`; `Ｕｎｉｔ Code` → `unitcode`."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    value = BRACKETS_RE.sub("", value)
    # A unit written after the header without brackets: 面积㎡, 金额/元
    value = re.sub(r"(㎡|m²|m2|/元|/月)$", "", value)
    return SPACES_RE.sub("", value).lower()


@dataclass(frozen=True)
class Rule:
    """A header means the field when it contains a word of every group and none of `none_of`."""

    all_of: tuple[tuple[str, ...], ...]
    none_of: tuple[str, ...] = ()

    def __post_init__(self):
        groups = tuple(tuple(g.split()) if isinstance(g, str) else tuple(g) for g in self.all_of)
        object.__setattr__(self, "all_of", groups)
        if isinstance(self.none_of, str):
            object.__setattr__(self, "none_of", tuple(self.none_of.split()))

    def matches(self, header: str) -> bool:
        return all(any(w in header for w in group) for group in self.all_of) and not any(
            w in header for w in self.none_of
        )


def rule(*groups: str, none_of: str = "") -> Rule:
    """`rule("起始 开始 起", "月 期 时间", none_of="计划")`: words separated by spaces."""
    return Rule(all_of=groups, none_of=none_of)


def is_totals_row(cells) -> bool:
    """A row whose first non-blank cell says 合计/总计/小计: the sheet's sum, not a household."""
    for cell in cells:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        return isinstance(cell, str) and normalise_header(cell).startswith(TOTALS)
    return False


def match_header(header: str, fields, mapping: dict | None = None) -> str | None:
    """The field a normalised header names (a key of `fields`' items), or None.

    `mapping` (normalised header → field key, "" for "ignore") comes first: what the office
    said wins over what we guess."""
    if mapping is not None and header in mapping:
        return mapping[header] or None
    for f in fields:
        if header in f.synonyms:
            return f.key
    for f in fields:
        if any(r.matches(header) for r in f.rules):
            return f.key
    return None


def match_columns(headers: list[str], fields, mapping: dict | None = None) -> dict[str, int]:
    """Our field → the index of the first column whose (normalised) header names it."""
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        key = match_header(header, fields, mapping)
        if key and key not in columns:
            columns[key] = index
    return columns


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def combine_rows(parent, child) -> list[str] | None:
    """The headers of a two-row header, or None when `child` does not sit under `parent`.

    A merged cell is read as its value in its first column and blanks after it: each parent
    runs on over the blanks to its right. Under a parent, a child names a part of it (欠费周期
    over 起, 止 → 欠费周期起, 欠费周期止); a column with no child keeps its parent (房号, merged
    down over both rows)."""
    width = max(len(parent), len(child))
    parent = [_text(c) for c in parent] + [""] * (width - len(parent))
    child = [_text(c) for c in child] + [""] * (width - len(child))
    filled = [c for c in child if c]
    if not filled or not all(_looks_like_header(c) for c in filled):
        return None
    if sum(bool(p) for p in parent) < 2:
        return None  # a title above the header, not a parent row
    # A merged parent spans blanks to its right, with a part under each of its columns
    # (its first included): 欠费周期 over 起, the blank after it over 止.
    spans, start = 0, None
    for i, (p, c) in enumerate(zip(parent, child, strict=True)):
        if p:
            start = i
        elif c:
            if start is None or not child[start]:
                return None
            spans += 1
    if not spans:
        return None
    combined, running = [], ""
    for p, c in zip(parent, child, strict=True):
        running = p or running
        combined.append(f"{running}{c}" if c else p)
    return combined


def _looks_like_header(cell: str) -> bool:
    """Header words are short text, not numbers or dates (a data row is not a header's second
    row)."""
    data = re.fullmatch(r"[\d\s.,:/\-年月日]+", cell) and re.search(r"\d", cell)
    return bool(cell) and len(cell) <= 30 and not data


@dataclass
class HeaderFound:
    index: int  # 0-based index of the (last) header row among the rows searched
    headers: list[str]  # as written (a two-row header combined)
    columns: dict[str, int]  # field → column index
    rows: int = 1  # 1, or 2 for a two-row header


def find_header(
    rows: list[tuple], fields, *, anchors, min_fields: int, mapping: dict | None = None
) -> HeaderFound | None:
    """The header among the first rows: the row (or two rows) naming an anchor field and the
    most fields; titles above it are skipped."""
    best: HeaderFound | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        candidates = [HeaderFound(index, [_text(c) for c in row], {}, 1)]
        if index + 1 < len(rows):
            combined = combine_rows(row, rows[index + 1])
            if combined is not None:
                candidates.append(HeaderFound(index + 1, combined, {}, 2))
        for found in candidates:
            found.columns = match_columns(
                [normalise_header(h) for h in found.headers], fields, mapping
            )
            named = len(found.columns)
            if not any(a in found.columns for a in anchors) or named < min_fields:
                continue
            if best is None or named > len(best.columns):
                best = found
    return best


def guess_header(rows: list[tuple]) -> int | None:
    """When no row names enough fields: the first row of mostly short texts, followed by a
    row; the mapping step then asks what its columns are."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [_text(c) for c in row]
        filled = [c for c in cells if c]
        followed = index + 1 < len(rows) and any(_text(c) for c in rows[index + 1])
        if len(filled) >= 2 and all(_looks_like_header(c) for c in filled) and followed:
            return index
    return None
