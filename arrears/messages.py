"""Words kept as a message id and parameters, put in the reader's language when read
(issue 16.8): inbox notices (arrears.notifications) store them instead of text."""

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, pgettext

from arrears.unlawful import flag_details


def describe(terms: Iterable[str]) -> str:
    """Stored phrases with their rules, for a notification: 停水停电 (cutting utilities)；…"""
    return "；".join(
        f"{term} ({rule.label})" if rule is not None else term for term, rule in flag_details(terms)
    )


class Stored:
    """Words kept as data (`data`, a dict `render` reads) and put in the reader's language
    when read."""

    data: dict

    def as_data(self) -> dict:
        return self.data

    def __str__(self):
        return render(self.data)


class Message(Stored):
    """Words put in the reader's language when read: a msgid (marked for the catalogue with
    gettext_noop, or a lazy gettext/ngettext) and its parameters. A parameter may itself be a
    Message or a lazy translation (a choice's label), `Flags` or `Lines`; other values are
    kept as text or numbers (a unit code, a person's words, an amount)."""

    def __init__(self, msgid, /, **params):
        self.data = {**_msgid(msgid), "params": {k: _param(v) for k, v in params.items()}}


class Flags(Stored):
    """Flagged phrases with the rule each breaks, the rule named in the reader's language."""

    def __init__(self, terms: Iterable[str]):
        self.data = {"flags": list(terms)}


class Lines(Stored):
    """Several Messages (or plain texts), one a line."""

    def __init__(self, lines: Iterable):
        self.data = {"lines": [_param(line) for line in lines]}


def _msgid(text) -> dict:
    if isinstance(text, Promise):
        singular = text._kw.get("singular")
        if singular is not None:  # ngettext_lazy
            return {"msgid": singular, "plural": text._kw["plural"]}
        if len(text._args) == 2:  # pgettext_lazy(context, message)
            return {"msgid": text._args[1], "context": text._args[0]}
        return {"msgid": text._args[0]}
    return {"msgid": str(text)}


def _param(value):
    if isinstance(value, Stored):
        return value.as_data()
    if isinstance(value, Promise):
        return {**_msgid(value), "params": {}}
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)  # an amount (Decimal), a date: as text


def render(data) -> str:
    """Stored words (Message.as_data()) in the active language."""
    if not isinstance(data, dict):
        return "" if data is None else str(data)
    if "flags" in data:
        return describe(data["flags"])
    if "lines" in data:
        return "\n".join(render(line) for line in data["lines"])
    params = {k: render(v) if isinstance(v, dict) else v for k, v in data["params"].items()}
    if "plural" in data:
        # The count is the message's one number (ngettext_lazy with a named count).
        count = next((v for v in params.values() if isinstance(v, int)), 1)
        text = ngettext(data["msgid"], data["plural"], count)
    elif "context" in data:
        text = pgettext(data["context"], data["msgid"])
    else:
        text = gettext(data["msgid"])
    return text % params if params else text


def shown(message: str, params, fallback: str) -> str:
    """A stored notice's title or text in the active language; its stored text if it was
    written before notices kept their message (or the catalogue no longer fits it)."""
    if not message:
        return fallback
    try:
        return render({"msgid": message, "params": params or {}})
    except (KeyError, TypeError, ValueError):
        return fallback
