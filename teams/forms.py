from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.forms import BootstrapMixin
from arrears.people import person_name
from teams.assignment import BY_AMOUNT, BY_COUNT


class SplitForm(BootstrapMixin, forms.Form):
    mode = forms.ChoiceField(
        label=_("Split"),
        choices=[
            (BY_COUNT, _("evenly by number of cases")),
            (BY_AMOUNT, _("balanced by amount owed")),
        ],
        initial=BY_COUNT,
    )


class TeamChoiceForm(BootstrapMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("(no team)")
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class ResponsibleForm(BootstrapMixin, forms.Form):
    person = forms.ModelChoiceField(
        label=_("Responsible person"), queryset=None, required=False, empty_label=_("(nobody yet)")
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = members
        self.fields["person"].label_from_instance = person_name


class HandoverForm(BootstrapMixin, forms.Form):
    """Removing a member: for each of her open cases, who takes it over.

    `shown` carries the ids of the cases the page listed, so that a case given to her while
    the manager was choosing is noticed rather than silently left to nobody."""

    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, cases, stay, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = list(cases)
        self.fields["shown"].initial = ",".join(str(c.pk) for c in self.cases)
        for case in self.cases:
            field = forms.ModelChoiceField(
                label=case.household.unit_code,
                queryset=stay,
                required=False,
                empty_label=_("nobody yet — the team leader takes it"),
                error_messages={
                    "invalid_choice": _(
                        "Choose a member who stays in the team, or nobody (the team leader "
                        "takes it)."
                    )
                },
            )
            field.label_from_instance = person_name
            self.fields[f"case_{case.pk}"] = field

    def case_fields(self):
        return [(case, self[f"case_{case.pk}"]) for case in self.cases]

    def clean_shown(self):
        text = self.cleaned_data["shown"]
        try:
            return {int(part) for part in text.split(",") if part.strip()}
        except ValueError:
            raise forms.ValidationError(
                _("The list of cases was changed; open the page again.")
            ) from None

    def handovers(self) -> dict:
        """case id → the new responsible person (or None), for the cases the page showed."""
        shown = self.cleaned_data["shown"]
        chosen = {c.pk: self.cleaned_data.get(f"case_{c.pk}") for c in self.cases}
        # A case listed now that the page did not show stays out: the service then refuses.
        return {pk: chosen.get(pk) for pk in shown}
