from django.urls import path

from teams import views

urlpatterns = [
    path("campaigns/<int:pk>/leaderboard/", views.leaderboard_view, name="leaderboard"),
    path("campaigns/<int:pk>/assessment/", views.assessment_view, name="assessment"),
    path("campaigns/<int:pk>/split/", views.split_view, name="campaign-split"),
    path("cases/<int:pk>/team/", views.case_team_view, name="case-team"),
    path("cases/<int:pk>/responsible/", views.case_responsible_view, name="case-responsible"),
    path("teams/<int:pk>/", views.team_detail_view, name="team-detail"),
    path(
        "team-members/<int:pk>/remove/",
        views.team_member_remove_view,
        name="team-member-remove",
    ),
]
