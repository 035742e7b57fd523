from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftercareConfig(AppConfig):
    name = "aftercare"
    verbose_name = _("After the award")

    def ready(self) -> None:
        # The application page shows what follows the award; applications cannot import us.
        from aftercare.selectors import aftercare_section
        from applications.pages import Section, register_section

        register_section(Section("includes/_aftercare.html", aftercare_section))
