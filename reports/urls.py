from django.urls import path

from reports import activity_views, dispute_views, views

urlpatterns = [
    path("reports/weekly/", views.weekly_report, name="weekly-report"),
    path("payments/", activity_views.payment_list, name="payment-list"),
    path("attempts/", activity_views.attempt_list, name="attempt-list"),
    path("breaches/", activity_views.breach_list, name="breach-list"),
    path("disputes/", dispute_views.dispute_figures_page, name="dispute-figures"),
    path("disputes/open/", dispute_views.dispute_list, name="dispute-list"),
]
