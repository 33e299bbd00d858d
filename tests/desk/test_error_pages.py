"""Error pages (issue 16.8): 403, 404, 500 and the CSRF failure are the desk's own pages, in
the reader's language, each with a way back to the desk."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from tests.test_csp import inline_problems

pytestmark = pytest.mark.django_db

HOME = f'href="{reverse("desk")}"'


def _in(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


@pytest.mark.parametrize(
    "language,heading", [("zh-hans", "您无权进行此操作"), ("en", "You may not do this")]
)
def test_a_403_is_styled_in_the_readers_language_with_a_way_home(client, world, language, heading):
    client.force_login(world.site)  # gate staff may not open the case list
    _in(client, language)
    response = client.get(reverse("case-list"))
    assert response.status_code == 403
    html = response.content.decode()
    assert heading in html
    assert 'data-testid="error-home"' in html and HOME in html
    assert "bootstrap.min.css" in html
    assert 'data-testid="nav"' in html  # the whole menu: every way on is there
    assert inline_problems(html) == []


@pytest.mark.parametrize("language,heading", [("zh-hans", "页面不存在"), ("en", "Page not found")])
def test_a_404_is_styled_in_the_readers_language_with_a_way_home(client, world, language, heading):
    client.force_login(world.collector_b)
    _in(client, language)
    for url in ("/no-such-page/", reverse("case-detail", args=[world.case_a.pk])):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert heading in html and HOME in html, url
        assert world.house_a.unit_code not in html  # learns nothing of the case
        assert inline_problems(html) == []


def test_a_404_for_a_visitor_not_signed_in_is_the_same_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.parametrize(
    "language,heading", [("zh-hans", "出错了"), ("en", "Something went wrong")]
)
def test_the_500_page_needs_no_request_context(language, heading):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert heading in html and HOME in html
    assert f'lang="{language}"' in html
    assert inline_problems(html) == []


@pytest.mark.parametrize(
    "language,heading", [("zh-hans", "表单已过期"), ("en", "The form has expired")]
)
def test_a_csrf_failure_says_what_to_do(world, language, heading):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.collector_a)
    _in(client, language)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    html = response.content.decode()
    assert heading in html and HOME in html
    assert inline_problems(html) == []
