from django.contrib import admin

from outbox.models import OutboxMessage
from portal.admin_readonly import ViewOnlyAdmin


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ViewOnlyAdmin):
    """What waits for the broker (normally nothing): read-only, the relay empties it."""

    list_display = ["task", "args", "created_at", "attempts", "last_error"]
    readonly_fields = ["task", "args", "countdown", "created_at", "attempts", "last_error"]
