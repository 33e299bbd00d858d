"""The access rule book (arrears.access): each predicate for every user, as a table.

Beside `world`'s people the table has the boundary cases: a director of another region, an
office manager with no staff profile (so no office), a team leader whose membership was
removed, a user with no role and an anonymous visitor. Each row names the users for whom
the predicate is true; it is false for everyone else.

The last tests read the source: no view, service or template decides access by comparing
roles; they ask arrears.access.
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from arrears import access
from arrears.models import Payment, Role, Summary
from arrears.roles import user_set_role
from escalation.models import Waiver
from households.models import Dispute
from teams.models import TeamMember
from tests.conftest import make_user

PEOPLE = (
    "collector_a",
    "leader_a",
    "collector_b",
    "manager",
    "ops",
    "director",
    "site",
    "admin",
    "other_manager",
    "other_collector",
    "other_director",  # the director of the other region
    "unplaced_manager",  # an office manager without a staff profile
    "former_leader",  # led team B until removed from it
    "nobody",  # no role
    "anon",
)


@pytest.fixture
def people(world):
    roles = dict(world.roles)
    roles["other_director"] = make_user(
        "other_director", Role.REGIONAL_DIRECTOR, region=world.other_region
    )
    unplaced = get_user_model().objects.create_user(username="unplaced_manager")
    user_set_role(user=unplaced, role=Role.OFFICE_MANAGER)
    roles["unplaced_manager"] = unplaced
    former = make_user("former_leader", Role.TEAM_LEADER, office=world.office)
    TeamMember.objects.create(team=world.team_b, user=former, role=TeamMember.Role.LEADER)
    TeamMember.objects.filter(team=world.team_b, user=former).delete()
    roles["former_leader"] = former
    roles["anon"] = AnonymousUser()
    assert set(roles) == set(PEOPLE)
    return roles


CASE_WORKERS = {
    "collector_a",
    "leader_a",
    "collector_b",
    "manager",
    "admin",
    "other_manager",
    "other_collector",
    "unplaced_manager",
    "former_leader",
}
WITH_A_ROLE_BUT_SITE = set(PEOPLE) - {"site", "nobody", "anon"}
OFFICE_RUNNERS = {"manager", "admin", "other_manager", "unplaced_manager"}
OVERSEERS = {
    "leader_a",
    "manager",
    "ops",
    "director",
    "admin",
    "other_manager",
    "other_director",
    "unplaced_manager",
    "former_leader",
}
DIRECTORS = {"director", "admin", "other_director"}

# (row, the question asked of `world` w and a user u, the users for whom it is true)
# fmt: off
TABLE = [
    ("may_work_cases",               lambda w, u: access.may_work_cases(u), CASE_WORKERS),
    ("may_see_campaigns",            lambda w, u: access.may_see_campaigns(u), WITH_A_ROLE_BUT_SITE),
    ("may_see_breaches",             lambda w, u: access.may_see_breaches(u), OVERSEERS),
    ("may_see_disputes",             lambda w, u: access.may_see_disputes(u), OVERSEERS),
    ("may_use_office_tools",         lambda w, u: access.may_use_office_tools(u),
     {"manager", "other_manager", "unplaced_manager"}),
    ("may_see_worker_health",        lambda w, u: access.may_see_worker_health(u), {"admin"}),
    # Owners' phones: a role that may, then only for households of the user's scope.
    ("may_see_phones",               lambda w, u: access.may_see_phones(u), CASE_WORKERS),
    ("may_see_phones:house_a",       lambda w, u: access.may_see_phones(u, w.house_a),
     {"collector_a", "leader_a", "manager", "admin"}),
    ("may_see_phones:other_house",   lambda w, u: access.may_see_phones(u, w.other_house),
     {"other_collector", "other_manager", "admin"}),
    ("may_set_written_only",         lambda w, u: access.may_set_written_only(u), CASE_WORKERS),
    ("may_record_dispute",           lambda w, u: access.may_record_dispute(u), CASE_WORKERS),
    ("may_follow_dispute",           lambda w, u: access.may_follow_dispute(u), CASE_WORKERS),
    ("may_resolve_dispute",          lambda w, u: access.may_resolve_dispute(u), OFFICE_RUNNERS),
    ("may_resolve_dispute:house_a",
     lambda w, u: access.may_resolve_dispute(u, Dispute(household=w.house_a)),
     {"manager", "admin"}),
    ("may_resolve_dispute:other_house",
     lambda w, u: access.may_resolve_dispute(u, Dispute(household=w.other_house)),
     {"other_manager", "admin"}),
    ("may_route_disputes",           lambda w, u: access.may_route_disputes(u),
     {"manager", "other_manager"}),  # the administrator uses the admin
    ("may_route_disputes:office",
     lambda w, u: access.may_route_disputes(u, w.office.pk), {"manager"}),
    ("may_handle_data_requests",     lambda w, u: access.may_handle_data_requests(u),
     OFFICE_RUNNERS),
    ("may_handle_data_requests:office",
     lambda w, u: access.may_handle_data_requests(u, w.office.pk), {"manager", "admin"}),
    ("may_handle_data_requests:other_office",
     lambda w, u: access.may_handle_data_requests(u, w.other_office.pk),
     {"other_manager", "admin"}),
    ("may_decide_plan_proposal",     lambda w, u: access.may_decide_plan_proposal(u),
     OFFICE_RUNNERS),
    ("may_decide_plan_proposal:office",
     lambda w, u: access.may_decide_plan_proposal(u, w.office.pk), {"manager", "admin"}),
    ("may_withdraw_written_only",    lambda w, u: access.may_withdraw_written_only(u),
     OFFICE_RUNNERS),
    ("may_withdraw_written_only:house_a",
     lambda w, u: access.may_withdraw_written_only(u, w.house_a), {"manager", "admin"}),
    ("may_withdraw_written_only:other_house",
     lambda w, u: access.may_withdraw_written_only(u, w.other_house), {"other_manager", "admin"}),
    ("may_edit_contact_policy",      lambda w, u: access.may_edit_contact_policy(u),
     {"manager", "other_manager"}),  # the administrator and the unplaced manager have no office
    ("may_approve_backdate",         lambda w, u: access.may_approve_backdate(u), OFFICE_RUNNERS),
    ("may_approve_backdate:office",
     lambda w, u: access.may_approve_backdate(u, Payment(office=w.office)), {"manager", "admin"}),
    ("may_approve_backdate:other_office",
     lambda w, u: access.may_approve_backdate(u, Payment(office=w.other_office)),
     {"other_manager", "admin"}),
    ("may_import_ledger",            lambda w, u: access.may_import_ledger(u), OFFICE_RUNNERS),
    ("may_import_payments",          lambda w, u: access.may_import_payments(u), OFFICE_RUNNERS),
    ("may_choose_import_office",     lambda w, u: access.may_choose_import_office(u), {"admin"}),
    ("leads_team:team_a",            lambda w, u: access.leads_team(u, w.team_a.pk), {"leader_a"}),
    ("leads_team:team_b",            lambda w, u: access.leads_team(u, w.team_b.pk), set()),
    ("leads_team:no_team",           lambda w, u: access.leads_team(u, None), set()),
    ("may_assign_cases",             lambda w, u: access.may_assign_cases(u), OFFICE_RUNNERS),
    ("may_assign_cases:campaign",
     lambda w, u: access.may_assign_cases(u, w.campaign), {"manager", "admin"}),
    ("may_assign_cases:other_campaign",
     lambda w, u: access.may_assign_cases(u, w.other_campaign), {"other_manager", "admin"}),
    ("may_set_responsible:case_a",
     lambda w, u: access.may_set_responsible(u, w.case_a), {"leader_a", "manager", "admin"}),
    ("may_set_responsible:case_b",  # team B's former leader no longer leads it
     lambda w, u: access.may_set_responsible(u, w.case_b), {"manager", "admin"}),
    ("may_set_responsible:other_case",
     lambda w, u: access.may_set_responsible(u, w.other_case), {"other_manager", "admin"}),
    # The debtor category: whoever may change cases, then only on a case of their scope.
    ("may_set_category",             lambda w, u: access.may_set_category(u),
     OFFICE_RUNNERS | {"leader_a", "former_leader"}),
    ("may_set_category:case_a",
     lambda w, u: access.may_set_category(u, w.case_a), {"leader_a", "manager", "admin"}),
    ("may_set_category:case_b",
     lambda w, u: access.may_set_category(u, w.case_b), {"manager", "admin"}),
    ("may_set_category:other_case",
     lambda w, u: access.may_set_category(u, w.other_case), {"other_manager", "admin"}),
    ("may_manage_team",              lambda w, u: access.may_manage_team(u), OFFICE_RUNNERS),
    ("may_manage_team:team_a",
     lambda w, u: access.may_manage_team(u, w.team_a), {"manager", "admin"}),
    ("may_manage_team:other_team",
     lambda w, u: access.may_manage_team(u, w.other_team), {"other_manager", "admin"}),
    ("may_batch_letters",            lambda w, u: access.may_batch_letters(u),
     {"leader_a", "former_leader", "manager", "admin", "other_manager", "unplaced_manager"}),
    ("may_decide_waiver",            lambda w, u: access.may_decide_waiver(u), OFFICE_RUNNERS),
    ("may_decide_waiver:case_a",
     lambda w, u: access.may_decide_waiver(u, Waiver(case=w.case_a)), {"manager", "admin"}),
    ("may_decide_waiver:other_case",
     lambda w, u: access.may_decide_waiver(u, Waiver(case=w.other_case)),
     {"other_manager", "admin"}),
    ("may_read_summaries",           lambda w, u: access.may_read_summaries(u),
     WITH_A_ROLE_BUT_SITE),
    ("may_run_summary:daily_office",
     lambda w, u: access.may_run_summary(u, Summary.Kind.DAILY_OFFICE),
     {"manager", "other_manager", "unplaced_manager", "ops", *DIRECTORS}),
    ("may_run_summary:morning_brief",
     lambda w, u: access.may_run_summary(u, Summary.Kind.MORNING_BRIEF), DIRECTORS),
    ("may_run_summary:weekly_pack",
     lambda w, u: access.may_run_summary(u, Summary.Kind.WEEKLY_PACK), DIRECTORS),
    ("may_run_summary:daily_team",   # produced by the schedule only
     lambda w, u: access.may_run_summary(u, Summary.Kind.DAILY_TEAM), set()),
    ("may_read_weekly_report",       lambda w, u: access.may_read_weekly_report(u),
     {"ops", "director", "admin", "other_director"}),
]
# fmt: on


@pytest.mark.parametrize(("row", "ask", "allowed"), TABLE, ids=[row for row, _, _ in TABLE])
def test_each_predicate_for_every_user(world, people, row, ask, allowed):
    assert allowed <= set(PEOPLE), row
    answers = {name: ask(world, people[name]) for name in PEOPLE}
    assert all(isinstance(value, bool) for value in answers.values()), answers
    assert {name for name, value in answers.items() if value} == allowed


def test_every_predicate_of_the_rule_book_has_a_row_and_states_its_rule():
    predicates = {
        name
        for name, value in vars(access).items()
        if callable(value)
        and getattr(value, "__module__", None) == access.__name__
        and (name.startswith("may_") or name == "leads_team")
    }
    assert predicates == {row.split(":")[0] for row, _, _ in TABLE}
    for name in predicates:
        assert (getattr(access, name).__doc__ or "").strip(), name


DESKS = {
    "collector_a": access.CASES_DESK,
    "leader_a": access.CASES_DESK,
    "collector_b": access.CASES_DESK,
    "manager": access.OFFICE_DESK,
    "ops": access.REGION_DESK,
    "director": access.REGION_DESK,
    "site": access.SITE_DESK,
    "admin": access.REGION_DESK,
    "other_manager": access.OFFICE_DESK,
    "other_collector": access.CASES_DESK,
    "other_director": access.REGION_DESK,
    "unplaced_manager": access.OFFICE_DESK,
    "former_leader": access.CASES_DESK,
    "nobody": None,
    "anon": None,
}


def test_each_role_has_its_desk(world, people):
    assert {name: access.desk_of(people[name]) for name in PEOPLE} == DESKS


def test_the_leaderboard_shows_members_of_the_teams_a_leader_leads_and_all_to_managers(
    world, people
):
    shown = {name: access.member_figures_teams(people[name], world.campaign) for name in PEOPLE}
    assert shown["leader_a"] == {world.team_a.pk}
    assert shown["former_leader"] == set()
    assert shown["collector_a"] == shown["site"] == set()
    for name in ("manager", "ops", "director", "admin", "other_director", "unplaced_manager"):
        assert shown[name] is None, name  # every team
    # A leader leads nothing in another campaign.
    assert access.member_figures_teams(people["leader_a"], world.other_campaign) == set()


# --- the rule book stays the only place ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
APPS = ("arrears", "households", "teams", "escalation", "imports", "summaries", "reports", "desk")
# The rule book, the role → permission table and the scoping layer compare roles; the demo
# loader gives people roles.
# Scoping builds querysets per role (the core's, and households' and teams' own records).
ALLOWED = {
    "arrears/access.py",
    "arrears/roles.py",
    "arrears/scoping.py",
    "households/scoping.py",
    "teams/scoping.py",
    "desk/demo.py",
}

ROLE_COMPARISONS = [
    re.compile(r"role_of\([^)]*\)\s*(?:not\s+in\b|in\b|==|!=)"),  # role_of(user) in (…)
    re.compile(r"\brole\s*(?:==|!=)\s*Role\."),  # role == Role.X
    re.compile(r"\brole\s+(?:not\s+)?in\s*[(\[{]"),  # role in (…)
    re.compile(r"(?:==|!=|\bin)\s*[(\[{]?\s*Role\.[A-Z_]+\b"),  # x in {Role.X, …}, x == Role.X
]
TEMPLATE_CHECKS = [
    re.compile(r"\bperms\."),  # {% if perms.app.codename %}
    re.compile(r"(?<![\w.])(?:user_)?role\s*(?:==|!=|\bin\b)"),  # {% if user_role == "…" %}
]


def _sources(suffix):
    for app in (*APPS, "config", "templates"):
        for path in sorted((ROOT / app).rglob(f"*{suffix}")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" not in path.parts and relative not in ALLOWED:
                yield relative, path.read_text(encoding="utf-8")


def _found(patterns, suffix):
    found = []
    for relative, text in _sources(suffix):
        for pattern in patterns:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{relative}:{line}: {match.group(0)!r}")
    return found


def test_the_patterns_catch_what_they_are_meant_to():
    caught = [
        "if role_of(user) in (Role.OFFICE_MANAGER, Role.ADMINISTRATOR):",
        "if role_of(request.user) not in READERS:",
        "choose = role == Role.ADMINISTRATOR",
        "if role in (Role.COLLECTOR, Role.SITE_STAFF):",
        '"works_cases": value\n        in {Role.COLLECTOR, Role.TEAM_LEADER},',
        "if role not in (\n    Role.COLLECTOR,",
    ]
    for text in caught:
        assert any(p.search(text) for p in ROLE_COMPARISONS), text
    assert not any(p.search("groups__name=Role.OFFICE_MANAGER") for p in ROLE_COMPARISONS)
    assert not any(p.search("role=TeamMember.Role.LEADER") for p in ROLE_COMPARISONS)
    for text in ('{% if user_role == "administrator" %}', "{% if perms.teams.delete_teammember %}"):
        assert any(p.search(text) for p in TEMPLATE_CHECKS), text
    # A team member's role (leader or member) is shown, not an access decision.
    assert not any(p.search("{% if m.role == 'leader' %}") for p in TEMPLATE_CHECKS)


def test_no_view_service_or_template_compares_roles_itself():
    found = _found(ROLE_COMPARISONS, ".py") + _found(TEMPLATE_CHECKS, ".html")
    assert found == [], "ask arrears.access instead:\n" + "\n".join(found)
