"""Every role × every view: the status each one gets, and that no page shows what it must not.

The tables below are the product's *correct* behaviour, one row per view, one column per user
of `world` (plus an anonymous visitor). The rules they follow:

- A user of another office, or a collector/leader of another team, gets 404 on an object:
  scoping hides it (DESIGN.md §1).
- A role that may see the object but not do the action gets 403.
- A role that may never do the action at all gets 403 before any lookup: it learns nothing,
  the same 403 comes for an object that does not exist.
- An anonymous visitor is sent to /login/ (302) from every page except /healthz and the
  owner's statement (issue 17.1): that is reached by its signed link alone, the same for
  everyone who holds it, and a forged link gets the same 404 whoever asks.

Where the app does something else today, the POST cell is listed in KNOWN_BUGS and is expected
to fail: when the bug is fixed the test says so, and the entry must go.
"""

import datetime
import io
from decimal import Decimal
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from docx import Document

from arrears.issues import issue_raise
from arrears.models import (
    BackdateApproval,
    Case,
    CreditRefund,
    DebtPeriod,
    DifficultIssue,
    DifficultIssueNote,
    Notification,
    Payment,
    Summary,
)
from escalation.letter_records import (
    letter_issue,
    letter_record_delivery,
    letter_record_dispatch,
)
from escalation.models import LegalAction, LegalStep, Letter, PaymentPlan, Waiver
from escalation.proceedings import legal_open, legal_record_step
from households.contact import (
    attempt_log,
    household_set_written_only,
    household_withdraw_written_only,
)
from households.disputes import dispute_record
from households.models import (
    ContactAttempt,
    ContactPolicy,
    Dispute,
    ExemptionReview,
    Household,
    OnSiteTip,
    WrittenOnlyWithdrawal,
)
from summaries.producing import produce_daily
from summaries.windows import report_day
from teams.assignment import campaign_split_plan
from teams.membership import team_member_remove
from teams.models import TeamMember
from tests.conftest import PNG, make_case, make_household, record_payment

ISSUE_TITLE = "业主要求先赔付被盗损失"
DISPUTE_WORDS = "矩阵：这笔钱我交过了"
OWNER = "张静"  # world.house_a's owner; the other office's C6-101 belongs to 外处业主
PHONE = "13912345678"  # world.house_a's owner's phone, in full
MASKED_PHONE = "139****5678"
COLLECTOR_A_NAME = "李收费"  # collector_a's display name: the author of case_a's attempts
LETTER_PREFIX = "NORTH-"  # world.office's letter references (NORTH-2026-D0001); only case_a's exist

ROLES = (
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
    "nobody",
    "anon",
)

