"""Admin pages for rows that change only through the services (history, records, queues): shown,
never edited there."""

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on a change page and never edited there: they change through the services."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services, the applicants and the beat jobs: staff read them, nobody
    adds, edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
