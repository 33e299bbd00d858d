"""The access rule book: every "may this person do this here" decision, by name.

What a role may *do* is its permissions (arrears.roles, one Django group per role); *where*
they may do it is their scope (arrears.scoping: an office, the offices in their charge, a
region, their teams). Each predicate below states its rule in one sentence and combines the
two. Views, templates (through desk.context_processors or the view's context) and services
ask these predicates; nothing else compares roles.

A predicate called without its place answers whether the user may ever do the thing: views
ask that before any lookup, so that someone who never may gets 403 and learns nothing. Called
with the place (an office's object), it answers whether they may do it there.

A decision that is one permission and nothing else stays `permission_required(...)` or
`user.has_perm(...)`: roles.py is its rule.

This module is in the core: it reads the fields of the objects it is given and imports no
other app.
"""

from arrears.models import Role, Summary
from arrears.roles import role_of
from arrears.scoping import cases, scope_of

# Who works cases: phones owners, logs contact, records what the owner asked.
CASE_WORKERS = frozenset(
    {Role.COLLECTOR, Role.TEAM_LEADER, Role.OFFICE_MANAGER, Role.ADMINISTRATOR}
)
# Who runs an office: the office manager, and the administrator anywhere.
OFFICE_RUNNERS = frozenset({Role.OFFICE_MANAGER, Role.ADMINISTRATOR})
# Who looks over the work of others: breaches, difficult issues.
OVERSEERS = frozenset(
    {
        Role.TEAM_LEADER,
        Role.OFFICE_MANAGER,
        Role.OPERATIONS_MANAGER,
        Role.REGIONAL_DIRECTOR,
        Role.ADMINISTRATOR,
    }
)
WEEKLY_REPORT_READERS = frozenset(
    {Role.REGIONAL_DIRECTOR, Role.OPERATIONS_MANAGER, Role.ADMINISTRATOR}
)
LETTER_BATCH_WRITERS = frozenset({Role.OFFICE_MANAGER, Role.TEAM_LEADER, Role.ADMINISTRATOR})
# Who sees no case, no campaign and no summary: gate and patrol staff, and a user with no role.
CASELESS = frozenset({None, Role.SITE_STAFF})

# The summaries each role may produce on demand (the schedule produces them all anyway).
SUMMARIES_TO_RUN = {
    Role.ADMINISTRATOR: frozenset(
        {Summary.Kind.DAILY_OFFICE, Summary.Kind.MORNING_BRIEF, Summary.Kind.WEEKLY_PACK}
    ),
    Role.REGIONAL_DIRECTOR: frozenset(
        {Summary.Kind.DAILY_OFFICE, Summary.Kind.MORNING_BRIEF, Summary.Kind.WEEKLY_PACK}
    ),
    Role.OFFICE_MANAGER: frozenset({Summary.Kind.DAILY_OFFICE}),
    Role.OPERATIONS_MANAGER: frozenset({Summary.Kind.DAILY_OFFICE}),
}

# Each role's start page (desk.views.desk picks the template and what it shows).
CASES_DESK, OFFICE_DESK, REGION_DESK, SITE_DESK = "cases", "office", "region", "site"
DESKS = {
    Role.COLLECTOR: CASES_DESK,
    Role.TEAM_LEADER: CASES_DESK,
    Role.OFFICE_MANAGER: OFFICE_DESK,
    Role.OPERATIONS_MANAGER: REGION_DESK,
    Role.REGIONAL_DIRECTOR: REGION_DESK,
    Role.ADMINISTRATOR: REGION_DESK,
    Role.SITE_STAFF: SITE_DESK,
}


def _is(user, roles) -> bool:
    return role_of(user) in roles


def _in_office(user, office_id) -> bool:
    """Whether the office is in the user's scope (every office for an administrator)."""
    scope = scope_of(user)
    return scope.everything or office_id in scope.office_ids


def _sees_household(user, household) -> bool:
    """The household is in the user's scope, as households.scoping reads it: their offices,
    and for collectors and team leaders only the households of their teams' cases."""
    scope = scope_of(user)
    if not scope.sees_cases or not _in_office(user, household.office_id):
        return False
    return not scope.team_bound or cases(user).filter(household_id=household.pk).exists()


# Pages and menus


def desk_of(user) -> str | None:
    """The start page of the user's role (CASES_DESK, OFFICE_DESK, …), None without a role."""
    return DESKS.get(role_of(user))


