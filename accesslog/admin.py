"""The access log in the admin: shown to those who may view it (operators, superusers), never
added, changed or deleted there, by anyone; a period of it is exported as CSV for an audit from
the list (``/ops/access-log.csv``). And the admin pages that show applicants' personal data record
each time they do (``RecordsChangePageViews``)."""

from django.contrib import admin

from accesslog.http import record_access
from accesslog.models import AccessPage, AccessRecord
from portal.admin_readonly import ViewOnlyAdmin


@admin.register(AccessRecord)
class AccessRecordAdmin(ViewOnlyAdmin):
    list_display = ["at", "actor_email", "kind", "page", "object_repr", "ip_address"]
    list_filter = ["kind", "page"]
    date_hierarchy = "at"
    search_fields = ["actor_email", "object_repr", "ip_address"]
    fields = [
        "at",
        "actor",
        "actor_email",
        "kind",
        "page",
        "content_type",
        "object_id",
        "object_repr",
        "path",
        "ip_address",
    ]
    list_select_related = ["actor"]
    change_list_template = "admin/accesslog/accessrecord/change_list.html"


class RecordsChangePageViews:
    """A ModelAdmin mixin: each change page shown (to staff, as every admin page is) is an access
    to ``access_page``; what was not shown (refused, not found) is not recorded."""

    access_page: AccessPage

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        shown = getattr(response, "context_data", None) or {}
        if response.status_code == 200 and shown.get("original") is not None:
            record_access(request, page=self.access_page, subject=shown["original"])
        return response
