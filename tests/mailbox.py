"""The e-mail log in tests: services record e-mails; a worker would deliver them after the commit.

``deliver_queued()`` runs the delivery task in this process for every queued e-mail, as the
worker would, and returns the messages that reached Django's test mailbox.
"""

from django.core import mail

from notifications.models import Notification
from notifications.tasks import deliver_notification


def deliver_queued() -> list:
    before = len(mail.outbox)
    queued = Notification.objects.filter(state=Notification.State.QUEUED).order_by("pk").values_list("pk", flat=True)
    for notification_id in list(queued):
        deliver_notification.apply(args=[notification_id])
    return mail.outbox[before:]
