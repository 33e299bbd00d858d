from django.urls import path

from desk import views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
]
