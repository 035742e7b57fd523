from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The reviewer's workbench in the admin: the queue of applications ranked by priority, the
    decision page with its capacity preview, bulk decisions, filling a call by priority, and the
    queue of extension and supplement requests. Edges only: every decision goes through the
    services of ``allocations`` and ``aftercare``."""

    name = "review"
    verbose_name = _("Review")
