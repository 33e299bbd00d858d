"""Root URLs: each app's pages, sign-in, language switching and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

urlpatterns = [
    path("", include("desk.urls")),
    path("", include("arrears.urls")),
    path("", include("summaries.urls")),
    path("", include("reports.urls")),
    path("", include("households.urls")),
    path("", include("teams.urls")),
    path("", include("imports.urls")),
    path("", include("escalation.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Anyone may switch language, including on the login page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]
