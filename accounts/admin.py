from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accesslog.admin import RecordsChangePageViews
from accesslog.models import AccessPage
from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import User


@admin.register(User)
class UserAdmin(RecordsChangePageViews, DjangoUserAdmin):
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
