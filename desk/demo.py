"""The 华庭 campaign from the office's plan, as demo data.

The plan was written in June 2015 for arrears up to May 2015 and a target of the end of
August. `demo_load` moves every date by the same whole number of months so that the
campaign started in the month two weeks before today and is running now; month counts,
gaps between dates and weekdays-of-month stay as the plan has them. With
`original_dates=True` the plan's own dates are kept (the campaign is then closed).

Running it again changes nothing: every row is looked up by its natural key first, and the
few days of activity are only written when the campaign itself is new.
"""

import calendar
import datetime
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from arrears import case_figures
from arrears.ledger import add_months, monthly_fee, months_between
from arrears.models import (
    Campaign,
    Case,
    DebtorCategory,
    DebtPeriod,
    DifficultIssue,
    FeeRate,
    Office,
    PaymentMethod,
    PromiseToPay,
    Region,
    Role,
    StaffProfile,
)
from arrears.payments import payment_record
from arrears.roles import user_set_role
from escalation.letter_records import (
    letter_issue,
    letter_record_delivery,
    letter_record_dispatch,
)
from escalation.models import Letter, StatementLink
from escalation.plan_proposals import proposal_record
from escalation.plans import plan_record
from households.disputes import dispute_record
from households.models import (
    Channel,
    ContactAttempt,
    ContactPolicy,
    DisputeCause,
    DisputeKind,
    DisputeSource,
    Household,
    Occupancy,
    OnSiteTip,
    Outcome,
    Owner,
    PersonContacted,
)
from teams.models import Team, TeamMember

PLAN_START = datetime.date(2015, 6, 1)
PLAN_TARGET = datetime.date(2015, 8, 31)
PLAN_ARREARS_THROUGH = datetime.date(2015, 5, 1)
# A residential estate's fee of the time; the plan leaves amounts blank.
FEE_RATE = Decimal("1.80")
FEE_RATE_FROM = datetime.date(2012, 1, 1)

CAMPAIGN_NAME = "华庭服务处历年欠费清收"


@dataclass(frozen=True)
class PlanHousehold:
    unit: str
    owner: str
    phone: str
    occupancy: str
    occupancy_note: str
    first_month: datetime.date
    last_month: datetime.date
    stated_months: int
    reason: str
    category: str
    planned: datetime.date | None
    plan_note: str
    area: Decimal
    team: str


