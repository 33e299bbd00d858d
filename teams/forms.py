from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.forms import BootstrapMixin

from .assignment import BY_AMOUNT, BY_COUNT


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
        self.fields["person"].label_from_instance = lambda u: (
            getattr(getattr(u, "staff_profile", None), "display_name", "") or u.username
        )
