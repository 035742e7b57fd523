from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Merit evaluation")

    def ready(self) -> None:
        # A call's page says how it selects, the applicant's page shows the evaluation, and
        # evaluators need a second factor as staff do; applications and accounts cannot import us.
        from accounts.second_factor import register_second_factor_rule
        from applications.pages import CallSection, Section, register_call_section, register_section
        from evaluation.selectors import call_policy_section
        from evaluation.services.invitations import is_evaluator
        from evaluation.site_selectors import evaluation_section

        register_call_section(CallSection("includes/_call_evaluation.html", call_policy_section))
        register_section(Section("includes/_evaluation.html", evaluation_section))
        register_second_factor_rule(is_evaluator)
