"""The profile pages where users create, list and revoke their personal API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from api import selectors, services
from api.forms import TokenForm
from portal.errors import DomainError


@never_cache
@login_required
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's tokens, and the form that creates one. The new token is shown on the answer to
    the POST itself, once: it is not kept anywhere it could be shown again."""
    allowed = services.scopes_allowed(request.user)
    form = TokenForm(request.POST or None, allowed=allowed)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            row, created = services.token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=set(form.cleaned_data["scopes"]),
                expires_at=form.expires_at(),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            form = TokenForm(allowed=allowed)
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "created": created,
            "tokens": selectors.tokens_of(request.user),
            "staff_scope_withheld": request.user.is_staff and "staff" not in allowed,
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(selectors.tokens_of(request.user), pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” is revoked; it no longer works.") % {"name": token.name})
    return redirect("api_token_list")
