from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/<int:pk>/leaderboard/", views.leaderboard_view, name="leaderboard"),
    path("campaigns/<int:pk>/assessment/", views.assessment_view, name="assessment"),
    path("campaigns/<int:pk>/split/", views.split_view, name="campaign-split"),
    path("cases/<int:pk>/team/", views.case_team_view, name="case-team"),
    path("cases/<int:pk>/responsible/", views.case_responsible_view, name="case-responsible"),
]
