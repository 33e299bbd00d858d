"""What the imports remember between uploads: the columns an office named in the mapping step."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ColumnMapping(models.Model):
    """One header of an office's files and what it is, saved at the mapping step and applied
    to the office's next files of the same kind (its own files only: another office's
    headers may mean something else)."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", _("arrears ledger")
        PAYMENTS = "payments", _("payments")

    office = models.ForeignKey(
        "arrears.Office",
        on_delete=models.CASCADE,
        related_name="column_mappings",
        verbose_name=_("office"),
    )
    kind = models.CharField(_("import"), max_length=20, choices=Kind.choices)
    header = models.CharField(_("header (normalised)"), max_length=100)
    field = models.CharField(_("field"), max_length=40, blank=True)  # "": ignore the column
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "kind", "header"], name="column_mapping_unique_header"
            )
        ]

    def __str__(self):
        return f"{self.office} {self.kind}: {self.header} → {self.field or '—'}"
