from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on a change page and never edited there: they change through the services."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