HOUSEHOLDS = [
    PlanHousehold(
        "C6-101",
        "张静",
        "13900000101",
        Occupancy.NEVER_MOVED_IN,
        "样板房",
        datetime.date(2013, 5, 1),
        datetime.date(2015, 5, 1),
        25,
        "家中被盗",
        DebtorCategory.GRIEVANCE,
        datetime.date(2015, 8, 15),
        "",
        Decimal("132.56"),
        "A",
    ),
    PlanHousehold(
        "C13-103",
        "高萌",
        "13900000102",
        Occupancy.VACANT,
        "",
        datetime.date(2014, 1, 1),
        datetime.date(2015, 5, 1),
        17,
        "联系不到新业主",
        DebtorCategory.UNREACHABLE,
        datetime.date(2015, 7, 15),
        "",
        Decimal("98.40"),
        "A",
    ),
    PlanHousehold(
        "C16-104",
        "郑贻之",
        "13900000103",
        Occupancy.OCCUPIED,
        "",
        datetime.date(2013, 1, 1),
        datetime.date(2015, 5, 1),
        29,
        "装修时违规与物业发生纠纷",
        DebtorCategory.GRIEVANCE,
        datetime.date(2015, 8, 30),
        "",
        Decimal("126.80"),
        "B",
    ),
    PlanHousehold(
        "C35-102",
        "张勤云",
        "13900000104",
        Occupancy.VACANT,
        "",
        datetime.date(2013, 4, 1),
        datetime.date(2015, 5, 1),
        26,
        "无理由拒交",
        DebtorCategory.REFUSAL,
        None,
        "已打报告",
        Decimal("89.75"),
        "B",
    ),
    PlanHousehold(
        "C53-101",
        "张倜",
        "13900000105",
        Occupancy.VACANT,
        "",
        datetime.date(2013, 9, 1),
        datetime.date(2015, 5, 1),
        21,
        "无理由拒交",
        DebtorCategory.REFUSAL,
        datetime.date(2015, 7, 30),
        "",
        Decimal("143.20"),
        "C",
    ),
    PlanHousehold(
        "E2-2-201",
        "鲍先玉",
        "13900000106",
        Occupancy.RENOVATED_EMPTY,
        "已装修完毕，长期未入住",
        datetime.date(2013, 11, 1),
        datetime.date(2015, 5, 1),
        19,
        "",
        DebtorCategory.VACANT,
        None,
        "已打报告",
        Decimal("115.60"),
        "C",
    ),
    # The plan states 28 months for 2013-01 – 2015-05, a range of 29: the range is held.
    PlanHousehold(
        "F1-1802",
        "王皎",
        "13900000107",
        Occupancy.OCCUPIED,
        "",
        datetime.date(2013, 1, 1),
        datetime.date(2015, 5, 1),
        28,
        "房产品纠纷",
        DebtorCategory.GRIEVANCE,
        datetime.date(2015, 6, 30),
        "",
        Decimal("108.35"),
        "D",
    ),
    PlanHousehold(
        "E5-1-502",
        "吴凯",
        "13900000108",
        Occupancy.VACANT,
        "",
        datetime.date(2014, 1, 1),
        datetime.date(2015, 5, 1),
        17,
        "联系不到业主",
        DebtorCategory.UNREACHABLE,
        datetime.date(2015, 6, 30),
        "",
        Decimal("96.88"),
        "D",
    ),
]

# The plan names its fourth group both D (when announcing A–D) and E (in the detail);
# the assessment rules speak of "A、B、C、D四组", so it is D here.
TEAMS = {
    "A": [("zhaoyang", "赵洋"), ("liying", "李莹")],
    "B": [("linshan", "林山"), ("wangying", "王莹")],
    "C": [("wangmengru", "王梦茹"), ("caoning", "曹宁")],
    "D": [("jiachao", "贾超"), ("liuweizhen", "刘卫珍")],
}

# username, display name, role (collectors and leaders come from TEAMS)
STAFF = [
    ("manager", "华庭服务处经理", Role.OFFICE_MANAGER),
    ("ops", "运营经理", Role.OPERATIONS_MANAGER),
    ("director", "区域总监", Role.REGIONAL_DIRECTOR),
    ("gate", "门岗", Role.SITE_STAFF),
    ("patrol", "巡逻岗", Role.SITE_STAFF),
    ("admin", "系统管理员", Role.ADMINISTRATOR),
]


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, display name, role label) of every demo user, for the command and README."""
    rows = [(u, n, Role(r).label) for u, n, r in STAFF]
    for code, members in TEAMS.items():
        for i, (username, name) in enumerate(members):
            role = Role.TEAM_LEADER if i == 0 else Role.COLLECTOR
            rows.append((username, f"{name} ({code})", role.label))
    return rows


def month_shift_for(today: datetime.date) -> int:
    """Whole months from the plan's start to the month two weeks before `today`."""
    anchor = today - datetime.timedelta(days=14)
    return (anchor.year - PLAN_START.year) * 12 + anchor.month - PLAN_START.month


def shift_date(day: datetime.date, months: int) -> datetime.date:
    month = add_months(day.replace(day=1), months)
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(day.day, last))


@dataclass
class DemoResult:
    created: bool
    month_shift: int
    campaign: Campaign
    # username → password of each demo user created by this run (none when all existed).
    passwords: dict[str, str] = field(default_factory=dict)


def demo_password(*, random_password: bool) -> str:
    """The shared DEMO_PASSWORD, or a fresh random one (16 characters) for each user."""
    return secrets.token_urlsafe(12) if random_password else settings.DEMO_PASSWORD