def may_work_cases(user) -> bool:
    """Collectors, team leaders, office managers and administrators work cases (the case
    list, payments, attempts and letters are in their menu)."""
    return _is(user, CASE_WORKERS)


def may_see_campaigns(user) -> bool:
    """Everyone with a role but gate and patrol staff sees their office's campaigns."""
    return not _is(user, CASELESS)


def may_see_breaches(user) -> bool:
    """Team leaders and everyone above them see the breaches and the difficult issues of their
    scope; collectors and gate staff do not."""
    return _is(user, OVERSEERS)


def may_use_office_tools(user) -> bool:
    """The office's own tools (contact policy, ledger and payment imports) are in the office
    manager's menu; an administrator reaches those they may use by their address."""
    return _is(user, {Role.OFFICE_MANAGER})


def may_see_worker_health(user) -> bool:
    """Only the administrator is shown when the background worker was last seen."""
    return _is(user, {Role.ADMINISTRATOR})


# Owners' personal information and how they are contacted


def may_see_phones(user, household=None) -> bool:
    """Those who phone owners or decide how they are contacted (collectors, team leaders,
    office managers, administrators) see full numbers of the households they may see;
    everyone else sees them masked (PIPL: the minimum needed)."""
    return _is(user, CASE_WORKERS) and (household is None or _sees_household(user, household))


def may_set_written_only(user) -> bool:
    """Collectors, team leaders, office managers and administrators record an owner's
    request for written contact only (on a case of their scope)."""
    return _is(user, CASE_WORKERS)


def may_record_dispute(user) -> bool:
    """Those who talk to owners record what an owner disputes (issue 17.2), on a case of
    their scope; the office manager is told."""
    return _is(user, CASE_WORKERS)


def may_follow_dispute(user) -> bool:
    """Those who work cases record the steps of a dispute after it was recorded (the
    receipt check, the department's "done", the written answer issued and delivered), on a
    case of their scope."""
    return _is(user, CASE_WORKERS)


def may_resolve_dispute(user, dispute=None) -> bool:
    """Only the office manager of the household's office (or an administrator) resolves a
    dispute: upheld (with a waiver for their approval), rejected or settled."""
    return _is(user, OFFICE_RUNNERS) and (
        dispute is None or _in_office(user, dispute.household.office_id)
    )


def may_route_disputes(user, office_id=None) -> bool:
    """The office manager sets where their office's service complaints go and how many days
    each department has (an administrator does it in the admin)."""
    profile = getattr(user, "staff_profile", None)
    return (
        _is(user, {Role.OFFICE_MANAGER})
        and profile is not None
        and profile.office_id is not None
        and (office_id is None or profile.office_id == office_id)
    )


def may_withdraw_written_only(user, household=None) -> bool:
    """Only the office manager of the household's office (or an administrator) lifts an
    owner's written-only request, and only with the owner's written withdrawal."""
    return (
        _is(user, OFFICE_RUNNERS)
        and user.has_perm("households.change_household")
        and (household is None or _in_office(user, household.office_id))
    )


def may_edit_contact_policy(user) -> bool:
    """The office manager edits the contact policy of their own office (a user with the
    permission but no office has no policy to edit)."""
    profile = getattr(user, "staff_profile", None)
    return (
        user.has_perm("households.change_contactpolicy")
        and profile is not None
        and profile.office_id is not None
    )


# Payments


def may_approve_backdate(user, payment=None) -> bool:
    """Only the office manager of the payment's office (or an administrator) lets a
    backdated payment count in the month it is dated."""
    if not (_is(user, OFFICE_RUNNERS) and user.has_perm("arrears.add_backdateapproval")):
        return False
    return payment is None or _in_office(user, payment.office_id)


def may_import_ledger(user) -> bool:
    """The office manager imports a ledger into their office's campaigns; an administrator
    into any campaign."""
    return _is(user, OFFICE_RUNNERS) and user.has_perm("arrears.add_debtperiod")


def may_import_payments(user) -> bool:
    """The office manager imports the billing system's payments into their own office; an
    administrator into the office they choose."""
    return _is(user, OFFICE_RUNNERS) and user.has_perm("arrears.add_payment")


def may_choose_import_office(user) -> bool:
    """Only an administrator chooses the office a payments file goes into; an office
    manager's always goes into their own, whatever is posted."""
    return _is(user, {Role.ADMINISTRATOR})


# Teams and cases


