import logging

from django.conf import settings
from django.db import OperationalError
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)
_RETRY_AFTER_SECONDS = 5


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the person chose English with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, but office PCs
    often run an English system for people who read Chinese; only an explicit choice
    (the language cookie set by the switch) changes the language.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()


# SQLite's messages when its busy timeout ran out; PostgreSQL's lock_not_available (55P03).
_SQLITE_BUSY = ("database is locked", "database table is locked")
_POSTGRES_LOCK_NOT_AVAILABLE = "55P03"
# Fields never written back into a page.
_SECRET_FIELDS = ("csrfmiddlewaretoken", "password")


def database_busy(exception: BaseException) -> bool:
    """Whether the error is a write that gave up waiting for a lock (and may simply be retried)."""
    if not isinstance(exception, OperationalError):
        return False
    if getattr(exception.__cause__, "sqlstate", None) == _POSTGRES_LOCK_NOT_AVAILABLE:
        return True
    return str(exception).startswith(_SQLITE_BUSY)


class DatabaseBusyMiddleware:
    """A form sent while another write holds the database gets "busy, try again", not a 500.

    The write ran in a transaction that was rolled back, so nothing of it was saved. The
    page (503, with Retry-After) carries what was typed back as hidden fields, with a new
    CSRF token, and a button that sends them again to the same address; no script needed.
    Passwords are not written into the page, and chosen files must be chosen again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.method != "POST" or not database_busy(exception):
            return None
        logger.warning("Database busy on POST %s: %s", request.path, exception)
        entries = [
            (name, value)
            for name, values in request.POST.lists()
            if not any(secret in name.lower() for secret in _SECRET_FIELDS)
            for value in values
        ]
        response = render(
            request,
            "arrears/database_busy.html",
            {
                "action": request.get_full_path(),
                "entries": entries,
                "had_files": bool(request.FILES),
                "back": request.path,
            },
            status=503,
        )
        response["Retry-After"] = str(_RETRY_AFTER_SECONDS)
        patch_cache_control(response, no_store=True)
        return response
