from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arrears import scoping
from arrears.access import may_approve_backdate, may_set_category
from arrears.backdating import backdate_approve
from arrears.cases import case_set_category
from arrears.credit import credit_balance, credit_refund, household_balance
from arrears.forms import (
    CategoryForm,
    CreditRefundForm,
    IssueForm,
    IssueNoteForm,
    PaymentForm,
    ResolveForm,
    ReversalForm,
)
from arrears.inputs import parse_ids
from arrears.issues import issue_discuss, issue_raise, issue_resolve
from arrears.models import Case, DifficultIssue, Notification, WorkerHeartbeat
from arrears.notifications import inbox_mark_read
from arrears.pages import add_errors, has_code, scoped_case
from arrears.payments import payment_record, payment_reverse
from arrears.refusals import refuses_unlawful_posts

ISSUES_PER_PAGE = 100


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not. Says when a worker last ran."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"database": "unavailable"}, status=503)
    beat = WorkerHeartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    return JsonResponse({"database": "ok", "worker_last_seen": beat.isoformat() if beat else None})


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers ask for on their own: the static icon (pages link the SVG)."""
    return redirect(static("img/favicon.ico"))


@permission_required("arrears.add_payment", raise_exception=True)
@require_http_methods(["GET", "POST"])
@refuses_unlawful_posts
def payment_new(request, pk):
    case = scoped_case(request.user, pk)
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = payment_record(
                household=case.household,
                case=case,
                by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            if has_code(error, "excess_unconfirmed"):
                form.ask_to_confirm_excess(
                    form.cleaned_data["amount"] - household_balance(case.household)
                )
            add_errors(form, error)
        else:
            case.refresh_from_db()
            if case.status == Case.Status.CLEARED:
                messages.success(
                    request,
                    _("¥%(amount)s recorded. %(unit)s is cleared.")
                    % {"amount": f"{payment.amount:,.2f}", "unit": case.household.unit_code},
                )
            else:
                messages.success(
                    request, _("¥%(amount)s recorded.") % {"amount": f"{payment.amount:,.2f}"}
                )
            return redirect("case-detail", pk=case.pk)
    return render(
        request,
        "arrears/payment_form.html",
        {
            "case": case,
            "form": form,
            "owed": household_balance(case.household),
            "credit": credit_balance(case.household),
        },
    )


def case_category_view(request, pk):
    """Set the case's debtor category (POST only). Who may never set one gets 403 before the
    case is looked up; a case outside the user's scope is 404."""
    if not may_set_category(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    case = scoped_case(request.user, pk)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Choose one of the five categories: vacant, unreachable, away, grievance, refusal."),
        )
        return redirect("case-detail", pk=case.pk)
    try:
        case = case_set_category(case=case, category=form.cleaned_data["category"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Category set: %(category)s.") % {"category": case.get_category_display()}
        )
    return redirect("case-detail", pk=case.pk)


@permission_required("arrears.reverse_payment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def payment_reverse_view(request, pk):
    payment = get_object_or_404(
        scoping.payments(request.user).select_related("household", "case"), pk=pk, kind="payment"
    )
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment_reverse(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("The payment was reversed; the months it paid are unpaid again.")
            )
            return (
                redirect("case-detail", pk=payment.case_id) if payment.case_id else redirect("desk")
            )
    return render(request, "arrears/payment_reverse.html", {"payment": payment, "form": form})


@permission_required("arrears.refund_credit", raise_exception=True)
@require_http_methods(["GET", "POST"])
def credit_refund_view(request, pk):
    """The office manager gives back part or all of a household's credit, with the reason."""
    case = scoped_case(request.user, pk)
    form = CreditRefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refund = credit_refund(household=case.household, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("¥%(amount)s of credit refunded to %(unit)s.")
                % {"amount": f"{refund.amount:,.2f}", "unit": case.household.unit_code},
            )
            return redirect("case-detail", pk=case.pk)
    return render(
        request,
        "arrears/credit_refund.html",
        {"case": case, "form": form, "credit": credit_balance(case.household)},
    )


@permission_required("arrears.add_backdateapproval", raise_exception=True)
@require_POST
def payment_backdate_approve(request, pk):
    """The office manager lets a backdated payment (补录) count in the month it is dated."""
    payment = get_object_or_404(scoping.payments(request.user), pk=pk)
    if not may_approve_backdate(request.user, payment):
        raise PermissionDenied
    try:
        backdate_approve(payment=payment, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Approved: the payment counts in %(month)s, the month it is dated.")
            % {"month": f"{timezone.localtime(payment.paid_at):%Y-%m}"},
        )
    return redirect("case-detail", pk=payment.case_id) if payment.case_id else redirect("desk")


@permission_required("arrears.add_difficultissue", raise_exception=True)
@require_http_methods(["GET", "POST"])
def issue_new(request, pk):
    case = scoped_case(request.user, pk)
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issue = issue_raise(case=case, by=request.user, **form.cleaned_data)
        messages.success(
            request, _("The issue was sent to the team leader and the office manager.")
        )
        return redirect("issue-detail", pk=issue.pk)
    return render(request, "arrears/issue_form.html", {"case": case, "form": form})


@permission_required("arrears.view_difficultissue", raise_exception=True)
def issue_list(request):
    issues = (
        scoping.difficult_issues(request.user)
        .select_related("case__household", "raised_by__staff_profile", "resolved_by__staff_profile")
        .order_by("status", "raised_at", "pk")
    )
    show = request.GET.get("show", "open")
    if show != "all":
        issues = issues.filter(status=DifficultIssue.Status.OPEN)
    # A page at a time: "all" keeps every resolved issue of the region, a list that only grows
    # (issue 15). The count is of the issues in scope, a small table.
    page = Paginator(issues, ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "arrears/issue_list.html",
        {"issues": page.object_list, "page": page, "show": show},
    )


@require_http_methods(["GET", "POST"])
def issue_detail(request, pk):
    issue = get_object_or_404(
        scoping.difficult_issues(request.user).select_related(
            "case__household", "raised_by__staff_profile", "resolved_by__staff_profile"
        ),
        pk=pk,
    )
    note_form = IssueNoteForm(request.POST if "text" in request.POST else None)
    resolve_form = ResolveForm(request.POST if "decision" in request.POST else None)
    can_resolve = request.user.has_perm("arrears.change_difficultissue")
    if request.method == "POST":
        try:
            if "decision" in request.POST:
                if not can_resolve:
                    from django.core.exceptions import PermissionDenied

                    raise PermissionDenied
                if resolve_form.is_valid():
                    issue_resolve(issue=issue, by=request.user, **resolve_form.cleaned_data)
                    messages.success(
                        request, _("The issue is resolved; the person who raised it is told.")
                    )
                    return redirect("issue-detail", pk=issue.pk)
            elif note_form.is_valid():
                issue_discuss(issue=issue, by=request.user, **note_form.cleaned_data)
                return redirect("issue-detail", pk=issue.pk)
        except ValidationError as error:
            add_errors(resolve_form if "decision" in request.POST else note_form, error)
    return render(
        request,
        "arrears/issue_detail.html",
        {
            "issue": issue,
            "notes": issue.notes.select_related("author__staff_profile"),
            "note_form": note_form,
            "resolve_form": resolve_form,
            "can_resolve": can_resolve,
        },
    )


def inbox(request):
    items = Notification.objects.filter(recipient=request.user)[:100]
    return render(request, "arrears/inbox.html", {"items": items})


@require_POST
def inbox_read(request):
    ids = request.POST.getlist("id")
    inbox_mark_read(by=request.user, notification_ids=parse_ids(ids) or None)
    return redirect("inbox")
