from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Merit evaluation")

    def ready(self) -> None:
        # A call's page says how it selects; applications cannot import us.
        from applications.pages import CallSection, register_call_section
        from evaluation.selectors import call_policy_section

        register_call_section(CallSection("includes/_call_evaluation.html", call_policy_section))
