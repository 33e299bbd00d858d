"""Refusing a posted method that does not exist (DESIGN.md §5.2), for any form's view."""

from functools import wraps

from django.shortcuts import render

from arrears.unlawful import forbidden_in


def refuses_unlawful_posts(view):
    """A POST whose choice fields (channel, method, outcome, person contacted, kind …) name a
    method that does not exist gets the rule and the law (400), not "Select a valid choice";
    nothing is saved."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            forbidden = forbidden_in(request.POST)
            if forbidden:
                return render(request, "arrears/refused.html", {"forbidden": forbidden}, status=400)
        return view(request, *args, **kwargs)

    return wrapper