def _user(
    username: str,
    display_name: str,
    role: str,
    *,
    passwords: dict[str, str],
    random_password: bool,
    office=None,
    region=None,
):
    User = get_user_model()
    # .invalid never resolves: summaries "sent" to demo users land in var/mail/ only.
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@huating.invalid"}
    )
    if created:
        passwords[username] = demo_password(random_password=random_password)
        user.set_password(passwords[username])
        user.save()
        user_set_role(user=user, role=role)
    StaffProfile.objects.get_or_create(
        user=user, defaults={"display_name": display_name, "office": office, "region": region}
    )
    return user


def _local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@transaction.atomic
def demo_load(
    *,
    today: datetime.date | None = None,
    original_dates: bool = False,
    random_passwords: bool = False,
) -> DemoResult:
    """Load the campaign (safe to run again: what exists is kept, passwords included).

    With `random_passwords` each user created gets its own random password instead of
    DEMO_PASSWORD; they are in the result's `passwords`, and nowhere else.
    """
    today = today or timezone.localdate()
    region, _ = Region.objects.get_or_create(code="demo", defaults={"name": "示范区域公司"})
    office, _ = Office.objects.get_or_create(
        code="huating",
        defaults={
            "region": region,
            "name": "华庭服务处",
            "address": "华庭小区物业服务中心（示例地址）",
            "phone": "000-00000000",
            "payment_instructions": "服务中心前台：现金、微信、支付宝；银行转账请注明房号（示例信息）。",
        },
    )
    ContactPolicy.objects.get_or_create(office=office)

    existing = Campaign.objects.filter(office=office, name=CAMPAIGN_NAME).first()
    if existing is not None:
        shift = (existing.start_date.year - PLAN_START.year) * 12 + (
            existing.start_date.month - PLAN_START.month
        )
    else:
        shift = 0 if original_dates else month_shift_for(today)

    FeeRate.objects.get_or_create(
        office=office,
        effective_from=shift_date(FEE_RATE_FROM, shift),
        defaults={"rate_per_m2": FEE_RATE, "note": "示例费率"},
    )

    users = {}
    passwords: dict[str, str] = {}
    for username, name, role in STAFF:
        users[username] = _user(
            username,
            name,
            role,
            passwords=passwords,
            random_password=random_passwords,
            office=office if role in (Role.OFFICE_MANAGER, Role.SITE_STAFF) else None,
            region=region if role == Role.REGIONAL_DIRECTOR else None,
        )
    ops_offices = users["ops"].staff_profile.offices
    if not ops_offices.filter(pk=office.pk).exists():  # add() would write history every run
        ops_offices.add(office)

    target = shift_date(PLAN_TARGET, shift)
    campaign, created = Campaign.objects.get_or_create(
        office=office,
        name=CAMPAIGN_NAME,
        defaults={
            "start_date": shift_date(PLAN_START, shift),
            "target_date": target,
            "arrears_through": shift_date(PLAN_ARREARS_THROUGH, shift),
            "status": Campaign.Status.RUNNING if target >= today else Campaign.Status.CLOSED,
            "goal": "8月底前完成华庭物业费历年欠费收缴；4个小组各2户，每组每月至少完成1户。",
        },
    )

    teams = {}
    for code, members in TEAMS.items():
        team, _ = Team.objects.get_or_create(
            campaign=campaign, code=code, defaults={"name": f"{code}组"}
        )
        teams[code] = team
        for i, (username, name) in enumerate(members):
            role = Role.TEAM_LEADER if i == 0 else Role.COLLECTOR
            users[username] = _user(
                username,
                name,
                role,
                office=office,
                passwords=passwords,
                random_password=random_passwords,
            )
            TeamMember.objects.get_or_create(
                team=team,
                user=users[username],
                defaults={"role": TeamMember.Role.LEADER if i == 0 else TeamMember.Role.MEMBER},
            )

    cases = {}
    for n, plan in enumerate(HOUSEHOLDS):
        household, _ = Household.objects.get_or_create(
            office=office,
            unit_code=plan.unit,
            defaults={
                "area_m2": plan.area,
                "occupancy": plan.occupancy,
                "occupancy_note": plan.occupancy_note,
            },
        )
        Owner.objects.get_or_create(
            household=household, name=plan.owner, defaults={"phone": plan.phone}
        )
        fee = monthly_fee(plan.area, FEE_RATE)
        first, last = shift_date(plan.first_month, shift), shift_date(plan.last_month, shift)
        for month in months_between(first, last):
            DebtPeriod.objects.get_or_create(
                household=household, month=month, defaults={"amount_due": fee}
            )
        members = TEAMS[plan.team]
        stated = (
            ""
            if plan.stated_months == len(months_between(first, last))
            else (
                f"方案写明 {plan.stated_months} 个月，区间实为 {len(months_between(first, last))} 个月"
            )
        )
        cases[plan.unit], _ = Case.objects.get_or_create(
            campaign=campaign,
            household=household,
            defaults={
                "team": teams[plan.team],
                "responsible": users[members[n % 2][0]],
                "category": plan.category,
                "reason": plan.reason,
                "planned_date": shift_date(plan.planned, shift) if plan.planned else None,
                "plan_note": "；".join(x for x in (plan.plan_note, stated) if x),
            },
        )

    if created and campaign.status == Campaign.Status.RUNNING:
        _demo_activity(today=today, cases=cases, users=users)
    # The months and past attempts above are written as they stand, not through the services.
    case_figures.refresh_cases(Case.objects.filter(campaign=campaign))
    return DemoResult(created=created, month_shift=shift, campaign=campaign, passwords=passwords)


