from django.contrib import admin

from allocations.models import Offering


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit"]
    list_filter = ["kind", "unit"]
    search_fields = ["name"]
