from households.privacy import mask_phone


def test_mobile_numbers_keep_prefix_and_last_four():
    assert mask_phone("13912345678") == "139****5678"


def test_short_numbers_keep_only_two_digits():
    assert mask_phone("12345") == "***45"
    assert mask_phone("") == ""