def _demo_activity(*, today, cases, users) -> None:
    """A few days of lawful work, so that every page shows something real."""
    day = lambda n: today - datetime.timedelta(days=n)  # noqa: E731

    def attempt(
        unit, who, when, channel, person, outcome, notes="", next_step="", next_date=None, **extra
    ):
        case = cases[unit]
        return ContactAttempt.objects.create(
            **extra,
            household=case.household,
            case=case,
            made_by=users[who],
            occurred_at=when,
            channel=channel,
            person_contacted=person,
            outcome=outcome,
            notes=notes,
            next_step=next_step,
            next_step_date=next_date,
            staff_count=2 if channel == Channel.HOME_VISIT else None,
        )

    attempt(
        "C13-103",
        "liying",
        _local(day(5), 10, 30),
        Channel.PHONE_CALL,
        PersonContacted.OWNER,
        Outcome.INVALID_NUMBER,
        "登记号码为空号。",
        "向房地产交易中心查询新业主登记信息",
        day(-3),
    )
    attempt(
        "C13-103",
        "zhaoyang",
        _local(day(3), 15, 0),
        Channel.PAYMENT_NOTICE,
        PersonContacted.OWNER,
        # Left in the mailbox of a vacant unit: it has not reached the owner, so it is not
        # "delivered" and restarts no limitation period (Civil Code art. 195).
        Outcome.SENT,
        "催缴通知书投递至房屋门口信箱并拍照留存（空关房，未送达业主本人）。",
        "等待业主来电",
        day(-7),
    )
    attempt(
        "C6-101",
        "zhaoyang",
        _local(day(5), 14, 0),
        Channel.OFFICE_MEETING,
        PersonContacted.OWNER,
        Outcome.DISPUTED,
        "业主到服务中心面谈，坚持先处理家中被盗赔付问题。",
        "提交疑难问题，由经理答复赔付诉求",
        day(-2),
    )
    DifficultIssue.objects.create(
        case=cases["C6-101"],
        title="业主要求先赔付被盗物品",
        description="业主称样板房期间家中被盗，要求物业赔付后再缴费。需经理核实当时的安保记录并书面答复。",
        raised_by=users["zhaoyang"],
        raised_at=_local(day(5), 16, 0),
    )
    attempt(
        "C16-104",
        "linshan",
        _local(day(4), 10, 0),
        Channel.HOME_VISIT,
        PersonContacted.OWNER,
        Outcome.DISPUTED,
        "两名员工上门，业主认为装修违规处理不公。",
        "经理约见面谈",
        day(-4),
    )
    DifficultIssue.objects.create(
        case=cases["C16-104"],
        title="装修违规处理争议",
        description="业主对装修期间的违规处理有异议，拒绝缴费。建议经理约谈并复核当时的处理记录。",
        raised_by=users["linshan"],
        raised_at=_local(day(4), 17, 30),
    )
    attempt(
        "C35-102",
        "wangying",
        _local(day(2), 11, 0),
        Channel.SMS,
        PersonContacted.OWNER,
        Outcome.NO_ANSWER,
        "发送缴费提醒短信（含退订方式）。",
        "寄送催告函",
        day(-5),
    )
    # An evening call the owner asked for: an exemption on the record, awaiting the office
    # manager's review on the Breaches page (issue 11).
    attempt(
        "C35-102",
        "wangying",
        _local(day(1), 21, 30),
        Channel.PHONE_CALL,
        PersonContacted.OWNER,
        Outcome.NO_ANSWER,
        "按业主短信回复的时间致电，无人接听。",
        "寄送催告函",
        day(-5),
        at_owners_request=True,
        owners_request_note="业主短信回复：白天在外地上班，晚上九点半以后再打。",
        exemptions=["owners_requested_time"],
    )
    attempt(
        "C53-101",
        "wangmengru",
        _local(day(3), 9, 30),
        Channel.WRITTEN_DEMAND,
        PersonContacted.OWNER,
        Outcome.DELIVERED,
        "EMS 寄送催告函，限期 15 日内缴纳，已签收。",
        "期限届满后评估律师函",
        day(-12),
    )
    attempt(
        "E5-1-502",
        "liuweizhen",
        _local(day(4), 16, 0),
        Channel.PHONE_CALL,
        PersonContacted.UNRELATED,
        Outcome.TALKED,
        "联系业主朋友，仅请其转告业主联系服务处，未透露欠费信息。",
        "等待业主回电",
        day(-3),
    )
    f1_call = attempt(
        "F1-1802",
        "jiachao",
        _local(day(2), 19, 0),
        Channel.PHONE_CALL,
        PersonContacted.OWNER,
        Outcome.PROMISED,
        "业主同意先缴部分费用，其余待房产品赔付到位后缴清。",
        "跟进承诺缴费",
        day(-10),
    )
    PromiseToPay.objects.create(
        case=cases["F1-1802"],
        amount=Decimal("1000.00"),
        due_date=day(-10),
        attempt=f1_call,
        recorded_by=users["jiachao"],
        recorded_at=_local(day(2), 19, 10),
    )
    e2 = cases["E2-2-201"]
    e2_total = sum(p.amount_due for p in e2.periods())
    e2_call = attempt(
        "E2-2-201",
        "caoning",
        _local(day(2), 10, 0),
        Channel.PHONE_CALL,
        PersonContacted.OWNER,
        Outcome.PROMISED,
        "业主长期在外地，同意异地汇款一次缴清。",
        "核对汇款",
        day(1),
    )
    # A "promised" call always has its promise (as attempt_log records it): kept next day.
    PromiseToPay.objects.create(
        case=e2,
        amount=e2_total,
        due_date=day(1),
        attempt=e2_call,
        recorded_by=users["caoning"],
        recorded_at=_local(day(2), 10, 5),
    )
    payment_record(
        household=e2.household,
        amount=e2_total,
        paid_at=_local(day(1), 11, 20),
        method=PaymentMethod.REMITTANCE,
        receipt_no="HT-0001",
        by=users["caoning"],
        case=e2,
        note="异地汇款，一次缴清",
    )
    f1 = cases["F1-1802"]
    payment_record(
        household=f1.household,
        amount=Decimal("1000.00"),
        paid_at=_local(day(1), 15, 5),
        method=PaymentMethod.WECHAT,
        receipt_no="HT-0002",
        by=users["jiachao"],
        case=f1,
        note="部分缴费",
    )

    _demo_escalation(day=day, cases=cases, users=users)
    _demo_owner_voice(today=today, day=day, cases=cases, users=users)

    OnSiteTip.objects.create(
        household=cases["C16-104"].household,
        kind=OnSiteTip.Kind.OWNER_SEEN,
        note="业主晚上回家",
        reported_by=users["gate"],
        reported_at=_local(day(1), 19, 40),
    )
    OnSiteTip.objects.create(
        household=cases["C13-103"].household,
        kind=OnSiteTip.Kind.RENOVATION_STARTED,
        note="有装修工人进出",
        reported_by=users["patrol"],
        reported_at=_local(day(2), 14, 15),
    )


