from django.urls import path

from arrears import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("cases/<int:pk>/payments/new/", views.payment_new, name="payment-new"),
    path("cases/<int:pk>/issues/new/", views.issue_new, name="issue-new"),
    path("cases/<int:pk>/category/", views.case_category_view, name="case-category"),
    path("payments/<int:pk>/reverse/", views.payment_reverse_view, name="payment-reverse"),
    path("cases/<int:pk>/credit/refund/", views.credit_refund_view, name="credit-refund"),
    path(
        "payments/<int:pk>/backdate-approve/",
        views.payment_backdate_approve,
        name="payment-backdate-approve",
    ),
    path("issues/", views.issue_list, name="issue-list"),
    path("issues/<int:pk>/", views.issue_detail, name="issue-detail"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox-read"),
]
