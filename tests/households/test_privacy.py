from arrears.models import Role
from households.privacy import can_see_phones, mask_phone


def test_mobile_numbers_keep_prefix_and_last_four():
    assert mask_phone("13912345678") == "139****5678"


def test_short_numbers_keep_only_two_digits():
    assert mask_phone("12345") == "***45"
    assert mask_phone("") == ""


def test_only_people_who_call_owners_see_full_numbers():
    assert can_see_phones(Role.COLLECTOR)
    assert can_see_phones(Role.OFFICE_MANAGER)
    assert not can_see_phones(Role.REGIONAL_DIRECTOR)
    assert not can_see_phones(Role.OPERATIONS_MANAGER)
    assert not can_see_phones(Role.SITE_STAFF)
    assert not can_see_phones(None)
