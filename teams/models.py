"""Collection teams (收费小组) and their members."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Team(models.Model):
    campaign = models.ForeignKey(
        "arrears.Campaign",
        on_delete=models.CASCADE,
        related_name="teams",
        verbose_name=_("campaign"),
    )
    code = models.CharField(_("code"), max_length=10, help_text=_("E.g. A, B, C, D."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TeamMember",
        related_name="teams",
        verbose_name=_("members"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["campaign", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "code"], name="team_code_unique_in_campaign"
            )
        ]

    def __str__(self):
        return self.name or str(_("Team %(code)s") % {"code": self.code})


class TeamMember(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("leader")
        MEMBER = "member", _("member")

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="team_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "role", "pk"]  # the leader first
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_once"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(role="leader"), name="team_one_leader"
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.user}"
