"""Issue 16: no favicon meant a 404 on every page (the browser's own /favicon.ico)."""

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

ICO = b"\x00\x00\x01\x00"  # the first bytes of an .ico file


def test_pages_link_the_vendored_icon_and_favicon_ico_answers(db):
    client = Client()
    page = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("img/favicon.svg") and finders.find("img/favicon.ico")
    response = client.get("/favicon.ico")  # anonymous, as a browser asks for it
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        assert icon.read(4) == ICO
    assert client.post("/favicon.ico").status_code == 405


def test_favicon_ico_is_served_by_the_static_files_in_a_live_server(live_server):
    import urllib.request

    url = live_server.url + "/favicon.ico"  # http, to the test server
    with urllib.request.urlopen(url) as response:  # noqa: S310 - follows the 302
        assert response.status == 200
        assert response.read(4) == ICO
