from django.urls import path

from . import views

urlpatterns = [
    path("cases/<int:pk>/attempts/new/", views.attempt_new, name="attempt-new"),
    path("cases/<int:pk>/written-only/", views.written_only, name="written-only"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence-file"),
    path("office/contact-policy/", views.contact_policy_edit, name="contact-policy"),
    path("lawful-contact/", views.lawful_contact, name="lawful-contact"),
    path("tips/<int:pk>/new/", views.tip_new, name="tip-new"),
    path("breaches/", views.breach_list, name="breach-list"),
    path("attempts/<int:pk>/exemption-review/", views.exemption_review, name="exemption-review"),
]