# fmt: off
GET_EXPECTED = {
    #                  col_a  lead_a col_b  mgr  ops  dir  site admin o_mgr o_col nobody anon
    "desk":            (200,  200,   200,   200, 200, 200, 200, 200,  200,  200,  200,   302),
    "case-list":       (200,  200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "case-detail":     (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "payment-new":     (200,  200,   404,   200, 403, 403, 403, 200,  404,  404,  403,   302),
    "payment-reverse": (403,  200,   403,   200, 403, 403, 403, 200,  404,  403,  403,   302),
    "issue-new":       (200,  200,   404,   200, 403, 403, 403, 200,  404,  404,  403,   302),
    "issue-list":      (200,  200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "issue-detail":    (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "inbox":           (200,  200,   200,   200, 200, 200, 200, 200,  200,  200,  200,   302),
    "inbox-read":      (405,  405,   405,   405, 405, 405, 405, 405,  405,  405,  405,   302),
    "attempt-new":     (200,  200,   404,   200, 403, 403, 403, 200,  404,  404,  403,   302),
    "written-only":    (200,  200,   404,   200, 403, 403, 404, 200,  404,  404,  404,   302),
    # Disputes (issue 17.2): recorded by those who work the case, in their scope.
    "dispute-new":     (200,  200,   404,   200, 403, 403, 404, 200,  404,  404,  404,   302),
    # Lifting an owner's written-only request is the office manager's alone (issue 11.2).
    "written-only-withdraw": (403, 403, 403, 200, 403, 403, 403, 200,  404,  403,  403,   302),
    "written-only-withdrawal-file": (200, 200, 404, 200, 200, 200, 404, 200, 404, 404, 404, 302),
    "evidence-file":   (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "contact-policy":  (403,  403,   403,   200, 403, 403, 403, 403,  200,  403,  403,   302),
    "lawful-contact":  (200,  200,   200,   200, 200, 200, 200, 200,  200,  200,  200,   302),
    "tip-new":         (403,  403,   403,   403, 403, 403, 200, 200,  403,  403,  403,   302),
    "breach-list":     (403,  200,   403,   200, 200, 200, 403, 200,  200,  403,  403,   302),
    # What disputes say about the service (issue 17.3): leaders and above, in their scope.
    "dispute-figures": (403,  200,   403,   200, 200, 200, 403, 200,  200,  403,  403,   302),
    "dispute-list":    (403,  200,   403,   200, 200, 200, 403, 200,  200,  403,  403,   302),
    # Issue 11: the office manager reviews exemptions (POST only, the permission first).
    "exemption-review": (403, 403,   403,   405, 403, 403, 403, 405,  405,  403,  403,   302),
    "healthz":         (200,  200,   200,   200, 200, 200, 200, 200,  200,  200,  200,   200),
    "leaderboard":     (200,  200,   200,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "assessment":      (200,  200,   200,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "campaign-split":  (403,  403,   403,   200, 403, 403, 404, 200,  404,  404,  404,   302),
    "case-team":       (405,  405,   405,   405, 405, 405, 405, 405,  405,  405,  405,   302),
    "case-responsible": (405, 405,   405,   405, 405, 405, 405, 405,  405,  405,  405,   302),
    # The debtor category (issue 14.3): who may never set one gets 403 before the lookup.
    "case-category":   (403,  405,   403,   405, 403, 403, 403, 405,  405,  403,  403,   302),
    "summary-list":    (200,  200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "summary-detail":  (404,  404,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    # Every summary kind, owned and foreign (issue 12). The Monday pack is stored once per
    # reader's scope: the region's copy for its director, each office's for its office
    # managers, each operations manager's for the offices in their charge. ":pack-huating" is
    # the copy of 华庭, another office of world.region; ":pack-west" and ":office-west" belong
    # to the other region's office.
    "summary-detail:team":      (200, 200, 404, 200, 200, 200, 404, 200, 404, 404, 404, 302),
    "summary-detail:office-west": (404, 404, 404, 404, 404, 404, 404, 200, 200, 404, 404, 302),
    "summary-detail:operations": (404, 404, 404, 404, 200, 200, 404, 200, 404, 404, 404, 302),
    "summary-detail:brief":     (404, 404, 404, 404, 404, 200, 404, 200, 404, 404, 404, 302),
    "summary-detail:pack-region": (404, 404, 404, 404, 404, 200, 404, 200, 404, 404, 404, 302),
    "summary-detail:pack-office": (404, 404, 404, 200, 404, 404, 404, 200, 404, 404, 404, 302),
    "summary-detail:pack-operations": (404, 404, 404, 404, 200, 404, 404, 200, 404, 404, 404, 302),
    "summary-detail:pack-huating": (404, 404, 404, 404, 404, 404, 404, 200, 404, 404, 404, 302),
    "summary-detail:pack-west": (404, 404, 404, 404, 404, 404, 404, 200, 200, 404, 404, 302),
    "summary-run":     (405,  405,   405,   405, 405, 405, 405, 405,  405,  405,  405,   302),
    "weekly-report":   (403,  403,   403,   403, 200, 200, 403, 200,  403,  403,  403,   302),
    "payment-list":    (200,  200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "attempt-list":    (200,  200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "ledger-import":   (403,  403,   403,   200, 403, 403, 403, 200,  200,  403,  403,   302),
    "ledger-import-template": (403, 403, 403, 200, 403, 403, 403, 200, 200,  403,  403,   302),
    "payment-import":  (403,  403,   403,   200, 403, 403, 403, 200,  200,  403,  403,   302),
    # Escalation (issue 7). ":docx" is the same page asked for as a Word file (?format=docx).
    # The POST-only views below check the permission before the method, so a GET from a role
    # that may never act is 403, from one that may, 405 (the older POST-only views above check
    # the method first: either way nothing is looked up and nothing is learned).
    "case-letter":     (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "case-letter:docx": (200, 200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "letter-issue":    (405,  405,   405,   405, 403, 403, 403, 405,  405,  405,  403,   302),
    "letter-list":     (200,  200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "letter-list:docx": (200, 200,   200,   200, 200, 200, 403, 200,  200,  200,  403,   302),
    "letter-detail":   (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "letter-detail:docx": (200, 200, 404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "letter-record":   (405,  405,   405,   405, 403, 403, 403, 405,  405,  405,  403,   302),
    "letter-batch":    (405,  405,   405,   405, 405, 405, 405, 405,  405,  405,  405,   302),
    "legal-open":      (403,  403,   403,   405, 403, 403, 403, 405,  405,  403,  403,   302),
    "legal-step":      (403,  403,   403,   405, 403, 403, 403, 405,  405,  403,  403,   302),
    "waiver-decide":   (403,  403,   403,   405, 403, 403, 403, 405,  405,  403,  403,   302),
    "plan-new":        (200,  200,   404,   200, 403, 403, 403, 200,  404,  404,  403,   302),
    # Backdating (issue 11): only the office manager lets a backdated payment count in the
    # month it is dated; the permission is checked before the method.
    "payment-backdate-approve": (403, 403, 403, 405, 403, 403, 403, 405, 405, 403, 403, 302),
    # Membership (issue 12.4): the team page and removing a member are the office manager's;
    # who may never remove anyone gets 403 before the lookup.
    "team-detail":     (403,  403,   403,   200, 403, 403, 403, 200,  404,  403,  403,   302),
    "team-member-remove": (403, 403, 403,   200, 403, 403, 403, 200,  404,  403,  403,   302),
    # Credit (issue 12): only the office manager refunds what a household paid beyond its debt.
    "credit-refund":   (403,  403,   403,   200, 403, 403, 403, 200,  404,  403,  403,   302),
    # The owner's statement (issue 17.1): public, by case_a's signed link; ":forged" is a link
    # whose signature was altered. The action is POST only.
    "statement":       (200,  200,   200,   200, 200, 200, 200, 200,  200,  200,  200,   200),
    "statement:forged": (404, 404,   404,   404, 404, 404, 404, 404,  404,  404,  404,   404),
    "statement-written-only": (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,   405),
    # The owner's actions (issue 17.2, 17.4, 17.5): POST only, through the link.
    "statement-dispute":      (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,   405),
    "statement-instalments":  (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,   405),
    "statement-personal-data": (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,  405),
    # The office manager answers an owner's instalment proposal (POST only).
    "plan-proposal-decide":   (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,   302),
    # The owner accepts the office's instalments through the link; the office manager records
    # an acceptance made at the office (both POST only).
    "statement-offer-accept": (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,   405),
    "plan-offer-accept":      (405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405,   302),
    # The case page issues a link for a message and revokes links: who issues letters, in
    # their scope (POST only, the permission first).
    "statement-link-new": (405, 405,  405,   405, 403, 403, 403, 405,  405,  405,  403,   302),
    "statement-link-revoke": (405, 405, 405, 405, 403, 403, 403, 405,  405,  405,  403,   302),
    # Owners' personal-information requests (issue 17.5): the office manager's and the admin's.
    "data-request-list": (403, 403,  403,   200, 403, 403, 403, 200,  200,  403,  403,   302),
    # On case_a's household (data-request-new) and on an access request of its owner: who may
    # never handle requests gets 403 before any lookup, the other office's manager 404. The
    # answer is POST only (the method first). ":docx" is the document as a Word file.
    "data-request-new": (403,  403,  403,   200, 403, 403, 403, 200,  404,  403,  403,   302),
    "data-request-detail": (403, 403, 403,  200, 403, 403, 403, 200,  404,  403,  403,   302),
    "data-request-document": (403, 403, 403, 200, 403, 403, 403, 200, 404,  403,  403,   302),
    "data-request-document:docx": (403, 403, 403, 200, 403, 403, 403, 200, 404, 403, 403, 302),
    "data-request-answer": (405, 405, 405,  405, 405, 405, 405, 405,  405,  405,  405,   302),
    # The dispute's page and the owner's file: scoped like the case (issue 17.2); its steps
    # are POST only.
    "dispute-detail":  (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "dispute-file":    (200,  200,   404,   200, 200, 200, 404, 200,  404,  404,  404,   302),
    "dispute-step":    (405,  405,   405,   405, 405, 405, 405, 405,  405,  405,  405,   302),
    # Where service complaints go: each office manager sets their own office's (the
    # administrator in the admin).
    "dispute-routes":  (403,  403,   403,   200, 403, 403, 403, 403,  200,  403,  403,   302),
}

# Action views, posted with valid data. "issue-detail:note" posts a discussion note,
# "issue-detail:resolve" the manager's decision. 302 is the success redirect (or, for anon,
# the redirect to the login page).
POST_EXPECTED = {
    #                       col_a  lead_a col_b  mgr  ops  dir  site admin o_mgr o_col nobody anon
    "payment-new":          (302,  302,   404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "payment-reverse":      (403,  302,   403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "issue-new":            (302,  302,   404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "issue-detail:note":    (302,  302,   404,   302, 302, 302, 404, 302,  404,  404,  404,   302),
    "issue-detail:resolve": (403,  403,   404,   302, 403, 403, 404, 302,  404,  404,  404,   302),
    "inbox-read":           (302,  302,   302,   302, 302, 302, 302, 302,  302,  302,  302,   302),
    "attempt-new":          (302,  302,   404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "written-only":         (302,  302,   404,   302, 403, 403, 404, 302,  404,  404,  404,   302),
    "dispute-new":          (302,  302,   404,   302, 403, 403, 404, 302,  404,  404,  404,   302),
    "written-only-withdraw": (403, 403,   403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "contact-policy":       (403,  403,   403,   302, 403, 403, 403, 403,  302,  403,  403,   302),
    "tip-new":              (403,  403,   403,   403, 403, 403, 302, 302,  403,  403,  403,   302),
    "campaign-split":       (403,  403,   403,   302, 403, 403, 404, 302,  404,  404,  404,   302),
    "case-team":            (403,  403,   404,   302, 403, 403, 404, 302,  404,  404,  404,   302),
    "case-responsible":     (403,  302,   404,   302, 403, 403, 404, 302,  404,  404,  404,   302),
    "case-category":        (403,  302,   403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "summary-run":          (403,  403,   403,   302, 302, 302, 403, 302,  302,  403,  403,   302),
    # Escalation. Letters are issued and recorded by collectors, leaders and managers; a batch
    # only by leaders and managers (the other office's manager is answered, but a batch writes
    # only to ticked cases in the writer's scope); the legal stage and waivers are the office
    # manager's.
    "letter-issue":           (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "letter-record:dispatch": (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "letter-record:delivery": (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "letter-record:return":   (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "letter-batch":           (403, 302, 403,   302, 403, 403, 403, 302,  302,  403,  403,   302),
    "legal-open":             (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "legal-step":             (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "waiver-decide":          (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "plan-new":               (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "payment-backdate-approve": (403, 403, 403, 302, 403, 403, 403, 302, 404,  403,  403,   302),
    "exemption-review":       (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "team-member-remove":     (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "credit-refund":          (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    # The owner asks for written contact only through the link, whoever posts it.
    "statement-written-only": (302, 302, 302,   302, 302, 302, 302, 302,  302,  302,  302,   302),
    "statement-dispute":      (302, 302, 302,   302, 302, 302, 302, 302,  302,  302,  302,   302),
    "statement-instalments":  (302, 302, 302,   302, 302, 302, 302, 302,  302,  302,  302,   302),
    "statement-personal-data": (302, 302, 302,  302, 302, 302, 302, 302,  302,  302,  302,   302),
    # The owner's instalment proposal is answered by the case's office manager (and admin).
    "plan-proposal-decide":   (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "statement-offer-accept": (302, 302, 302,   302, 302, 302, 302, 302,  302,  302,  302,   302),
    "plan-offer-accept":      (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "statement-link-new":     (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "statement-link-revoke":  (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    # Owners' personal-information requests: recorded and answered by the office manager.
    "data-request-new":       (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "data-request-answer":    (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    # A dispute's steps: those who work the case follow it (the receipt check, the
    # department's "done", the answer letter); only the office manager resolves it.
    "dispute-step:receipt":   (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "dispute-step:done":      (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "dispute-step:answer":    (302, 302, 404,   302, 403, 403, 403, 302,  404,  404,  403,   302),
    "dispute-step:resolve":   (403, 403, 403,   302, 403, 403, 403, 302,  404,  403,  403,   302),
    "dispute-routes":         (403, 403, 403,   302, 403, 403, 403, 403,  302,  403,  403,   302),
}
# fmt: on

# (method, view, role): (reason, the exception the bug raises today)
KNOWN_BUGS: dict = {}

# Users whose scope does not include case_a: no page may show its owner, phone or issue.
CANNOT_SEE_CASE_A = {"collector_b", "site", "other_manager", "other_collector", "nobody"}
NEVER_SHOWN = {
    role: [OWNER, PHONE, MASKED_PHONE, ISSUE_TITLE, LETTER_PREFIX] for role in CANNOT_SEE_CASE_A
}
for _role in ("site", "other_manager", "other_collector", "nobody"):
    NEVER_SHOWN[_role].append(COLLECTOR_A_NAME)
NEVER_SHOWN["site"] += ["¥", "1,700.00"]  # no amounts for gate and patrol staff (17 × ¥100)
for _role in ("ops", "director"):  # they see owners' phones masked only (PIPL minimum)
    NEVER_SHOWN[_role] = [PHONE]

# The owner's statement shows the unit and its amounts to whoever holds the link, and never
# the owner, a phone or a collector, whoever asks (anonymous visitors included).
STATEMENT_NEVER_SHOWN = [OWNER, PHONE, MASKED_PHONE, COLLECTOR_A_NAME, ISSUE_TITLE, "赵组长"]

# 华庭, another office of world.region (made with the summaries): only its own readers, the
# region's director and the administrator may ever see its name or its issue (issue 12).
HUATING, HUATING_ISSUE = "华庭服务处", "华庭门禁纠纷"
SEE_HUATING = {"director", "admin"}

# What a page shows those who may see case_a, so that the checks above are not vacuous.
SHOWN = {
    "summary-detail:pack-region": ISSUE_TITLE,
    "summary-detail:pack-office": ISSUE_TITLE,
    "summary-detail:pack-operations": ISSUE_TITLE,
    "summary-detail:pack-huating": HUATING_ISSUE,
    "summary-detail:operations": "北苑服务处",
    "summary-detail:brief": "北苑服务处",
    "case-detail": OWNER,
    "summary-detail": ISSUE_TITLE,
    "leaderboard": 'data-team="A"',
    "assessment": 'data-team="A"',
    "issue-detail": ISSUE_TITLE,
    "issue-list": ISSUE_TITLE,
    "breach-list": COLLECTOR_A_NAME,
    "dispute-figures": 'data-testid="disputes-by-cause"',
    "dispute-list": "data-dispute=",
    "tip-new": "C6-101",
    "case-letter": OWNER,  # the salutation: 尊敬的张静（C6-101 业主）
    "case-letter:docx": OWNER,
    "data-request-detail": "C6-101",
    "data-request-document": PHONE,  # the owner's own data, in full, for the owner
    "data-request-document:docx": PHONE,
    "letter-list": LETTER_PREFIX,
    "letter-list:docx": OWNER,
    "letter-detail": OWNER,
    "letter-detail:docx": OWNER,
    "team-detail": COLLECTOR_A_NAME,
    "team-member-remove": 'data-testid="handovers"',
    "dispute-detail": DISPUTE_WORDS,
}

# What each page needs to exist first: its object, or for lists the data they could leak.
NEEDS = {
    "desk": ("issue", "attempt"),
    "payment-reverse": ("payment",),
    "credit-refund": ("credit",),
    "issue-list": ("issue",),
    "issue-detail": ("issue",),
    "inbox": ("issue",),
    "evidence-file": ("attempt",),
    "written-only-withdraw": ("written_only",),
    "written-only-withdrawal-file": ("withdrawal",),
    "breach-list": ("attempt",),
    "dispute-figures": ("dispute",),
    "dispute-list": ("dispute",),
    "summary-list": ("summary",),
    "payment-list": ("payment",),
    "attempt-list": ("attempt",),
    "summary-detail": ("summary",),
    "letter-list": ("letter",),
    "letter-list:docx": ("letter",),
}

# Views on one object: an anonymous visitor gets any pk, the login check comes first.
OBJECT_VIEWS = {
    "case-detail",
    "payment-new",
    "payment-reverse",
    "issue-new",
    "issue-detail",
    "attempt-new",
    "written-only",
    "dispute-new",
    "written-only-withdraw",
    "written-only-withdrawal-file",
    "evidence-file",
    "tip-new",
    "summary-detail",
    "case-team",
    "case-responsible",
    "case-category",
    "legal-open",
    "plan-new",
    "payment-backdate-approve",
    "team-detail",
    "team-member-remove",
    "credit-refund",
    "statement-link-new",
}
# Escalation views whose URL takes more than a case id, with the arguments an anonymous
# visitor is given (any ids: the login check comes first).
ANONYMOUS_ARGS = {
    "case-letter": [1, "demand"],
    "letter-issue": [1, "demand"],
    "letter-detail": [1],
    "letter-record": [1, "dispatch"],
    "legal-step": [1],
    "waiver-decide": [1],
    "exemption-review": [1],
    "statement-link-revoke": [1],
    "data-request-new": [1],
    "data-request-detail": [1],
    "data-request-document": [1],
    "data-request-answer": [1],
    "plan-proposal-decide": [1],
    "dispute-detail": [1],
    "dispute-file": [1],
    "dispute-step": [1, "answer"],
    "plan-offer-accept": [1],
}
# Views on the campaign (world.campaign): the leaderboard is the office's, not a team's.
CAMPAIGN_VIEWS = {"leaderboard", "assessment", "campaign-split"}


def _public_statement(view: str) -> bool:
    """The owner's statement and its action: reached by the signed link, no login."""
    return view.split(":")[0] in (
        "statement",
        "statement-written-only",
        "statement-dispute",
        "statement-instalments",
        "statement-offer-accept",
        "statement-personal-data",
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Evidence files go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path


def today_iso():
    return timezone.localdate().isoformat()


def _local_minute(delta):
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


class Objects:
    """case_a's payment, issue and attempt, each made only when a test asks for it."""

    def __init__(self, world):
        self.world = world

    @cached_property
    def payment(self):
        return record_payment(self.world.house_a, "100.00", self.world.collector_a)

    @cached_property
    def credit(self):
        """¥100 of credit on case_a's household: ¥1,800.00 paid on ¥1,700.00 owed."""
        return record_payment(
            self.world.house_a, "1800.00", self.world.collector_a, confirm_excess=True
        )

    @cached_property
    def backdated_payment(self):
        """¥100 for case_a dated 13 days before it is entered: backdated (补录)."""
        paid_at = timezone.now() - datetime.timedelta(days=13)
        return record_payment(self.world.house_a, "100.00", self.world.collector_a, paid_at=paid_at)

    @cached_property
    def issue(self):
        return issue_raise(
            case=self.world.case_a,
            by=self.world.collector_a,
            title=ISSUE_TITLE,
            description="业主称家中被盗，要求物业先赔付",
        )

    @cached_property
    def attempt(self):
        """A call at 23:30 last night (outside the allowed hours: a breach) with a photo."""
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        occurred = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(23, 30)))
        return attempt_log(
            case=self.world.case_a,
            by=self.world.collector_a,
            occurred_at=occurred,
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
            evidence=[SimpleUploadedFile("door.png", PNG, content_type="image/png")],
        )

    @cached_property
    def written_only(self):
        """case_a's owner asked its collector for written contact only, yesterday."""
        return household_set_written_only(
            household=self.world.house_a,
            since=timezone.localdate() - datetime.timedelta(days=1),
            reason="业主要求只书面联系",
            by=self.world.collector_a,
        )

    @cached_property
    def withdrawal(self):
        """The owner's signed withdrawal of that request, recorded today by the manager."""
        return household_withdraw_written_only(
            household=self.written_only,
            withdrawn_on=timezone.localdate(),
            evidence=SimpleUploadedFile("withdrawal.png", PNG, content_type="image/png"),
            by=self.world.manager,
        )

    @cached_property
    def exempt_attempt(self):
        """A call at 21:30 last night at a time the owner asked for: an exemption to review."""
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        occurred = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(21, 30)))
        return attempt_log(
            case=self.world.case_a,
            by=self.world.collector_a,
            occurred_at=occurred,
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
            at_owners_request=True,
            owners_request_note="业主说白天上班，晚上九点半后打",
        )

    @cached_property
    def dispute(self):
        """A service dispute on case_a (a leak not repaired), recorded by its collector."""
        return dispute_record(
            case=self.world.case_a,
            kind="service",
            cause="leak_unrepaired",
            words="厨房漏水一直没人修",
            source="call",
            by=self.world.collector_a,
        )

    @cached_property
    def letter(self):
        """A demand for case_a, issued today by its collector, not yet sent."""
        return letter_issue(case=self.world.case_a, kind="demand", by=self.world.collector_a)

    @cached_property
    def sent_letter(self):
        """A notice for case_a, sent by EMS today and not delivered yet."""
        notice = letter_issue(case=self.world.case_a, kind="notice", by=self.world.collector_a)
        return letter_record_dispatch(
            letter=notice,
            by=self.world.collector_a,
            method="ems",
            sent_on=timezone.localdate(),
            tracking_number="EA000000001CN",
        )

    @cached_property
    def delivered_demand(self):
        """A demand dated 40 days ago and handed over 35 days ago: its deadline has passed."""
        today = timezone.localdate()
        demand = letter_issue(
            case=self.world.case_a,
            kind="demand",
            by=self.world.manager,
            dated=today - datetime.timedelta(days=40),
        )
        return letter_record_delivery(
            letter=demand,
            by=self.world.manager,
            method="in_person",
            delivered_on=today - datetime.timedelta(days=35),
            proof="signature",
            proof_detail="张静 本人签收",
            scans=[SimpleUploadedFile("receipt.png", PNG, content_type="image/png")],
        )

    @cached_property
    def legal_action(self):
        """case_a's legal stage, opened by the manager on the delivered demand (a suit: the
        owner has a grievance)."""
        self.delivered_demand  # noqa: B018 - the opening rests on it
        return legal_open(case=self.world.case_a, by=self.world.manager, route="lawsuit")

    @cached_property
    def waiver(self):
        """A judgment for ¥1,000 of the ¥1,700 owed: a waiver of ¥700 awaits the manager."""
        legal_record_step(
            action=self.legal_action,
            by=self.world.manager,
            stage="decided",
            on=timezone.localdate(),
            awarded=Decimal("1000.00"),
        )
        return Waiver.objects.get(action=self.legal_action, status=Waiver.Status.PENDING)

    @cached_property
    def summary(self):
        """world.office's 18:00 summary of today, with case_a's issue in it."""
        self.issue  # noqa: B018 - made first, so the summary lists it
        produce_daily(day=report_day(timezone.now(), self.world.region))
        return Summary.objects.get(kind=Summary.Kind.DAILY_OFFICE, office=self.world.office)

    @cached_property
    def summaries(self):
        """Every kind of summary of today and of next Monday, with case_a's issue open and an
        open issue in 华庭 (another office of world.region)."""
        from summaries.producing import produce_brief, produce_weekly
        from tests.conftest import make_office_with_campaign

        world = self.world
        self.issue  # noqa: B018 - made first, so the summaries list it
        office, campaign = make_office_with_campaign(world.region, "huating", HUATING)
        house = make_household(
            office, "HT8-808", first=datetime.date(2015, 1, 1), last=datetime.date(2015, 5, 1)
        )
        case = make_case(campaign=campaign, household=house, category="vacant")
        issue_raise(case=case, by=world.admin, title=HUATING_ISSUE, description="…")
        day = report_day(timezone.now(), world.region)
        produce_daily(day=day)
        produce_brief(day=day)
        today = timezone.localdate()
        produce_weekly(monday=today + datetime.timedelta(days=7 - today.weekday()))
        region = f"region:{world.region.pk}"
        scopes = {
            "team": (Summary.Kind.DAILY_TEAM, f"team:{world.team_a.pk}"),
            "office-west": (Summary.Kind.DAILY_OFFICE, f"office:{world.other_office.pk}"),
            "operations": (
                Summary.Kind.DAILY_OPERATIONS,
                f"operations:{world.ops.pk}:region:{world.region.pk}",
            ),
            "brief": (Summary.Kind.MORNING_BRIEF, region),
            "pack-region": (Summary.Kind.WEEKLY_PACK, region),
            "pack-office": (Summary.Kind.WEEKLY_PACK, f"office:{world.office.pk}"),
            "pack-operations": (Summary.Kind.WEEKLY_PACK, f"operations:{world.ops.pk}:{region}"),
            "pack-huating": (Summary.Kind.WEEKLY_PACK, f"office:{office.pk}"),
            "pack-west": (Summary.Kind.WEEKLY_PACK, f"office:{world.other_office.pk}"),
        }
        return {
            name: Summary.objects.get(kind=kind, scope=scope)
            for name, (kind, scope) in scopes.items()
        }

    def _dispute(self, **kw):
        from households.disputes import dispute_record

        fields = {
            "case": self.world.case_a,
            "kind": "amount",
            "amount": Decimal("300.00"),
            "words": DISPUTE_WORDS,
            "source": "call",
            "by": self.world.collector_a,
        }
        return dispute_record(**{**fields, **kw})

    @cached_property
    def dispute(self):
        """An amount dispute on case_a, recorded by its collector with the owner's receipt."""
        return self._dispute(file=SimpleUploadedFile("receipt.png", PNG, content_type="image/png"))

    @cached_property
    def service_dispute(self):
        """A leak on case_a: a work order for engineering."""
        return self._dispute(kind="service", amount=None, cause="leak_unrepaired")

    @cached_property
    def answered_dispute(self):
        """An amount dispute whose written answer was delivered: the manager resolves it."""
        from households.disputes import dispute_answer_delivered

        dispute = self._dispute()
        dispute_answer_delivered(dispute=dispute, by=self.world.manager)
        return dispute

    @cached_property
    def data_request(self):
        """case_a's owner asked by letter today to see what is held."""
        from escalation.personal_data import request_record

        return request_record(
            household=self.world.house_a,
            kind="access",
            received_via="letter",
            received_on=timezone.localdate(),
            by=self.world.manager,
        )

    @cached_property
    def statement_token(self):
        """case_a's statement link, issued today by its collector (no letter needed)."""
        from escalation.statement_links import link_issue, token_for

        self.attempt  # noqa: B018 - a collector's name on the case, never shown on the link
        return token_for(link_issue(case=self.world.case_a, by=self.world.collector_a))

    @cached_property
    def plan_proposal(self):
        """case_a's owner proposed 4 instalments on the statement link."""
        from escalation.plan_proposals import proposal_record
        from escalation.statement_links import link_issue

        link = link_issue(case=self.world.case_a, by=self.world.collector_a)
        first = timezone.localdate().replace(day=1) + datetime.timedelta(days=32)
        return proposal_record(link=link, first_month=first.replace(day=1), count=4)[0]

    @cached_property
    def plan_offer(self):
        """The office manager changed case_a's proposal: the office's offer, open."""
        from escalation.plan_proposals import proposal_decide, proposal_instalments

        return proposal_decide(
            proposal=self.plan_proposal,
            by=self.world.manager,
            outcome="changed",
            instalments=proposal_instalments(self.plan_proposal)[:2],
        )

    def url(self, view):
        name, _sep, variant = view.partition(":")
        if name == "plan-proposal-decide":
            return reverse(name, args=[self.plan_proposal.pk])
        if name == "plan-offer-accept":
            return reverse(name, args=[self.plan_offer.pk])
        if name == "statement-link-revoke":
            from escalation.statement_links import link_issue

            return reverse(
                name, args=[link_issue(case=self.world.case_a, by=self.world.collector_a).pk]
            )
        if _public_statement(name):
            token = self.statement_token
            if variant == "forged":
                token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
            return reverse(name, args=[token])
        if variant == "docx":
            return f"{self._url(name, '')}?format=docx"
        return self._url(name, variant)

    def _url(self, name, variant):
        world, case = self.world, self.world.case_a.pk
        if name in ("case-letter", "letter-issue"):
            return reverse(name, args=[case, "demand"])
        if name == "letter-detail":
            return reverse(name, args=[self.letter.pk])
        if name == "letter-record":
            step = variant or "dispatch"
            letter = self.sent_letter if step == "return" else self.letter
            return reverse(name, args=[letter.pk, step])
        if name == "legal-step":
            return reverse(name, args=[self.legal_action.pk])
        if name == "waiver-decide":
            return reverse(name, args=[self.waiver.pk])
        if name in ("dispute-detail", "dispute-file"):
            return reverse(name, args=[self.dispute.pk])
        if name == "dispute-step":
            dispute = {
                "done": lambda: self.service_dispute,
                "resolve": lambda: self.answered_dispute,
            }.get(variant, lambda: self.dispute)()
            return reverse(name, args=[dispute.pk, variant or "answer"])
        if name == "exemption-review":
            return reverse(name, args=[self.exempt_attempt.pk])
        if name == "payment-reverse":
            return reverse(name, args=[self.payment.pk])
        if name == "payment-backdate-approve":
            return reverse(name, args=[self.backdated_payment.pk])
        if name == "team-detail":
            return reverse(name, args=[world.team_a.pk])
        if name == "data-request-new":
            return reverse(name, args=[world.house_a.pk])
        if name.startswith("data-request-") and name != "data-request-list":
            return reverse(name, args=[self.data_request.pk])
        if name == "team-member-remove":
            membership = TeamMember.objects.get(team=world.team_a, user=world.collector_a)
            return reverse(name, args=[membership.pk])
        if name == "issue-detail":
            return reverse(name, args=[self.issue.pk])
        if name == "evidence-file":
            return reverse(name, args=[self.attempt.evidence.get().pk])
        if name == "written-only-withdrawal-file":
            return reverse(name, args=[self.withdrawal.pk])
        if name == "tip-new":
            return reverse(name, args=[world.house_a.pk])
        if name == "summary-detail" and variant:
            return reverse(name, args=[self.summaries[variant].pk])
        if name == "summary-detail":
            return reverse(name, args=[self.summary.pk])
        if name in CAMPAIGN_VIEWS:
            return reverse(name, args=[world.campaign.pk])
        return reverse(name, args=[case]) if name in OBJECT_VIEWS else reverse(name)


def _anonymous_url(view):
    name = view.split(":")[0]
    if name in ANONYMOUS_ARGS:
        return reverse(name, args=ANONYMOUS_ARGS[name])
    return reverse(name, args=[1]) if name in OBJECT_VIEWS | CAMPAIGN_VIEWS else reverse(name)


def _docx_text(data):
    """The text of a Word file: its paragraphs and its tables' cells."""
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _body(response):
    # Reading a streamed response to its end closes it as the test client does, without
    # firing close_old_connections, which would close the connection under the test's
    # transaction (and the next role's request in test_get would find its rows gone).
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _get_as(client, objs, view, role, expected):
    """One cell of the GET table: `role` opens `view` and gets `expected`, and a page shows
    nothing that role may not see."""
    if role == "anon":
        client.logout()
        if not _public_statement(view):
            response = client.get(_anonymous_url(view))
            assert response.status_code == expected
            if expected == 302:
                assert response["Location"].startswith("/login/?next=")
            return
    else:
        client.force_login(objs.world.roles[role])
    response = client.get(objs.url(view))
    assert response.status_code == expected
    if expected != 200:
        return
    body = _body(response)
    if view in ("evidence-file", "written-only-withdrawal-file", "dispute-file"):
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
        return
    if "spreadsheetml" in response["Content-Type"]:
        assert body.startswith(b"PK")  # a workbook (a zip), not a page
        return
    if "wordprocessingml" in response["Content-Type"]:
        assert body.startswith(b"PK")  # a Word file, checked like a page below
        page = _docx_text(body)
    else:
        # Only a list asked for as .docx with no letter in the user's scope is a page.
        assert not view.endswith(":docx") or role in CANNOT_SEE_CASE_A, view
        page = body.decode()
    if _public_statement(view):
        assert "C6-101" in page
        for text in STATEMENT_NEVER_SHOWN:
            assert text not in page, f"{role} sees {text!r} on {view}"
        return
    for text in NEVER_SHOWN.get(role, []):
        assert text not in page, f"{role} sees {text!r} on {view}"
    if role not in SEE_HUATING and view != "summary-detail:pack-huating":
        assert HUATING not in page and HUATING_ISSUE not in page, f"{role} sees 华庭 on {view}"
    if view in SHOWN and role not in CANNOT_SEE_CASE_A:
        assert SHOWN[view] in page


def _failing_cells(row, check) -> dict:
    """role → the first line of its failure, for each cell of a table's row that fails
    `check(role, expected)`."""
    failures = {}
    for role, expected in zip(ROLES, row, strict=True):
        try:
            check(role, expected)
        except AssertionError as error:
            failures[role] = (str(error) or repr(error)).splitlines()[0]
    return failures


# One test per page, every role in turn on the same objects: a GET changes nothing another
# role's answer depends on, and making the objects once per page rather than once per cell
# is most of what the matrix used to cost. Each failing cell is reported, not only the first.
@pytest.mark.world
@pytest.mark.parametrize("view", list(GET_EXPECTED))
def test_get(request, client, db, view):
    world = request.getfixturevalue("world")
    objs = Objects(world)
    for name in NEEDS.get(view, ()):
        getattr(objs, name)
    failures = _failing_cells(
        GET_EXPECTED[view], lambda role, expected: _get_as(client, objs, view, role, expected)
    )
    assert failures == {}, f"GET {view}: {failures}"


def test_the_get_matrix_reports_every_failing_cell(request, client, world):
    """A wrong expectation in two cells of a row fails the row naming both roles."""
    objs = Objects(world)
    row = [
        403 if role in ("manager", "anon") else e
        for role, e in zip(ROLES, GET_EXPECTED["desk"], strict=True)
    ]
    failures = _failing_cells(
        row, lambda role, expected: _get_as(client, objs, "desk", role, expected)
    )
    assert set(failures) == {"manager", "anon"}


NEW_ISSUE = "业主要求先修门禁"
NOTE = "18:00 例会：先修门禁"
ATTEMPT_NOTES = "催缴通知书已送达（矩阵测试）"
POLICY = {
    "allowed_from": "09:00",
    "allowed_until": "20:00",
    "calls_per_day": 1,  # the default is 2: a saved policy is recognisable by this
    "calls_per_7_days": 5,
    "quiet_days_after_conversation": 7,
    "messages_per_day": 1,
    "messages_per_7_days": 3,
    "visits_per_7_days": 1,
    "visit_staff_recommended": 2,
    "visit_staff_max": 3,
}


def _action(view, objs):
    """Valid data for the action, and a check that says whether it took effect."""
    world = objs.world
    if view == "payment-new":
        data = {
            "amount": "50.00",
            "paid_at": _local_minute(-datetime.timedelta(hours=1)),
            "method": "cash",
            "receipt_no": "R-MATRIX",
        }
        return data, Payment.objects.filter(receipt_no="R-MATRIX").exists
    if view == "payment-reverse":
        return {"reason": "录错了户"}, Payment.objects.filter(kind=Payment.Kind.REVERSAL).exists
    if view == "issue-new":
        data = {"title": NEW_ISSUE, "description": "门禁坏了三个月"}
        return data, DifficultIssue.objects.filter(title=NEW_ISSUE).exists
    if view == "issue-detail:note":
        return {"text": NOTE}, DifficultIssueNote.objects.filter(text=NOTE).exists
    if view == "issue-detail:resolve":
        resolved = DifficultIssue.objects.filter(
            pk=objs.issue.pk, status=DifficultIssue.Status.RESOLVED
        )
        return {"decision": "先修门禁，再上门沟通"}, resolved.exists
    if view == "inbox-read":
        # Everyone posts the id of the *manager's* notification: only the manager may mark it.
        notice = Notification.objects.get(recipient=world.manager, title__contains=objs.issue.title)
        read = Notification.objects.filter(pk=notice.pk, read_at__isnull=False)
        return {"id": [str(notice.pk)]}, read.exists
    if view == "attempt-new":
        data = {
            "channel": "payment_notice",
            "person_contacted": "owner",
            "outcome": "delivered",
            "occurred_at": _local_minute(-datetime.timedelta(minutes=5)),
            "notes": ATTEMPT_NOTES,
        }
        return data, ContactAttempt.objects.filter(notes=ATTEMPT_NOTES).exists
    if view == "written-only":
        data = {"since": timezone.localdate().isoformat(), "reason": "业主要求只书面联系"}
        written = Household.objects.filter(pk=world.house_a.pk, written_contact_only=True)
        return data, written.exists
    if view == "dispute-new":
        month = DebtPeriod.objects.filter(household=world.house_a).order_by("month").first()
        data = {"kind": "months", "months": [month.pk], "words": "这个月交过了", "source": "call"}
        return data, Dispute.objects.filter(household=world.house_a).exists
    if view == "written-only-withdraw":
        objs.written_only  # noqa: B018 - the request the owner now withdraws
        data = {
            "withdrawn_on": timezone.localdate().isoformat(),
            "evidence": SimpleUploadedFile("withdrawal.png", PNG, content_type="image/png"),
            "note": "业主来函撤回",
        }
        lifted = Household.objects.filter(pk=world.house_a.pk, written_contact_only=False)
        return data, lambda: WrittenOnlyWithdrawal.objects.exists() and lifted.exists()
    if view == "contact-policy":
        return POLICY, ContactPolicy.objects.filter(calls_per_day=1).exists
    if view == "tip-new":
        data = {"kind": OnSiteTip.Kind.OWNER_SEEN}
        return data, OnSiteTip.objects.filter(household=world.house_a).exists
    if view == "campaign-split":
        # Team A holds both cases: the preview moves case_b back to team B (collector_b, its
        # responsible person, is a member there), and the commit posts that preview.
        Case.objects.filter(pk=world.case_b.pk).update(team=world.team_a)
        plan = campaign_split_plan(world.campaign, "count")
        moved = Case.objects.filter(pk=world.case_b.pk, team=world.team_b)
        data = {"mode": "count", "commit": "1", "fingerprint": plan.fingerprint}
        return {**data, "move": plan.move_keys}, moved.exists
    if view == "case-team":
        moved = Case.objects.filter(pk=world.case_a.pk, team=world.team_b)
        return {"team": world.team_b.pk}, moved.exists
    if view == "case-responsible":
        named = Case.objects.filter(pk=world.case_a.pk, responsible=world.leader_a)
        return {"person": world.leader_a.pk}, named.exists
    if view == "case-category":  # case_a refuses over a grievance; found out: unreachable
        classified = Case.objects.filter(pk=world.case_a.pk, category="unreachable")
        return {"category": "unreachable"}, classified.exists
    if view == "payment-backdate-approve":
        approved = BackdateApproval.objects.filter(payment=objs.backdated_payment)
        return {"note": "银行回单显示当月到账"}, approved.exists
    if view == "team-member-remove":
        # collector_a leaves team A; case_a, in her name, goes to the leader.
        data = {"shown": str(world.case_a.pk), f"case_{world.case_a.pk}": world.leader_a.pk}
        gone = TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists
        handed = Case.objects.filter(pk=world.case_a.pk, responsible=world.leader_a).exists
        return data, lambda: handed() and not gone()
    if view == "statement-link-new":
        from escalation.models import StatementLink

        return {}, StatementLink.objects.filter(case=world.case_a).exists
    if view == "statement-link-revoke":
        from escalation.models import StatementLinkRevocation

        return {"reason": "矩阵"}, StatementLinkRevocation.objects.exists
    if view == "statement-written-only":
        asked = Household.objects.filter(pk=world.house_a.pk, written_contact_only=True).exists
        return {}, asked
    if view == "statement-dispute":
        month = DebtPeriod.objects.filter(household=world.house_a).order_by("month").first()
        data = {"kind": "months", "months": [month.pk], "words": "这个月交过了"}
        return data, Dispute.objects.filter(household=world.house_a, source="statement").exists
    if view == "statement-instalments":
        from escalation.models import PlanProposal

        first = timezone.localdate().replace(day=1) + datetime.timedelta(days=32)
        data = {"count": "4", "first_month": f"{first:%Y-%m}"}
        return data, PlanProposal.objects.filter(case=world.case_a).exists
    if view == "statement-personal-data":
        from households.models import PersonalDataRequest

        made = PersonalDataRequest.objects.filter(household=world.house_a, received_via="statement")
        return {"kind": "access"}, made.exists
    if view == "plan-proposal-decide":
        from escalation.models import PlanProposalDecision

        decided = PlanProposalDecision.objects.filter(proposal=objs.plan_proposal).exists
        return {"outcome": "declined", "reason": "矩阵：请先核对欠费"}, decided
    if view in ("statement-offer-accept", "plan-offer-accept"):
        from escalation.models import PlanOfferAcceptance

        accepted = PlanOfferAcceptance.objects.filter(decision=objs.plan_offer).exists
        return {"offer": objs.plan_offer.pk}, accepted
    if view == "credit-refund":
        objs.credit  # noqa: B018 - made before the request: the refund needs credit
        return {"amount": "100.00", "reason": "矩阵：银行转账退回"}, CreditRefund.objects.exists
    if view == "data-request-new":
        from households.models import PersonalDataRequest

        data = {"kind": "access", "received_via": "call", "received_on": today_iso()}
        return data, PersonalDataRequest.objects.filter(household=world.house_a).exists
    if view == "data-request-answer":
        from households.models import PersonalDataRequest

        sent = PersonalDataRequest.objects.filter(pk=objs.data_request.pk, sent_how="挂号信 矩阵")
        return {"how": "挂号信 矩阵"}, sent.exists
    if view == "summary-run":
        produced = Summary.objects.filter(kind=Summary.Kind.DAILY_OFFICE).exists
        return {"kind": "daily_office", "date": timezone.localdate().isoformat()}, produced
    return _escalation_action(view, objs)


def _escalation_action(view, objs):
    world, today = objs.world, timezone.localdate()
    case_letters = Letter.objects.filter(case=world.case_a)
    if view == "letter-issue":
        return {"deadline_days": "15"}, case_letters.exists
    if view == "letter-record:dispatch":
        data = {"method": "ems", "sent_on": today.isoformat(), "tracking_number": "EA-MATRIX"}
        return data, case_letters.filter(pk=objs.letter.pk, status=Letter.Status.SENT).exists
    if view == "letter-record:delivery":
        data = {
            "method": "in_person",
            "delivered_on": today.isoformat(),
            "proof": "signature",
            "proof_detail": "张静 本人签收",
            "evidence": SimpleUploadedFile("signed.png", PNG, content_type="image/png"),
        }
        delivered = case_letters.filter(pk=objs.letter.pk, status=Letter.Status.DELIVERED)
        return data, delivered.exists
    if view == "letter-record:return":
        data = {"returned_on": today.isoformat(), "return_reason": "查无此人，退回"}
        returned = case_letters.filter(pk=objs.sent_letter.pk, status=Letter.Status.RETURNED)
        return data, returned.exists
    if view == "letter-batch":
        data = {"case": [world.case_a.pk], "kind": "notice", "deadline_days": "15"}
        return data, case_letters.exists
    if view == "legal-open":
        objs.delivered_demand  # noqa: B018 - its deadline has passed: the stage may open
        return {"route": "lawsuit"}, LegalAction.objects.filter(case=world.case_a).exists
    if view == "legal-step":
        data = {"stage": "filed", "on": today.isoformat(), "institution": "北苑区人民法院"}
        filed = LegalStep.objects.filter(action=objs.legal_action, stage="filed")
        return data, filed.exists
    if view == "waiver-decide":
        approved = Waiver.objects.filter(pk=objs.waiver.pk, status=Waiver.Status.APPROVED)
        return {"decision": "approve", "note": "同意按判决核减"}, approved.exists
    if view.startswith("dispute-step:"):
        return _dispute_action(view, objs)
    if view == "dispute-routes":
        from households.disputes import DEFAULT_ROUTES
        from households.models import DisputeRoute

        data = {}
        for cause, (department, days) in DEFAULT_ROUTES.items():
            data[f"{cause}-department"], data[f"{cause}-days"] = department, days
        data["cleaning-days"] = 3
        return data, DisputeRoute.objects.filter(cause="cleaning", days=3).exists
    if view == "exemption-review":
        reviewed = ExemptionReview.objects.filter(attempt=objs.exempt_attempt, decision="accept")
        return {"decision": "accept", "note": "已核实业主要求"}, reviewed.exists
    if view == "plan-new":
        data = {
            "agreed_on": today.isoformat(),
            "instalments": f"{today + datetime.timedelta(days=30):%Y-%m-%d} 500",
        }
        return data, PaymentPlan.objects.filter(case=world.case_a).exists
    raise AssertionError(f"no action for {view}")


def _dispute_action(view, objs):
    from households.models import DisputeEvent

    steps = DisputeEvent.objects.filter
    if view == "dispute-step:receipt":
        data = {"found": "no", "receipt_number": "R-MATRIX", "note": "收费系统查无此款"}
        return data, steps(dispute=objs.dispute, kind="receipt_missing").exists
    if view == "dispute-step:done":
        return {"note": "工程部已修复"}, steps(
            dispute=objs.service_dispute, kind="work_done"
        ).exists
    if view == "dispute-step:answer":
        data = {"found": "经查收费系统无此款项。", "proposed": "维持原欠费金额。"}
        return data, Letter.objects.filter(dispute=objs.dispute, kind="answer").exists
    if view == "dispute-step:resolve":
        data = {"outcome": "rejected", "note": "收费系统查无此款"}
        return data, steps(dispute=objs.answered_dispute, kind="rejected").exists
    raise AssertionError(f"no action for {view}")


def _post_as(client, world, view, role, expected):
    """One cell of the POST table: `role` posts to `view` and gets `expected`, and the action
    took effect exactly when it was allowed."""
    if role == "anon" and not _public_statement(view):
        client.logout()
        response = client.post(_anonymous_url(view), {})
        assert response.status_code == expected
        assert response["Location"].startswith("/login/?next=")
        return
    if role == "anon":
        client.logout()
    else:
        client.force_login(world.roles[role])
    objs = Objects(world)
    data, took_effect = _action(view, objs)
    url = objs.url(view)
    assert not took_effect()
    response = client.post(url, data)
    assert response.status_code == expected
    if expected == 302:
        assert not response["Location"].startswith("/login/")
    # A refused action changes nothing; inbox-read answers everyone but touches only their own;
    # a batch answers the other office's manager but writes only to cases in their scope.
    if view == "inbox-read":
        should_act = role == "manager"
    elif view == "letter-batch":
        should_act = expected == 302 and role != "other_manager"
    else:
        should_act = expected == 302
    assert took_effect() is should_act


class _Undone(Exception):
    """Raised at the end of each cell, to roll back what its POST did."""


# One test per action, every role in turn: each cell runs inside a savepoint rolled back
# after it, so each role posts to the world as it was (objects made afresh each time).
@pytest.mark.world
@pytest.mark.parametrize("view", list(POST_EXPECTED))
def test_post(request, client, db, view):
    world = request.getfixturevalue("world")
    failures = {}
    for role, expected in zip(ROLES, POST_EXPECTED[view], strict=True):
        known = KNOWN_BUGS.get(("POST", view, role))
        try:
            with transaction.atomic():
                try:
                    _post_as(client, world, view, role, expected)
                    if known:
                        failures[role] = f"listed in KNOWN_BUGS ({known}) but right now"
                except AssertionError as error:
                    if not known:
                        failures[role] = (str(error) or repr(error)).splitlines()[0]
                except Exception:
                    if not known:
                        raise
                raise _Undone
        except _Undone:
            pass
    assert failures == {}, f"POST {view}: {failures}"


# Team A's leader (who may reverse payments and act on cases) on team B's objects: 404.
def _team_b_object(world, view):
    case = world.case_b
    if view == "payment-reverse":
        return record_payment(world.house_b, "100.00", world.collector_b).pk
    if view == "issue-detail":
        return issue_raise(case=case, by=world.collector_b, title="B 组", description="…").pk
    if view == "evidence-file":
        attempt = attempt_log(
            case=case,
            by=world.collector_b,
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            channel="payment_notice",
            person_contacted="owner",
            outcome="delivered",
            evidence=[SimpleUploadedFile("b.png", PNG, content_type="image/png")],
        )
        return attempt.evidence.get().pk
    if view == "written-only-withdrawal-file":
        household_set_written_only(
            household=world.house_b,
            since=timezone.localdate(),
            reason="B 组业主要求书面联系",
            by=world.collector_b,
        )
        return household_withdraw_written_only(
            household=world.house_b,
            withdrawn_on=timezone.localdate(),
            evidence=SimpleUploadedFile("b.png", PNG, content_type="image/png"),
            by=world.manager,
        ).pk
    if view == "letter-detail":
        return letter_issue(case=case, kind="notice", by=world.collector_b).pk
    return case.pk


@pytest.mark.parametrize(
    ("view", "method"),
    [
        ("case-detail", "GET"),
        ("payment-new", "GET"),
        ("payment-reverse", "GET"),
        ("payment-reverse", "POST"),
        ("issue-new", "GET"),
        ("issue-detail", "GET"),
        ("attempt-new", "GET"),
        ("written-only", "GET"),
        ("evidence-file", "GET"),
        ("written-only-withdrawal-file", "GET"),
        ("letter-detail", "GET"),
        ("plan-new", "GET"),
    ],
)
def test_a_leader_gets_404_on_another_teams_objects(client, world, view, method):
    url = reverse(view, args=[_team_b_object(world, view)])
    client.force_login(world.leader_a)
    response = client.get(url) if method == "GET" else client.post(url, {"reason": "录错了户"})
    assert response.status_code == 404
    assert not Payment.objects.filter(kind=Payment.Kind.REVERSAL).exists()


def _close_campaign(world):
    world.campaign.status = world.campaign.Status.CLOSED
    world.campaign.save(update_fields=["status"])
    return world.house_a


def _clear_case(world):
    Case.objects.filter(pk=world.case_a.pk).update(status=Case.Status.CLEARED)
    return world.house_a


def _house_without_case(world):
    month = datetime.date(2015, 1, 1)
    return make_household(world.office, "D9-909", first=month, last=month)


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param(lambda world: world.other_house, id="other-office"),
        pytest.param(_clear_case, id="cleared-case"),
        pytest.param(_close_campaign, id="campaign-closed"),
        pytest.param(_house_without_case, id="no-case"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_site_staff_get_404_on_units_that_are_not_targets(client, world, unit, method):
    url = reverse("tip-new", args=[unit(world).pk])
    client.force_login(world.site)
    response = client.get(url) if method == "GET" else client.post(url, {"kind": "owner_seen"})
    assert response.status_code == 404
    assert not OnSiteTip.objects.exists()


# A collector removed from team A, still named responsible for case_a (removed in the
# administration) or with case_a handed to the leader (removed on the team page), gets 404
# on everything of case_a, GET and POST of every action; nothing she recorded changes.
REMOVED_GETS = [
    "case-detail",
    "payment-new",
    "issue-new",
    "issue-detail",
    "attempt-new",
    "written-only",
    "evidence-file",
    "case-letter",
    "case-letter:docx",
    "letter-detail",
    "letter-detail:docx",
    "plan-new",
]
REMOVED_POSTS = [
    "payment-new",
    "issue-new",
    "issue-detail:note",
    "attempt-new",
    "written-only",
    "letter-issue",
    "letter-record:dispatch",
    "letter-record:delivery",
    "letter-record:return",
    "plan-new",
]


def _remove_collector_a(world, how):
    membership = TeamMember.objects.get(team=world.team_a, user=world.collector_a)
    if how == "admin":
        membership.delete()  # what the administration's delete and inline do
    else:
        team_member_remove(
            membership=membership, handovers={world.case_a.pk: world.leader_a}, by=world.manager
        )


def _her_records(world):
    """Everything collector_a recorded, with every field a change would touch, and how many
    rows of each kind exist (a refused action adds none)."""
    return (
        list(Payment.objects.filter(recorded_by=world.collector_a).values()),
        list(ContactAttempt.objects.filter(made_by=world.collector_a).values()),
        list(DifficultIssue.objects.filter(raised_by=world.collector_a).values()),
        list(Letter.objects.filter(issued_by=world.collector_a).values()),
        list(Household.objects.filter(pk=world.house_a.pk).values()),
        [
            m.objects.count()
            for m in (Payment, ContactAttempt, DifficultIssue, DifficultIssueNote, Letter)
        ],
        PaymentPlan.objects.count(),
    )


def _made_by_collector_a(objs):
    objs.payment, objs.issue, objs.attempt, objs.letter, objs.sent_letter  # noqa: B018


@pytest.mark.parametrize("how", ["admin", "team-page"])
@pytest.mark.parametrize("view", REMOVED_GETS)
def test_a_collector_removed_from_the_team_gets_404_on_its_cases(client, world, view, how):
    objs = Objects(world)
    _made_by_collector_a(objs)
    url = objs.url(view)
    client.force_login(world.collector_a)
    assert client.get(url).status_code == 200  # before: her case
    _remove_collector_a(world, how)
    before = _her_records(world)
    response = client.get(url)
    assert response.status_code == 404
    assert OWNER not in _body(response).decode(errors="replace")
    assert _her_records(world) == before
    # The leader still sees the case and what she recorded on it.
    client.force_login(world.leader_a)
    assert client.get(reverse("case-detail", args=[world.case_a.pk])).status_code == 200


@pytest.mark.parametrize("how", ["admin", "team-page"])
@pytest.mark.parametrize("view", REMOVED_POSTS)
def test_a_collector_removed_from_the_team_cannot_act_on_its_cases(client, world, view, how):
    objs = Objects(world)
    _made_by_collector_a(objs)
    data, took_effect = _action(view, objs)
    url = objs.url(view)
    _remove_collector_a(world, how)
    before = _her_records(world)
    already = took_effect()  # letters exist already: the records below tell a new one
    client.force_login(world.collector_a)
    assert client.post(url, data).status_code == 404
    assert took_effect() is already
    assert _her_records(world) == before


@pytest.mark.parametrize("how", ["admin", "team-page"])
def test_a_removed_collectors_lists_no_longer_show_the_teams_cases(client, world, how):
    Objects(world).attempt  # noqa: B018 - something of hers on every list
    record_payment(world.house_a, "100.00", world.collector_a, case=world.case_a)
    _remove_collector_a(world, how)
    client.force_login(world.collector_a)
    for name in ("desk", "case-list", "payment-list", "attempt-list", "issue-list", "letter-list"):
        page = client.get(reverse(name)).content.decode()
        assert OWNER not in page and "C6-101" not in page, name


def test_a_wrong_post_cell_fails(client, world):
    """The cells of test_post can fail: a manager's allowed POST is not a 403."""
    with transaction.atomic():
        with pytest.raises(AssertionError):
            _post_as(client, world, "inbox-read", "manager", 403)
        transaction.set_rollback(True)
