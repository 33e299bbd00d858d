import pytest

from arrears.receipts import receipt_key


@pytest.mark.parametrize(
    "typed",
    [
        "ABC-1",
        "abc-1",
        "abc－１",  # full-width letters, dash and digit
        "ＡＢＣ-1",
        "ABC\u20101",  # hyphen
        "ABC\u20111",  # non-breaking hyphen
        "ABC\u20131",  # en dash
        "ABC\u20141",  # em dash
        "ABC\u22121",  # minus sign
        "ABC\u30fc1",  # katakana prolonged sound mark, what a Chinese IME gives for "-"
        "A\u200bBC-1",  # zero-width space
        "\ufeffABC-1\u200d",  # BOM and zero-width joiner
        " ABC-1 ",
        "ABC - 1",
    ],
)
def test_spellings_of_one_receipt_have_one_key(typed):
    assert receipt_key(typed) == "abc-1"


def test_different_receipts_keep_different_keys():
    assert receipt_key("ABC-1") != receipt_key("ABC-10")
    assert receipt_key("ABC-1") != receipt_key("ABC1")
    assert receipt_key("收据0001") != receipt_key("收据0002")


def test_german_sharp_s_and_chinese_are_kept_and_folded():
    assert receipt_key("STRASSE-1") == receipt_key("straße-1")
    assert receipt_key("收据-0001") == "收据-0001"


def test_empty_and_invisible_only_are_empty():
    assert receipt_key("") == ""
    assert receipt_key(None) == ""
    assert receipt_key("\u200b \u200c") == ""


def test_key_is_stable():
    for typed in ["ABC‐1", "ａｂｃ－１", "Ⅻ-1", "①"]:
        assert receipt_key(receipt_key(typed)) == receipt_key(typed)
