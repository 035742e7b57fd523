"""The portal's admin site: Django's, with every ModelAdmin registered on it, the libraries'
included (groups, e-mail addresses), acting only on well-formed ids (see
``portal.admin_actions``). Installed in place of ``django.contrib.admin`` by ``PortalAdminConfig``."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from portal.admin_actions import WellFormedSelectionMixin


class PortalAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, WellFormedSelectionMixin):
            admin_class = type(
                admin_class.__name__,
                (WellFormedSelectionMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
