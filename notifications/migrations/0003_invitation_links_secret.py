"""Invitation e-mails carry their token in the link: mark those already recorded secret, and drop
the link (and the body of those no longer queued) that the e-mail log kept readable."""

from django.db import migrations


def hide_invitation_links(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    invitations = Notification.objects.filter(kind="invitation")
    invitations.update(secret=True, link="")
    invitations.exclude(state="queued").update(body="", html_body="")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_role_permissions")]

    operations = [migrations.RunPython(hide_invitation_links, migrations.RunPython.noop)]