def _demo_owner_voice(*, today, day, cases, users) -> None:
    """The owner as a party (issue 17): F1-1802's owner, who blames a defect in the flat
    (房产品纠纷), disputes the service at the office — a work order for engineering, and
    collection contact paused until the written answer is delivered; C53-101's owner, who
    received a notice, proposes six instalments from its statement link."""
    dispute_record(
        case=cases["F1-1802"],
        kind=DisputeKind.SERVICE,
        cause=DisputeCause.PROPERTY_DEFECT,
        words="卫生间墙面渗水，报修两次没人来处理，修好了再交物业费（示例）",
        source=DisputeSource.VISIT,
        by=users["manager"],
        now=_local(day(2), 10, 20),
    )
    link = StatementLink.objects.filter(case=cases["C53-101"]).order_by("pk").first()
    proposal_record(
        link=link,
        first_month=today.replace(day=1),
        count=6,
        words="一次交不起，想分六个月交清（示例）",
        now=_local(day(1), 20, 15),
    )


# A one-pixel PNG standing in for the scan of an EMS tracking page (a real picture: evidence
# is decoded and written again before it is stored).
DEMO_SCAN = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\r\xefF\xb8\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def _demo_escalation(*, day, cases, users) -> None:
    """The lawful road further on: a demand delivered by EMS whose deadline has passed (the
    legal stage may open), a notice on its way, and a payment plan being kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    manager = users["manager"]
    demand = letter_issue(case=cases["C35-102"], kind="demand", by=manager, dated=day(40))
    letter_record_dispatch(
        letter=demand,
        by=manager,
        method=Letter.Method.EMS,
        sent_on=day(39),
        tracking_number="EA000000001CN",
    )
    letter_record_delivery(
        letter=demand,
        by=manager,
        delivered_on=day(36),
        proof=Letter.Proof.TRACKING,
        proof_detail="EMS 查询：本人签收（示例）",
        scans=[SimpleUploadedFile("ems-tracking.png", DEMO_SCAN, content_type="image/png")],
    )
    notice = letter_issue(case=cases["C53-101"], kind="notice", by=manager, dated=day(5))
    letter_record_dispatch(letter=notice, by=manager, method=Letter.Method.COURIER, sent_on=day(4))

    c16 = cases["C16-104"]
    plan_record(
        case=c16,
        by=manager,
        agreed_on=day(10),
        instalments=[
            (day(3), Decimal("500.00")),
            (day(-20), Decimal("500.00")),
            (day(-50), Decimal("500.00")),
        ],
        signed_copy=SimpleUploadedFile("signed-plan.png", DEMO_SCAN, content_type="image/png"),
        note="业主同意分三期缴清（示例）",
    )
    payment_record(
        household=c16.household,
        amount=Decimal("500.00"),
        paid_at=_local(day(3), 10, 30),
        method=PaymentMethod.WECHAT,
        receipt_no="HT-0003",
        by=manager,
        case=c16,
        note="分期第一期",
    )
