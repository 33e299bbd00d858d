from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from . import activity_views, report_views, summary_views, views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("healthz", views.healthz, name="healthz"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/payments/new/", views.payment_new, name="payment-new"),
    path("cases/<int:pk>/issues/new/", views.issue_new, name="issue-new"),
    path("payments/<int:pk>/reverse/", views.payment_reverse_view, name="payment-reverse"),
    path("cases/<int:pk>/credit/refund/", views.credit_refund_view, name="credit-refund"),
    path(
        "payments/<int:pk>/backdate-approve/",
        views.payment_backdate_approve,
        name="payment-backdate-approve",
    ),
    path("issues/", views.issue_list, name="issue-list"),
    path("issues/<int:pk>/", views.issue_detail, name="issue-detail"),
    path("summaries/", summary_views.summary_list, name="summary-list"),
    path("summaries/run/", summary_views.summary_run, name="summary-run"),
    path("summaries/<int:pk>/", summary_views.summary_detail, name="summary-detail"),
    path("reports/weekly/", report_views.weekly_report, name="weekly-report"),
    path("payments/", activity_views.payment_list, name="payment-list"),
    path("attempts/", activity_views.attempt_list, name="attempt-list"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox-read"),
    path("", include("households.urls")),
    path("", include("teams.urls")),
    path("", include("arrears.import_urls")),
    path("", include("escalation.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Anyone may switch language, including on the login page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]
