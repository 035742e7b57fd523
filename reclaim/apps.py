from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReclaimConfig(AppConfig):
    name = "reclaim"
    verbose_name = _("Reclaim")

    def ready(self) -> None:
        # The application's page lists its reclaim cases, and a call's page its reclaim policy;
        # applications cannot import us.
        from applications.pages import CallSection, Section, register_call_section, register_section
        from reclaim.selectors import policy_of, reclaim_section

        register_section(Section("includes/_reclaim.html", reclaim_section))
        register_call_section(CallSection("includes/_reclaim_policy.html", policy_of))
