from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from notifications import selectors, services
from notifications.forms import LanguageForm

PER_PAGE = 50


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    """The e-mails the portal sent to the user (what, when, whether delivered), newest first."""
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            services.language_preference_set(user=request.user, language=form.cleaned_data["language"])
            messages.success(request, _("Your e-mail language is saved."))
            return redirect("notification_list")
    else:
        form = LanguageForm(initial={"language": services.language_of(request.user)})
    page = Paginator(selectors.notifications_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page, "form": form})
