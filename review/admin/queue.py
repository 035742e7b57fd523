"""What the reviewer's two queues share (applications, and extension and supplement requests):
read-only rows, a "Decide" link on what the reviewer can still decide, a decision page at
``<pk>/decide/`` that keeps the queue's filters, and bulk decisions confirmed on a page of their
own (with a reason) and then made through the services in queue order, a refusal reported and
the others going on."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.services import decision_refusals
from portal.errors import DomainError
from review.admin.forms import BulkDecisionForm

DECIDE_PERMISSION = "applications.decide_application"
# A pk that no URL has: a URL is reversed once with it, and the row's pk put in its place.
PK_MARK = "2718281828"

Outcomes = list[tuple[Any, DomainError | None]]


@dataclass(frozen=True)
class BulkDecision:
    """A bulk action: how it decides the selected objects (in queue order), what it says on
    success, whether it needs a reason, and the question of its confirmation page."""

    decide: Callable[[Any, list[Any], str], Outcomes]
    done: str | Promise
    reason_required: bool
    question: str | Promise


def one_by_one(service: Callable[..., Any], argument: str) -> Callable[[Any, list[Any], str], Outcomes]:
    """A bulk decision that calls ``service(actor=…, <argument>=object, reason=…)`` per object."""

    def decide(actor, objects: list[Any], reason: str) -> Outcomes:
        outcomes: Outcomes = []
        for obj in objects:
            try:
                service(actor=actor, reason=reason, **{argument: obj})
            except DomainError as error:
                outcomes.append((obj, error))
            else:
                outcomes.append((obj, None))
        return outcomes

    return decide


def refusal_reasons(actor, objects: Sequence[Any]) -> dict[Any, str]:
    """Why ``actor`` may not decide each of ``objects`` that it may not (a member of the
    organisation, a declared conflict of interest): the services' own rule, asked once."""
    return {pk: str(error) for pk, error in decision_refusals(actor, objects).items()}


class DecideColumn:
    """The queue's last column: a "Decide" link on what the reviewer may still decide; on what
    they may not (``refusals``, filled for the page's rows), "Conflict of interest" with the
    services' reason as its title, never a link to a decision the services would refuse."""

    __name__ = "decide"
    short_description = _("decision")

    def __init__(self, queue: "ReviewerQueueAdmin", preserved_filters: str):
        self.queue = queue
        self.preserved_filters = preserved_filters
        self.refusals: dict[Any, str] = {}
        self.link: tuple[str, str, str] | None = None

    def __call__(self, obj: Model) -> str:
        if not self.queue.is_decidable(obj):
            return "—"
        if obj.pk in self.refusals:
            return format_html(
                '<span class="decision-refused" title="{}">{}</span>',
                self.refusals[obj.pk],
                gettext("Conflict of interest"),
            )
        if self.link is None:
            # Reversed once per page, the pk put in per row.
            opts = self.queue.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_decide",
                args=[PK_MARK],
                current_app=self.queue.admin_site.name,
            )
            if self.preserved_filters:
                url = f"{url}?{self.preserved_filters}"
            before, _mark, after = url.partition(PK_MARK)
            self.link = (before, after, gettext("Decide"))
        before, after, decide = self.link
        return format_html('<a href="{}{}{}">{}</a>', before, obj.pk, after, decide)


class ReviewerQueueAdmin(admin.ModelAdmin):
    """A reviewer's queue of ``model``: subclasses say what is decidable, the queue's order, the
    bulk decisions, and render the decision page (``decide_view``)."""

    QUEUE_ORDER: Sequence[Any] = ()
    bulk_decisions: dict[str, BulkDecision] = {}
    confirm_template = ""
    show_full_result_count = False
    # The rows rendered by ``review.admin.rows``, not cell by cell through the admin's machinery.
    change_list_template = "admin/review/queue_change_list.html"

    def is_decidable(self, obj: Any) -> bool:
        raise NotImplementedError

    def decide_view(self, request: Any, object_id: int) -> HttpResponse:
        raise NotImplementedError

    # --- Permissions --------------------------------------------------------------------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(DECIDE_PERMISSION)

    # --- The queue ----------------------------------------------------------------------------

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_decide_permission(request):
            columns.append(DecideColumn(self, self.get_preserved_filters(request)))
        return columns

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        for column in changelist.list_display:
            if isinstance(column, DecideColumn):
                # The page's rows, fetched here once (the template reuses them): who may not
                # decide which, in one query for the page.
                column.refusals = refusal_reasons(request.user, list(changelist.result_list))
        return changelist

    def get_urls(self) -> list[URLPattern]:
        app_label, model_name = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{app_label}_{model_name}_decide",
            ),
            *self.extra_urls(),
            *super().get_urls(),
        ]

    def extra_urls(self) -> list[URLPattern]:
        return []

    def queue_url(self, request: HttpRequest) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return add_preserved_filters({"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, url)

    def decide_url(self, request: HttpRequest, object_id: int) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_decide", args=[object_id])
        preserved_filters = self.get_preserved_filters(request)
        return f"{url}?{preserved_filters}" if preserved_filters else url

    def filters_suffix(self, request: HttpRequest) -> str:
        preserved_filters = self.get_preserved_filters(request)
        return f"?{preserved_filters}" if preserved_filters else ""

    # --- Bulk decisions -----------------------------------------------------------------------

    def bulk_decide(self, request: HttpRequest, queryset: QuerySet, decision: str) -> TemplateResponse | None:
        """Confirm first (with a reason), then decide through the services in queue order; a
        refusal is reported and the others go on."""
        bulk = self.bulk_decisions[decision]
        selected = list(queryset.order_by(*self.QUEUE_ORDER))
        form = BulkDecisionForm(
            request.POST if "confirm" in request.POST else None, reason_required=bulk.reason_required
        )
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            for obj, error in bulk.decide(request.user, selected, reason):
                if error is not None:
                    self.message_user(
                        request, gettext("%(object)s: %(error)s") % {"object": obj, "error": error}, messages.ERROR
                    )
                else:
                    # ``done`` names the object as its queue does: %(application)s or %(request)s.
                    named = {"object": obj, "application": obj, "request": obj}
                    self.message_user(request, str(bulk.done) % named, messages.SUCCESS)
            return None
        if form.is_bound:
            self.message_user(request, gettext("Give a reason."), messages.ERROR)
        refusals = refusal_reasons(request.user, selected)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Confirm the decision"),
            "question": str(bulk.question),
            "selected": selected,
            # What the services will refuse, named before anything is decided.
            "refused": [(obj, refusals[obj.pk]) for obj in selected if obj.pk in refusals],
            "form": form,
            "action": f"{decision}_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, self.confirm_template, context)
