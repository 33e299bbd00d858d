"""The roles of DESIGN.md §1 as Django groups, with the permissions each one has.

A user's role is the role group they belong to; what they may *see* is decided by
arrears.scoping from the role and their StaffProfile. Permissions say what they may *do*;
arrears.access puts the two together, one named predicate per decision.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from arrears.models import Role

VIEW_ALL = [
    "arrears.view_campaign",
    "arrears.view_case",
    "arrears.view_debtperiod",
    "arrears.view_payment",
    "arrears.view_clearance",
    "arrears.view_promisetopay",
    "arrears.view_difficultissue",
    "households.view_household",
    "households.view_owner",
    "households.view_contactattempt",
    "households.view_contactpolicy",
    "households.view_onsitetip",
    "teams.view_team",
    "teams.view_teammember",
    "escalation.view_letter",
    "escalation.view_paymentplan",
    "escalation.view_legalaction",
    "escalation.view_waiver",
]

COLLECTOR = [
    *VIEW_ALL,
    "arrears.add_payment",
    "arrears.add_promisetopay",
    "arrears.add_difficultissue",
    "households.add_contactattempt",
    # Collectors hand letters over and record what became of them; plans are agreed at the door.
    "escalation.add_letter",
    "escalation.change_letter",
    "escalation.add_paymentplan",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COLLECTOR: COLLECTOR,
    # A leader also moves cases between the members of their own team.
    Role.TEAM_LEADER: [*COLLECTOR, "arrears.change_case", "arrears.reverse_payment"],
    Role.OFFICE_MANAGER: [
        *COLLECTOR,
        "arrears.add_case",
        "arrears.change_case",
        "arrears.add_campaign",
        "arrears.change_campaign",
        "arrears.add_debtperiod",
        "arrears.change_debtperiod",
        "arrears.change_difficultissue",
        "arrears.reverse_payment",
        # A household's credit (paid beyond what it owed) is given back by the office manager.
        "arrears.refund_credit",
        # Only the office manager lets a backdated payment count in its earlier month.
        "arrears.add_backdateapproval",
        "arrears.view_feerate",
        "households.add_household",
        "households.change_household",
        "households.add_owner",
        "households.change_owner",
        "households.change_contactpolicy",
        # Exemptions (a time the owner asked for, a call-back, a walk-in) are theirs to review.
        "households.add_exemptionreview",
        "teams.add_team",
        "teams.change_team",
        "teams.add_teammember",
        "teams.change_teammember",
        "teams.delete_teammember",
        # The legal stage and any write-down of the debt are the office manager's decisions.
        "escalation.add_legalaction",
        "escalation.change_legalaction",
        "escalation.approve_waiver",
    ],
    Role.OPERATIONS_MANAGER: VIEW_ALL,
    Role.REGIONAL_DIRECTOR: VIEW_ALL,
    # Gate and patrol staff only report tips; scoping shows them unit codes and nothing else.
    Role.SITE_STAFF: ["households.add_onsitetip"],
    Role.ADMINISTRATOR: ["*"],
}

# When a user is (wrongly) in several role groups, the widest one decides what they see.
PRECEDENCE = [
    Role.ADMINISTRATOR,
    Role.REGIONAL_DIRECTOR,
    Role.OPERATIONS_MANAGER,
    Role.OFFICE_MANAGER,
    Role.TEAM_LEADER,
    Role.COLLECTOR,
    Role.SITE_STAFF,
]


def sync_role_groups(using="default", **kwargs):
    """Create the role groups and set exactly the permissions listed above."""
    # post_migrate reaches this app before the apps listed after it have their
    # permissions, so make sure every app's exist first (this is idempotent).
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    all_perms = Permission.objects.select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_perms}
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        if names == ["*"]:
            perms = list(by_name.values())
        else:
            missing = [n for n in names if n not in by_name]
            if missing:
                raise LookupError(f"Role {role} names unknown permissions: {missing}")
            perms = [by_name[n] for n in names]
        group.permissions.set(perms)


def role_of(user) -> str | None:
    """The user's role (a Role value), or None for a user with no role."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_arrears_role", False)
    if cached is not False:
        return cached
    if user.is_superuser:
        role = Role.ADMINISTRATOR.value
    else:
        # .all(), not .values_list(): a caller that prefetched the groups of many users
        # (summaries.delivery) asks no query per user
        names = {group.name for group in user.groups.all()}
        role = next((r.value for r in PRECEDENCE if r.value in names), None)
    user._arrears_role = role
    return role


def staff_for(role: str) -> bool:
    """Whether a user of this role may use the Django admin (only administrators)."""
    return role == Role.ADMINISTRATOR


def user_set_role(*, user, role: str) -> None:
    """Put the user in exactly one role group."""
    role_names = [r.value for r in Role]
    user.groups.remove(*Group.objects.filter(name__in=role_names).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))
    user.is_staff = staff_for(role)
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("_arrears_role", None)
