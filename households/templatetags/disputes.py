"""Labels of the dispute figures' stored keys (ages, causes), translated at display time."""

from django import template

from households.dispute_figures import AGE_KEYS, CAUSE_KEYS, age_label, cause_label
from households.models import Department

register = template.Library()


@register.filter
def dispute_age(key: str) -> str:
    return age_label(key) if key in AGE_KEYS else key


@register.filter
def dispute_cause(key: str) -> str:
    return cause_label(key) if key in CAUSE_KEYS else key


@register.simple_tag
def dispute_ages() -> tuple:
    return AGE_KEYS


@register.filter
def dispute_department(key: str) -> str:
    return str(Department(key).label) if key in Department.values else key
