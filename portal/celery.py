"""The Celery application: worker and beat load the Django settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="portal.ping")
def ping() -> dict[str, str]:
    """Answer from a worker: proves a message went through the broker and a worker ran it."""
    return {"pong": ping.request.hostname or ""}
