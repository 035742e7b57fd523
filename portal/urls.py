from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from portal import views

# One login pathway: the admin's own login form is replaced by a redirect to allauth's, so the
# failed-login limits (per IP and per account) protect the admin too; logged-in staff posting to
# it are sent to the admin, never authenticated again.
admin.site.login = secure_admin_login(views.admin_login_takes_no_credentials(admin.site.login))  # type: ignore[method-assign]
# The admin's own password-change form checks the old password with no attempt limit: staff change
# their password on allauth's page, which allows 5 attempts a minute ("change_password"), and the
# admin's "change password" link leads there.
admin.site.password_change = RedirectView.as_view(pattern_name="account_change_password")  # type: ignore[method-assign,assignment]
admin.site.site_header = _("National AI Data Center — administration")
admin.site.site_title = _("National AI Data Center")
admin.site.index_title = _("Review and operations")

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("applications.urls")),
    path("", include("dashboard.urls")),
    path("", include("aftercare.urls")),
    path("", include("reclaim.urls")),
    path("", include("evaluation.urls")),
    path("", include("notifications.urls")),
    path("", include("api.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# A database that cannot be reached answers a 503 page, not a 500 (portal/views.py).
handler500 = "portal.views.server_error"
