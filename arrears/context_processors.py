from .models import Role
from .roles import role_of


def role(request):
    """The signed-in user's role and its label, for the navigation bar."""
    value = role_of(request.user) if hasattr(request, "user") else None
    return {"user_role": value, "user_role_label": Role(value).label if value else ""}
