from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from accesslog.admin import RecordsChangePageViews
from accesslog.models import AccessPage
from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import User


def permission_label(permission: Permission) -> str:
    """A permission as the admin lists it, in the reader's language: Django stores the default
    ones' names in English ("Can add conflict of interest") when it creates them."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    action = permission.codename.removesuffix(f"_{model._meta.model_name}")
    defaults = {
        "add": pgettext("permission", "add"),
        "change": pgettext("permission", "change"),
        "delete": pgettext("permission", "delete"),
        "view": pgettext("permission", "view"),
    }
    name = defaults.get(action) if action != permission.codename else None
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {name or gettext(permission.name)}"


class PermissionsInTheReadersLanguage(admin.ModelAdmin):
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and formfield is not None:
            formfield.label_from_instance = permission_label  # type: ignore[method-assign, assignment]
        return formfield


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionsInTheReadersLanguage, DjangoGroupAdmin):  # type: ignore[misc]  # stubs narrow the signature
    pass


@admin.register(User)
class UserAdmin(RecordsChangePageViews, PermissionsInTheReadersLanguage, DjangoUserAdmin):
    access_page = AccessPage.USER_ADMIN
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


# allauth's own admin of second factors shows their secrets (a TOTP key, the recovery codes' seed)
# and lets them be edited: here they are listed without their data, never added or edited, and a
# superuser may delete one when its owner lost the device (a staff member then enrols again).
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    # allauth's model names its user field in English only: shown through a labelled column.
    list_display = ["account", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["account", "type", "created_at", "last_used_at"]
    readonly_fields = ["account"]

    @admin.display(description=_("user"), ordering="user__email")
    def account(self, authenticator):
        return authenticator.user

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
