from django.urls import path

from escalation import dispute_views, privacy_views, statement_views, views

urlpatterns = [
    path("cases/<int:pk>/letters/<str:kind>/", views.letter_preview, name="case-letter"),
    path("cases/<int:pk>/letters/<str:kind>/issue/", views.letter_issue_view, name="letter-issue"),
    path("cases/<int:pk>/legal/open/", views.legal_open_view, name="legal-open"),
    path("cases/<int:pk>/plans/new/", views.plan_new, name="plan-new"),
    path("plans/<int:plan_id>/copy/", views.plan_copy, name="plan-copy"),
    path("letters/", views.letter_list, name="letter-list"),
    path("letters/batch/", views.letter_batch, name="letter-batch"),
    path("letters/<int:letter_id>/", views.letter_detail, name="letter-detail"),
    path("letters/<int:letter_id>/<str:step>/", views.letter_record, name="letter-record"),
    path("legal/<int:action_id>/steps/", views.legal_step_view, name="legal-step"),
    # The owner's statement: public, reached by a signed link (no login).
    path("s/<str:token>/", statement_views.statement, name="statement"),
    path(
        "s/<str:token>/written-only/",
        statement_views.statement_written_only,
        name="statement-written-only",
    ),
    path(
        "s/<str:token>/dispute/", statement_views.statement_dispute_view, name="statement-dispute"
    ),
    path(
        "s/<str:token>/instalments/",
        statement_views.statement_plan_view,
        name="statement-instalments",
    ),
    path(
        "s/<str:token>/instalments/accept/",
        statement_views.statement_offer_accept_view,
        name="statement-offer-accept",
    ),
    path(
        "s/<str:token>/personal-data/",
        statement_views.statement_data_request_view,
        name="statement-personal-data",
    ),
    path(
        "plan-proposals/<int:proposal_id>/decide/",
        views.plan_proposal_decide_view,
        name="plan-proposal-decide",
    ),
    path(
        "plan-offers/<int:decision_id>/accept/",
        views.plan_offer_accept_view,
        name="plan-offer-accept",
    ),
    path(
        "cases/<int:pk>/statement-links/new/",
        statement_views.statement_link_new,
        name="statement-link-new",
    ),
    path(
        "statement-links/<int:link_id>/revoke/",
        statement_views.statement_link_revoke,
        name="statement-link-revoke",
    ),
    # The office side of a dispute (issue 17.2).
    path("disputes/<int:pk>/", dispute_views.dispute_detail, name="dispute-detail"),
    path("disputes/<int:pk>/file/", dispute_views.dispute_file, name="dispute-file"),
    path("disputes/<int:pk>/<str:step>/", dispute_views.dispute_step, name="dispute-step"),
    path("waivers/<int:waiver_id>/decide/", views.waiver_decide_view, name="waiver-decide"),
    path("data-requests/", privacy_views.data_request_list, name="data-request-list"),
    path(
        "households/<int:pk>/data-requests/new/",
        privacy_views.data_request_new,
        name="data-request-new",
    ),
    path("data-requests/<int:pk>/", privacy_views.data_request_detail, name="data-request-detail"),
    path(
        "data-requests/<int:pk>/document/",
        privacy_views.data_request_document,
        name="data-request-document",
    ),
    path(
        "data-requests/<int:pk>/answer/",
        privacy_views.data_request_answer,
        name="data-request-answer",
    ),
]
