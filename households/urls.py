from django.urls import path

from households import views

urlpatterns = [
    path("cases/<int:pk>/attempts/new/", views.attempt_new, name="attempt-new"),
    path("cases/<int:pk>/written-only/", views.written_only, name="written-only"),
    path("cases/<int:pk>/disputes/new/", views.dispute_new, name="dispute-new"),
    path(
        "cases/<int:pk>/written-only/withdraw/",
        views.written_only_withdraw,
        name="written-only-withdraw",
    ),
    path(
        "written-only-withdrawals/<int:pk>/file/",
        views.written_only_withdrawal_file,
        name="written-only-withdrawal-file",
    ),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence-file"),
    path("office/contact-policy/", views.contact_policy_edit, name="contact-policy"),
    path("office/dispute-routes/", views.dispute_routes, name="dispute-routes"),
    path("lawful-contact/", views.lawful_contact, name="lawful-contact"),
    path("tips/<int:pk>/new/", views.tip_new, name="tip-new"),
    path("attempts/<int:pk>/exemption-review/", views.exemption_review, name="exemption-review"),
]
