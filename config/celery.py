import os

from celery import Celery

# Production settings unless told otherwise: Procfile.dev and the tests name the development
# settings, so a worker started bare never runs with DEBUG on and the public key.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_production")

app = Celery("arrears")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
