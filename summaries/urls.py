from django.urls import path

from summaries import views

urlpatterns = [
    path("summaries/", views.summary_list, name="summary-list"),
    path("summaries/run/", views.summary_run, name="summary-run"),
    path("summaries/<int:pk>/", views.summary_detail, name="summary-detail"),
]
