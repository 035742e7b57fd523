from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from portal.errors import DomainError
from reclaim import selectors, services
from reclaim.forms import AnswerForm


@login_required
def reclaim_case(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A reclaim case of the member's organisation: what was measured, the usage, the answer
    form until the due date, then the answer and the decision. Another organisation's: 404."""
    case = get_object_or_404(selectors.cases_of_member(request.user), pk=pk)
    form = None
    if case.may_answer():
        form = AnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.reclaim_case_answer(
                    actor=request.user, case=case, kind=form.cleaned_data["kind"], answer=form.cleaned_data["answer"]
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Your answer is sent to the reviewers. You will be told the decision by e-mail.")
                )
                return redirect("reclaim_case", pk=case.pk)
    elif request.method == "POST":
        messages.info(request, _("This case no longer takes answers."))
        return redirect("reclaim_case", pk=case.pk)
    context = {"case": case, "form": form, "chart": selectors.usage_chart(case)}
    return render(request, "reclaim/case_detail.html", context)
