from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from teams.models import Team, TeamMember


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "campaign"]
    list_filter = ["campaign__office", "campaign"]
    search_fields = ["code", "name", "campaign__name"]
    inlines = [TeamMemberInline]


@admin.register(TeamMember)
class TeamMemberAdmin(SimpleHistoryAdmin):
    list_display = ["team", "user", "role"]
    list_filter = ["team__campaign", "role"]
    search_fields = ["user__username", "user__staff_profile__display_name"]
    list_select_related = ["team", "user"]
