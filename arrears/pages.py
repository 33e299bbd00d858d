"""What every page shares: the scoped lookup of a case and a service refusal shown on its form."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404

from arrears import scoping


def scoped_case(user, pk):
    """The case `pk` if `user` may see it, with what its page shows; 404 otherwise."""
    return get_object_or_404(
        scoping.cases(user).select_related(
            "household", "campaign__office", "team", "responsible__staff_profile"
        ),
        pk=pk,
    )


def has_code(error: ValidationError, code: str) -> bool:
    """Whether a service refused with this code (some refusals change what the form asks)."""
    items = (
        [e for errors in error.error_dict.values() for e in errors]
        if hasattr(error, "error_dict")
        else error.error_list
    )
    return any(e.code == code for e in items)


def add_errors(form, error: ValidationError):
    """A service's refusal shown on the form: on the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for e in error.error_list:
            form.add_error(None, e)