def leads_team(user, team_id) -> bool:
    """Whether the user is the leader of that team now (a removed member leads nothing)."""
    if team_id is None or not user.is_authenticated:
        return False
    memberships = user.team_memberships
    return memberships.filter(team_id=team_id, role=memberships.model.Role.LEADER).exists()


def may_assign_cases(user, campaign=None) -> bool:
    """The office manager of the campaign's office (or an administrator) splits its cases
    over the teams, moves a case to another team and names any case's responsible person."""
    return (
        _is(user, OFFICE_RUNNERS)
        and user.has_perm("arrears.change_case")
        and (campaign is None or _in_office(user, campaign.office_id))
    )


def may_set_responsible(user, case) -> bool:
    """The leader of the case's team, or whoever may assign the campaign's cases, names the
    responsible person of a case that has a team."""
    return case.team_id is not None and (
        may_assign_cases(user, case.campaign) or leads_team(user, case.team_id)
    )


def may_set_category(user, case=None) -> bool:
    """Team leaders, office managers and administrators set a case's debtor category (it
    chooses the playbook and the legal route) on a case of their scope; a collector finds out
    why the owner does not pay and tells them."""
    return user.has_perm("arrears.change_case") and (
        case is None or cases(user).filter(pk=case.pk).exists()
    )


def may_manage_team(user, team=None) -> bool:
    """The office manager (or an administrator) opens a team of their office's campaigns and
    removes its members."""
    return user.has_perm("teams.delete_teammember") and (
        team is None or _in_office(user, team.campaign.office_id)
    )


def member_figures_teams(user, campaign) -> set[int] | None:
    """The teams whose members' own figures the user sees on a campaign's leaderboard: none
    for collectors and gate staff, the teams they lead for a team leader, every team (None)
    for the managers above them. The team ranking itself is public inside the office."""
    role = role_of(user)
    if role in {Role.COLLECTOR, Role.SITE_STAFF}:
        return set()
    if role == Role.TEAM_LEADER:
        memberships = user.team_memberships
        return set(
            memberships.filter(
                role=memberships.model.Role.LEADER, team__campaign=campaign
            ).values_list("team_id", flat=True)
        )
    return None


# Escalation


def may_batch_letters(user) -> bool:
    """Team leaders, office managers and administrators issue letters for many ticked cases
    at once (each one only to a case of their scope)."""
    return user.has_perm("escalation.add_letter") and _is(user, LETTER_BATCH_WRITERS)


def may_decide_waiver(user, waiver=None) -> bool:
    """Whoever holds the waiver permission (the office manager, an administrator) approves or
    refuses a waiver on a case of their scope."""
    return user.has_perm("escalation.approve_waiver") and (
        waiver is None or cases(user).filter(pk=waiver.case_id).exists()
    )


# Reports


def may_read_summaries(user) -> bool:
    """Everyone with a role but gate and patrol staff reads the summaries of their scope."""
    return not _is(user, CASELESS)


def summaries_to_run(user) -> frozenset[str]:
    """The summary kinds the user may produce now: the office summary for office and
    operations managers; it, the morning brief and the Monday pack for the regional director
    and the administrator; none for anyone else."""
    return SUMMARIES_TO_RUN.get(role_of(user), frozenset())


def may_run_summary(user, kind) -> bool:
    """Whether the user may produce a summary of that kind now (see summaries_to_run)."""
    return kind in summaries_to_run(user)


def may_see_disputes(user) -> bool:
    """Team leaders and everyone above them read the Disputes page (open disputes by age,
    cause and amount held up) of their scope: a leader's teams, an office, the region."""
    return _is(user, OVERSEERS)


def may_read_weekly_report(user) -> bool:
    """The regional director, operations managers and the administrator download the weekly
    workbook of their offices."""
    return _is(user, WEEKLY_REPORT_READERS)


# Owners' personal-information requests (PIPL arts. 44–47)


def may_handle_data_requests(user, office_id=None) -> bool:
    """The office manager (and an administrator) records and answers owners' requests about
    their personal data, for the offices of their scope."""
    return _is(user, OFFICE_RUNNERS) and (office_id is None or _in_office(user, office_id))


def may_decide_plan_proposal(user, office_id=None) -> bool:
    """The office manager (and an administrator) accepts, changes or declines the instalments
    an owner proposed on the statement page, in the offices of their scope."""
    return (
        _is(user, OFFICE_RUNNERS)
        and user.has_perm("escalation.add_paymentplan")
        and (office_id is None or _in_office(user, office_id))
    )
