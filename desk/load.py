"""A made-up region at the size of a real one, for benchmarks (`manage.py generate_load`).

Everything comes from one `random.Random(seed)`, drawn in a fixed order and never from
database ids, so the same seed gives the same offices, units, months, amounts and contacts.
Rows go in with the bulk writers of `arrears.bulk` (COPY on PostgreSQL) and their history
rows with them; payments go through `payments_record`, the batch path the payments page
uses, so allocations, clearances and case statuses follow the product's own rules; every
contact attempt's breaches, warnings and exemptions are what `check_attempt` says of it
against the attempts generated before it on the same household.

A region code that already exists is refused, never topped up: a second run would otherwise
mix two seeds' data in one region.
"""

import datetime
import io
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import case_figures
from arrears.bulk import create_with_history, history_insert, rows_insert
from arrears.ledger import add_months, ledger_ranges, monthly_fee
from arrears.models import (
    Campaign,
    Case,
    Clearance,
    DebtorCategory,
    DebtPeriod,
    DifficultIssue,
    FeeRate,
    Office,
    Payment,
    PaymentMethod,
    PromiseToPay,
    Region,
    Role,
    StaffProfile,
    Summary,
)
from arrears.payments import PaymentItem, payments_record
from arrears.roles import staff_for
from escalation.letters import snapshot
from escalation.models import Instalment, Letter, PaymentPlan
from households.contact_policy import Attempt, Rules, check_attempt
from households.models import (
    Channel,
    ContactAttempt,
    ContactPolicy,
    Household,
    Occupancy,
    Outcome,
    Owner,
    PersonContacted,
)
from teams.models import Team, TeamMember

TEAM_CODES = ("A", "B", "C", "D")
ARREARS_SHARE = 0.15
MAX_MONTHS = 60
CONTACT_DAYS = 56  # eight weeks
FEE_RATES = [Decimal(r) for r in ("1.20", "1.50", "1.80", "2.20", "2.80")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海燕红梅晓东文博宇浩然子涵欣怡"
)
REASONS = [
    ("无理由拒交", DebtorCategory.REFUSAL),
    ("对维修质量不满", DebtorCategory.GRIEVANCE),
    ("停车位纠纷", DebtorCategory.GRIEVANCE),
    ("长期在外地工作", DebtorCategory.AWAY),
    ("房屋空置", DebtorCategory.VACANT),
    ("联系不到业主", DebtorCategory.UNREACHABLE),
    ("", DebtorCategory.UNCLASSIFIED),
]
ISSUES = [
    ("业主称漏水未修复", "业主称楼上漏水多次报修未处理，要求先修复再缴费。"),
    ("房屋已出售，新业主未登记", "原业主称房屋已出售，新业主信息不明。"),
    ("业主对面积计算有异议", "业主认为计费面积与房产证不符。"),
]


class LoadRefused(Exception):
    """The region cannot be generated here (production settings, or it exists already)."""


def refusal_in_production() -> str | None:
    if settings.PRODUCTION:
        return _(
            "generate_load refuses to run on the production settings: it makes up a whole "
            "region of households, debts and logins with the shared demo password. Run it on "
            "a development or benchmark database (manage.py uses config.settings)."
        )
    return None


@dataclass
class LoadResult:
    region: Region
    seconds: float = 0.0
    rows: Counter = field(default_factory=Counter)
    steps: list = field(default_factory=list)  # (step, seconds)


def usernames(region_code: str, office_codes) -> list[str]:
    """Every login the generator makes, in the documented naming scheme."""
    names = [f"{region_code}-director", f"{region_code}-ops", "admin"]
    for code in office_codes:
        names.append(f"{code}-manager")
        for team in TEAM_CODES:
            t = team.lower()
            names += [f"{code}-{t}-leader", f"{code}-{t}-collector", f"{code}-{t}-collector2"]
    return names


def office_code(region_code: str, n: int) -> str:
    return f"{region_code}-{n:02d}"


