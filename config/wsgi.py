"""The web server's entry point (gunicorn config.wsgi): production settings by default.

A developer's `manage.py runserver` does not come through here, so a server started from
this module without DJANGO_SETTINGS_MODULE never runs with DEBUG on and the public key.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_production")
application = get_wsgi_application()
