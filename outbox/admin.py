from django.contrib import admin

from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What waits for the broker (normally nothing): read-only, the relay empties it."""

    list_display = ["task", "args", "created_at", "attempts", "last_error"]
    readonly_fields = ["task", "args", "countdown", "created_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