def _tracked(model) -> list[str]:
    return [f.attname for f in model.history.model.tracked_fields]


def _insert_with_history(model, attnames, rows, saved, by) -> int:
    """COPY the rows in, then write each saved row's history ("+") from what was stored:
    the bulk writers take no model instances, so the new ids are read back."""
    rows_insert(model, attnames, rows)
    stored = list(saved.values_list(*_tracked(model)))
    history_insert(model=model, attnames=_tracked(model), rows=stored, by=by, kind="+")
    return len(stored)


def _aware(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def generate_load(
    *,
    offices: int,
    households_per_office: int,
    seed: int,
    region_code: str = "load",
    summary_days: int = 2,
    today: datetime.date | None = None,
    progress=None,
) -> LoadResult:
    """Build the region; raises LoadRefused where it must not (see the module's note)."""
    refusal = refusal_in_production()
    if refusal:
        raise LoadRefused(refusal)
    codes = [office_code(region_code, n) for n in range(1, offices + 1)]
    User = get_user_model()
    if Region.objects.filter(code=region_code).exists():
        raise LoadRefused(
            _(
                "Region %(code)s exists already: generate_load never adds to a region. Choose "
                "another --region, or start from an empty database."
            )
            % {"code": region_code}
        )
    taken = (
        User.objects.filter(username__in=usernames(region_code, codes))
        .exclude(username="admin")
        .exists()
        or Office.objects.filter(code__in=codes).exists()
    )
    if taken:
        raise LoadRefused(
            _(
                "Offices or logins named after region %(code)s exist already: choose another --region."
            )
            % {"code": region_code}
        )
    started = time.perf_counter()
    clock = [started]
    result = None

    def step(name):
        now = time.perf_counter()
        result.steps.append((name, now - clock[0]))
        clock[0] = now
        if progress:
            progress(name, now - started)

    with transaction.atomic():
        gen = _Generator(
            rng=random.Random(seed),
            region_code=region_code,
            codes=codes,
            per_office=households_per_office,
            today=today or timezone.localdate(),
        )
        result = LoadResult(region=None)
        gen.result = result
        gen.organisation()
        step("offices, campaigns, teams and logins")
        gen.households()
        step("households, owners and unpaid months")
        gen.cases_and_contacts()
        step("cases, contact attempts and promises")
        gen.escalation()
        step("difficult issues, letters and payment plans")
        gen.payments()
        step("payments")
        # Rows written in bulk above bypass the services, which keep the figures as they go.
        case_figures.refresh_cases(Case.objects.filter(campaign__office__region=gen.region))
        step("case figures")
    if connection.vendor == "postgresql":
        # Statistics and the visibility map, as autovacuum would make them some minutes after
        # a bulk load (and never where it is off, as on the CI machines): without them the
        # benchmarks run on the planner's guesses and index-only scans read the heap.
        # VACUUM cannot run inside a transaction (a test's): ANALYZE alone there.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        step("statistics")
    result.region = gen.region
    for n in range(summary_days, 0, -1):
        # Through the scheduled job's own command (summaries sits beside desk, not below it):
        # the reports are stored and delivered as the 18:00 run would deliver them.
        day = gen.today - datetime.timedelta(days=n)
        call_command(
            "daily_summary", date=day.isoformat(), region=gen.region.code, stdout=io.StringIO()
        )
    if summary_days:
        step("daily summaries")
    result.rows.update(
        {
            "payments": Payment.objects.filter(office__region=gen.region).count(),
            "clearances": Clearance.objects.filter(
                case__campaign__office__region=gen.region
            ).count(),
            "summaries": Summary.objects.filter(region=gen.region).count(),
        }
    )
    result.seconds = time.perf_counter() - started
    return result


class _Generator:
    def __init__(self, *, rng, region_code, codes, per_office, today):
        self.rng = rng
        self.region_code = region_code
        self.codes = codes
        self.per_office = per_office
        self.today = today
        self.result: LoadResult | None = None

    # -- organisation ------------------------------------------------------------------

    def organisation(self):
        rng, today = self.rng, self.today
        User = get_user_model()
        self.region = Region.objects.create(
            code=self.region_code, name=f"负载测试区域 {self.region_code}"
        )
        self.offices = Office.objects.bulk_create(
            [
                Office(
                    region=self.region,
                    code=code,
                    name=f"第{n}服务处",
                    address=f"示例路{n}号物业服务中心",
                    phone=f"000-{n:08d}",
                    payment_instructions="服务中心前台：现金、微信、支付宝（示例信息）。",
                )
                for n, code in enumerate(self.codes, start=1)
            ]
        )
        # One hash for every login: PBKDF2 costs a fraction of a second each.
        password = make_password(settings.DEMO_PASSWORD)
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create(
                username="admin",
                password=password,
                email="admin@load.invalid",
                is_staff=True,
                is_superuser=True,
            )
            self._roles = [(admin, Role.ADMINISTRATOR)]
        else:
            self._roles = []
        self.admin = admin
        people = []  # (username, display name, role, office, region)
        people.append(
            (f"{self.region_code}-director", "区域总监", Role.REGIONAL_DIRECTOR, None, True)
        )
        people.append((f"{self.region_code}-ops", "运营经理", Role.OPERATIONS_MANAGER, None, False))
        for office in self.offices:
            people.append(
                (f"{office.code}-manager", f"{office.name}经理", Role.OFFICE_MANAGER, office, False)
            )
            for team in TEAM_CODES:
                t = team.lower()
                people.append(
                    (f"{office.code}-{t}-leader", f"{team}组组长", Role.TEAM_LEADER, office, False)
                )
                people.append(
                    (
                        f"{office.code}-{t}-collector",
                        f"{team}组催收员",
                        Role.COLLECTOR,
                        office,
                        False,
                    )
                )
                people.append(
                    (
                        f"{office.code}-{t}-collector2",
                        f"{team}组催收员二",
                        Role.COLLECTOR,
                        office,
                        False,
                    )
                )
        users = User.objects.bulk_create(
            [
                User(
                    username=u,
                    password=password,
                    email=f"{u}@load.invalid",
                    is_staff=staff_for(role),
                )
                for u, _n, role, _o, _r in people
            ]
        )
        self.users = {u.username: u for u in users}
        self.users["admin"] = admin
        self._roles += [(user, p[2]) for user, p in zip(users, people, strict=True)]
        groups = {g.name: g.pk for g in Group.objects.filter(name__in=Role.values)}
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=user.pk, group_id=groups[role]) for user, role in self._roles]
        )
        profiles = [
            StaffProfile(
                user=user,
                display_name=name,
                office=office,
                region=self.region if in_region else None,
            )
            for user, (_u, name, _r, office, in_region) in zip(users, people, strict=True)
        ]
        if not StaffProfile.objects.filter(user=admin).exists():
            profiles.append(StaffProfile(user=admin, display_name="系统管理员"))
        create_with_history(objects=profiles, by=admin)
        ops = self.users[f"{self.region_code}-ops"].staff_profile
        ops.offices.through.objects.bulk_create(
            [ops.offices.through(staffprofile_id=ops.pk, office_id=o.pk) for o in self.offices]
        )

        # Most offices keep the product's limits; every fourth one is stricter (09:00–20:00),
        # so the generated contacts meet more than one policy.
        policies = [
            ContactPolicy(office=o, allowed_from=datetime.time(9), allowed_until=datetime.time(20))
            if n % 4 == 3
            else ContactPolicy(office=o)
            for n, o in enumerate(self.offices)
        ]
        create_with_history(objects=policies, by=admin)
        self.rules = {p.office_id: Rules.from_policy(p) for p in policies}
        self.rates = {o.pk: rng.choice(FEE_RATES) for o in self.offices}
        create_with_history(
            objects=[
                FeeRate(
                    office=o,
                    rate_per_m2=self.rates[o.pk],
                    effective_from=datetime.date(2015, 1, 1),
                    note="示例费率",
                )
                for o in self.offices
            ],
            by=admin,
        )
        this_month = today.replace(day=1)
        self.arrears_through = add_months(this_month, -1)
        self.campaigns = {
            c.office_id: c
            for c in create_with_history(
                objects=[
                    Campaign(
                        office=o,
                        name=f"{o.name}历年欠费清收",
                        start_date=today - datetime.timedelta(days=CONTACT_DAYS + 4),
                        target_date=today + datetime.timedelta(days=90),
                        arrears_through=self.arrears_through,
                        status=Campaign.Status.RUNNING,
                        goal="每组每月至少清收1户（示例）。",
                    )
                    for o in self.offices
                ],
                by=admin,
            )
        }
        teams = create_with_history(
            objects=[
                Team(campaign=self.campaigns[o.pk], code=code, name=f"{code}组")
                for o in self.offices
                for code in TEAM_CODES
            ],
            by=admin,
        )
        self.teams = defaultdict(list)  # office id → [(team, [leader, collector, collector2])]
        members = []
        campaigns = {c.pk: c for c in self.campaigns.values()}
        for team in teams:
            office = campaigns[team.campaign_id].office
            t = team.code.lower()
            people = [
                self.users[f"{office.code}-{t}-{s}"] for s in ("leader", "collector", "collector2")
            ]
            self.teams[office.pk].append((team, people))
            members += [
                TeamMember(
                    team=team,
                    user=u,
                    role=TeamMember.Role.LEADER if i == 0 else TeamMember.Role.MEMBER,
                )
                for i, u in enumerate(people)
            ]
        create_with_history(objects=members, by=admin)
        self.result.rows.update(
            {
                "offices": len(self.offices),
                "users": len(self._roles),
                "teams": len(teams),
                "team members": len(members),
            }
        )

    # -- households and their ledgers -----------------------------------------------------

    def households(self):
        rng = self.rng
        rows, owners, self.plans = [], [], []
        occupancies = [
            (Occupancy.OCCUPIED, 80),
            (Occupancy.VACANT, 10),
            (Occupancy.NEVER_MOVED_IN, 4),
            (Occupancy.RENOVATING, 3),
            (Occupancy.RENOVATED_EMPTY, 3),
        ]
        kinds, weights = zip(*occupancies, strict=True)
        for office in self.offices:
            # Buildings of 18 floors × 4 units: unit codes as an estate numbers them.
            for n in range(self.per_office):
                building, rest = divmod(n, 72)
                floor, unit = divmod(rest, 4)
                code = f"B{building + 1}-{floor + 1}{unit + 1:02d}"
                area = Decimal(rng.randint(4500, 18000)) / 100
                occupancy = rng.choices(kinds, weights)[0]
                rows.append(
                    (office.pk, code, f"B{building + 1}", area, occupancy, "", False, None, "", "")
                )
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                phone = f"139{rng.randint(0, 99_999_999):08d}"
                owners.append((office.pk, code, name, phone))
                if rng.random() < ARREARS_SHARE:
                    months = rng.randint(1, MAX_MONTHS)
                    self.plans.append((office, code, area, months))
        by = self.admin
        self.result.rows["households"] = _insert_with_history(
            Household,
            [
                "office_id",
                "unit_code",
                "building",
                "area_m2",
                "occupancy",
                "occupancy_note",
                "written_contact_only",
                "written_only_since",
                "written_only_reason",
                "note",
            ],
            rows,
            Household.objects.filter(office__region=self.region),
            by,
        )
        self.household_ids = {
            (o, u): pk
            for pk, o, u in Household.objects.filter(office__region=self.region).values_list(
                "pk", "office_id", "unit_code"
            )
        }
        self.result.rows["owners"] = _insert_with_history(
            Owner,
            ["household_id", "name", "relation", "phone", "phone_alt", "note"],
            (
                (self.household_ids[o, u], name, Owner.Relation.OWNER, phone, "", "")
                for o, u, name, phone in owners
            ),
            Owner.objects.filter(household__office__region=self.region),
            by,
        )
        self.owner_names = {self.household_ids[o, u]: name for o, u, name, _p in owners}
        periods = []
        self.ledgers = {}  # household id → [(month, due)]
        for office, code, area, months in self.plans:
            hid = self.household_ids[office.pk, code]
            fee = monthly_fee(area, self.rates[office.pk])
            # Most arrears run up to the campaign's last month; some stopped a little earlier.
            last = add_months(self.arrears_through, -self.rng.choice((0, 0, 0, 1, 2)))
            ledger = [(add_months(last, -i), fee) for i in range(months - 1, -1, -1)]
            self.ledgers[hid] = ledger
            periods += [(hid, month, fee, Decimal("0.00")) for month, fee in ledger]
        self.result.rows["unpaid months"] = _insert_with_history(
            DebtPeriod,
            ["household_id", "month", "amount_due", "amount_paid"],
            periods,
            DebtPeriod.objects.filter(household__office__region=self.region),
            by,
        )

    # -- cases, contact attempts, promises ------------------------------------------------

    def cases_and_contacts(self):
        rng, today = self.rng, self.today
        case_rows, self.case_people = [], {}
        attempts, promises = [], []  # by household id, filled with the case's id later
        now = timezone.now()
        for office, code, _area, _months in self.plans:
            hid = self.household_ids[office.pk, code]
            team, people = rng.choice(self.teams[office.pk])
            responsible = rng.choice(people)
            reason, category = rng.choice(REASONS)
            status = Case.Status.OPEN
            planned = today + datetime.timedelta(days=rng.randint(5, 80))
            made = self._contacts(hid, office, people)
            attempts += made
            balance = sum(fee for _m, fee in self.ledgers[hid])
            for a in made:
                if a["outcome"] == Outcome.PROMISED:
                    day = timezone.localdate(a["occurred_at"])
                    amount = min(balance, Decimal(rng.randint(2, 20) * 100))
                    promises.append(
                        (hid, amount, day + datetime.timedelta(days=rng.randint(1, 20)), a)
                    )
                    status = Case.Status.PROMISED
            self.case_people[hid] = (team, people, responsible)
            case_rows.append(
                (
                    self.campaigns[office.pk].pk,
                    hid,
                    team.pk,
                    responsible.pk,
                    category,
                    reason,
                    planned,
                    "",
                    "",
                    [],
                    status,
                    "",
                    None,
                    now,
                )
            )
        self.result.rows["cases"] = _insert_with_history(
            Case,
            [
                "campaign_id",
                "household_id",
                "team_id",
                "responsible_id",
                "category",
                "reason",
                "planned_date",
                "plan_note",
                "imported_text",
                "flagged_terms",
                "status",
                "closed_reason",
                "cleared_at",
                "created_at",
            ],
            case_rows,
            Case.objects.filter(campaign__office__region=self.region),
            self.admin,
        )
        self.case_ids = dict(
            Case.objects.filter(campaign__office__region=self.region).values_list(
                "household_id", "pk"
            )
        )
        names = list(attempts[0]) if attempts else []
        # Each attempt and promise credited to the team of its case (which never moves here).
        team_of = {hid: held[0].pk for hid, held in self.case_people.items()}
        rows_insert(
            ContactAttempt,
            ["case_id", "team_id", *names],
            (
                (self.case_ids[a["household_id"]], team_of[a["household_id"]], *a.values())
                for a in attempts
            ),
        )
        self.result.rows["contact attempts"] = len(attempts)
        self.result.rows["breaches"] = sum(1 for a in attempts if a["breaches"])
        promised = {
            (case_id, at): pk
            for pk, case_id, at in ContactAttempt.objects.filter(
                household__office__region=self.region, outcome=Outcome.PROMISED
            ).values_list("pk", "case_id", "occurred_at")
        }
        rows_insert(
            PromiseToPay,
            [
                "case_id",
                "team_id",
                "amount",
                "due_date",
                "attempt_id",
                "recorded_by_id",
                "recorded_at",
            ],
            (
                (
                    self.case_ids[hid],
                    team_of[hid],
                    amount,
                    due,
                    promised[self.case_ids[hid], a["occurred_at"]],
                    a["made_by_id"],
                    a["recorded_at"],
                )
                for hid, amount, due, a in promises
            ),
        )
        self.result.rows["promises"] = len(promises)

    def _contacts(self, hid, office, people) -> list[dict]:
        """0–8 attempts over the last eight weeks, in time order, each checked against the
        ones before it. Some are meant to break a rule (an evening call, a message without
        the opt-out, a visit by four, telling a neighbour of the debt); an attempt that
        breaks one by chance (a call too soon after a conversation) is mostly not made, as a
        careful collector would not make it."""
        rng, rules = self.rng, self.rules[office.pk]
        count = rng.choices(range(9), (20, 15, 15, 12, 10, 10, 8, 6, 4))[0]
        days = sorted(rng.randint(1, CONTACT_DAYS) for _ in range(count))
        history: list[Attempt] = []
        made = []
        for ago in days:
            day = self.today - datetime.timedelta(days=ago)
            channel = rng.choices(
                (
                    Channel.PHONE_CALL,
                    Channel.SMS,
                    Channel.WECHAT,
                    Channel.HOME_VISIT,
                    Channel.OFFICE_MEETING,
                    Channel.PAYMENT_NOTICE,
                ),
                (50, 15, 5, 12, 6, 12),
            )[0]
            hour, minute = (
                rng.randint(rules.allowed_from.hour, rules.allowed_until.hour - 1),
                rng.randrange(0, 60, 5),
            )
            person, staff, opt_out, told, walked_in = (
                PersonContacted.OWNER,
                None,
                None,
                False,
                False,
            )
            intended = rng.random() < 0.05
            if channel == Channel.PHONE_CALL:
                outcome = rng.choices(
                    (
                        Outcome.NO_ANSWER,
                        Outcome.DECLINED,
                        Outcome.TALKED,
                        Outcome.PROMISED,
                        Outcome.REFUSED,
                        Outcome.DISPUTED,
                        Outcome.INVALID_NUMBER,
                    ),
                    (35, 10, 25, 12, 10, 5, 3),
                )[0]
                if rng.random() < 0.04:
                    person, outcome = PersonContacted.UNRELATED, Outcome.TALKED
                    told = intended
                elif intended:
                    hour, minute = 21, 30  # after the allowed hours
            elif channel in (Channel.SMS, Channel.WECHAT):
                outcome = Outcome.SENT
                opt_out = not intended
            elif channel == Channel.HOME_VISIT:
                outcome = rng.choices(
                    (Outcome.NO_ANSWER, Outcome.TALKED, Outcome.PROMISED, Outcome.REFUSED),
                    (40, 30, 15, 15),
                )[0]
                staff = 4 if intended else rng.choices((1, 2, 3), (10, 80, 10))[0]
            elif channel == Channel.OFFICE_MEETING:
                outcome = rng.choice((Outcome.TALKED, Outcome.PROMISED, Outcome.DISPUTED))
                walked_in = rng.random() < 0.3
            else:
                outcome = rng.choice((Outcome.SENT, Outcome.DELIVERED))
            at = _aware(day, hour, minute)
            proposed = Attempt(
                occurred_at=at,
                channel=channel,
                person_contacted=person,
                outcome=outcome,
                staff_count=staff,
                message_has_opt_out=opt_out is not False,
                third_party_told_of_debt=told,
                owner_walked_in=walked_in,
            )
            verdict = check_attempt(proposed, history=history, rules=rules)
            if verdict.breaches and not intended and rng.random() < 0.9:
                continue
            history.append(proposed)
            made.append(
                {
                    "household_id": hid,
                    "made_by_id": rng.choice(people).pk,
                    "occurred_at": at,
                    "channel": channel,
                    "person_contacted": person,
                    "outcome": outcome,
                    "notes": "",
                    "next_step": "",
                    "next_step_date": None,
                    "at_owners_request": False,
                    "owners_request_note": "",
                    "owner_walked_in": walked_in,
                    "delivered_in_person": False,
                    "staff_count": staff,
                    "message_has_opt_out": opt_out,
                    "third_party_told_of_debt": told,
                    "callback_at": None,
                    "breaches": verdict.breach_codes,
                    "warnings": verdict.warning_codes,
                    "exemptions": verdict.exemption_codes,
                    "flagged_terms": [],
                    "corrects_id": None,
                    "recorded_at": at + datetime.timedelta(minutes=10),
                }
            )
        return made

    # -- difficult issues, letters, payment plans -------------------------------------------

    def escalation(self):
        rng, today = self.rng, self.today
        issues, letters, plans = [], [], []
        numbers = Counter()
        # Every office's first case has an open issue: however small the region, every
        # issues list has a row (bench-smoke compares the pages' queries at two sizes).
        with_issue = set()
        for office, code, _area, _months in self.plans:
            hid = self.household_ids[office.pk, code]
            case_id = self.case_ids[hid]
            team, people, responsible = self.case_people[hid]
            manager = self.users[f"{office.code}-manager"]
            roll = rng.random()
            first = office.pk not in with_issue
            if first or roll < 0.03:
                with_issue.add(office.pk)
                title, text = rng.choice(ISSUES)
                raised = _aware(today - datetime.timedelta(days=rng.randint(1, 40)), 10, 0)
                if not first and rng.random() < 0.4:
                    issues.append(
                        (
                            case_id,
                            team.pk,
                            title,
                            text,
                            responsible.pk,
                            raised,
                            DifficultIssue.Status.RESOLVED,
                            "经会议研究：先核实情况，再继续依法催收。",
                            manager.pk,
                            raised + datetime.timedelta(days=2),
                            [],
                        )
                    )
                else:
                    issues.append(
                        (
                            case_id,
                            team.pk,
                            title,
                            text,
                            responsible.pk,
                            raised,
                            DifficultIssue.Status.OPEN,
                            "",
                            None,
                            None,
                            [],
                        )
                    )
            elif roll < 0.09:
                ledger = self.ledgers[hid]
                content = SimpleNamespace(
                    ranges=ledger_ranges((m, fee, Decimal("0.00")) for m, fee in ledger)
                )
                dated = today - datetime.timedelta(days=rng.randint(3, 45))
                demand = rng.random() < 0.5
                kind = Letter.Kind.DEMAND if demand else Letter.Kind.NOTICE
                numbers[office.pk, kind, dated.year] += 1
                reference = f"{office.code.upper()}-{dated.year}-{'D' if demand else 'N'}{numbers[office.pk, kind, dated.year]:04d}"
                sent = dated + datetime.timedelta(days=1)
                delivered = (
                    sent + datetime.timedelta(days=3)
                    if demand and sent + datetime.timedelta(days=3) < today
                    else None
                )
                letters.append(
                    (
                        case_id,
                        kind,
                        reference,
                        dated,
                        dated + datetime.timedelta(days=15) if demand else None,
                        sum(fee for _m, fee in ledger),
                        snapshot(content),
                        [self.owner_names[hid]],
                        manager.pk,
                        _aware(dated, 9, 0),
                        Letter.Status.DELIVERED if delivered else Letter.Status.SENT,
                        Letter.Method.EMS if demand else Letter.Method.COURIER,
                        f"EA{rng.randint(0, 999_999_999):09d}CN" if demand else "",
                        sent,
                        delivered,
                        Letter.Proof.TRACKING if delivered else "",
                        "EMS 查询：本人签收（示例）" if delivered else "",
                        None,
                        "",
                        None,
                        None,
                        {},  # no answer: a notice or a demand
                    )
                )
            elif roll < 0.11:
                total = sum(fee for _m, fee in self.ledgers[hid])
                agreed = today - datetime.timedelta(days=rng.randint(1, 30))
                plans.append((case_id, agreed, total, manager.pk))
        by = self.admin
        region_cases = {"case__campaign__office__region": self.region}
        self.result.rows["difficult issues"] = _insert_with_history(
            DifficultIssue,
            [
                "case_id",
                "team_id",
                "title",
                "description",
                "raised_by_id",
                "raised_at",
                "status",
                "decision",
                "resolved_by_id",
                "resolved_at",
                "flagged_terms",
            ],
            issues,
            DifficultIssue.objects.filter(**region_cases),
            by,
        )
        self.result.rows["letters"] = _insert_with_history(
            Letter,
            [
                "case_id",
                "kind",
                "reference",
                "dated",
                "deadline",
                "total",
                "periods",
                "owners",
                "issued_by_id",
                "issued_at",
                "status",
                "method",
                "tracking_number",
                "sent_on",
                "delivered_on",
                "proof",
                "proof_detail",
                "returned_on",
                "return_reason",
                "sent_attempt_id",
                "outcome_attempt_id",
                "answer",
            ],
            letters,
            Letter.objects.filter(**region_cases),
            by,
        )
        self.result.rows["payment plans"] = _insert_with_history(
            PaymentPlan,
            [
                "case_id",
                "agreed_on",
                "total",
                "signed_copy",
                "note",
                "flagged_terms",
                "recorded_by_id",
                "recorded_at",
            ],
            (
                (c, agreed, total, "", "分三期缴清（示例）", [], m, _aware(agreed, 11, 0))
                for c, agreed, total, m in plans
            ),
            PaymentPlan.objects.filter(**region_cases),
            by,
        )
        plan_ids = dict(PaymentPlan.objects.filter(**region_cases).values_list("case_id", "pk"))
        instalments = []
        for case_id, agreed, total, _m in plans:
            third = (total / 3).quantize(Decimal("0.01"))
            amounts = [third, third, total - 2 * third]
            for i, amount in enumerate(amounts, start=1):
                if amount > 0:
                    instalments.append(
                        (plan_ids[case_id], agreed + datetime.timedelta(days=30 * i), amount)
                    )
        rows_insert(Instalment, ["plan_id", "due_date", "amount"], instalments)
        self.result.rows["instalments"] = len(instalments)

    # -- payments ---------------------------------------------------------------------------

    def payments(self):
        """About a quarter of the cases pay in the last eight weeks: half of them everything
        (the case is cleared), half a part of it. Through `payments_record`, office by office,
        recorded by the office manager."""
        rng, today = self.rng, self.today
        by_office = defaultdict(list)
        for office, code, _area, _months in self.plans:
            if rng.random() >= 0.25:
                continue
            hid = self.household_ids[office.pk, code]
            balance = sum(fee for _m, fee in self.ledgers[hid])
            amount = (
                balance
                if rng.random() < 0.5
                else max(
                    Decimal("0.01"),
                    (balance * Decimal(rng.randint(10, 90)) / 100).quantize(Decimal("0.01")),
                )
            )
            day = today - datetime.timedelta(days=rng.randint(1, CONTACT_DAYS))
            paid_at = _aware(day, rng.randint(9, 17), rng.randrange(0, 60, 5))
            method = rng.choice(PaymentMethod.values)
            by_office[office].append((paid_at, hid, amount, method))
        for office in self.offices:
            items = sorted(by_office.get(office, []), key=lambda item: (item[0], item[1]))
            payments_record(
                items=[
                    PaymentItem(
                        household=Household(pk=hid),
                        amount=amount,
                        paid_at=paid_at,
                        method=method,
                        receipt_no=f"{office.code.upper()}-{n:06d}",
                    )
                    for n, (paid_at, hid, amount, method) in enumerate(items, start=1)
                ],
                by=self.users[f"{office.code}-manager"],
                notify_flags=False,
            )
