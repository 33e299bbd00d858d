from django.contrib.auth.models import Group

from arrears.models import Role
from arrears.roles import ROLE_PERMISSIONS, role_of, user_set_role


def perms(role):
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_every_role_is_a_group_with_exactly_its_permissions(world):
    for role, names in ROLE_PERMISSIONS.items():
        if names != ["*"]:
            assert perms(role) == set(names), role
    assert "arrears.delete_payment" in perms(Role.ADMINISTRATOR)


def test_nobody_but_the_administrator_may_delete_or_change_money(world):
    for role in Role:
        if role == Role.ADMINISTRATOR:
            continue
        assert not {"arrears.change_payment", "arrears.delete_payment"} & perms(role), role


def test_site_staff_may_only_report_tips(world):
    assert perms(Role.SITE_STAFF) == {"households.add_onsitetip"}
    assert not world.site.has_perm("households.view_household")


def test_role_of_reads_the_group(world):
    assert role_of(world.collector_a) == Role.COLLECTOR
    assert role_of(world.director) == Role.REGIONAL_DIRECTOR
    assert role_of(world.nobody) is None


def test_changing_a_role_leaves_the_user_in_one_role_group(world):
    user_set_role(user=world.collector_a, role=Role.TEAM_LEADER)
    names = set(world.collector_a.groups.values_list("name", flat=True))
    assert names == {Role.TEAM_LEADER}
    world.collector_a.__dict__.pop("_arrears_role", None)
    assert role_of(world.collector_a) == Role.TEAM_LEADER


def test_only_administrators_are_staff(world):
    assert world.admin.is_staff
    assert not world.manager.is_staff
