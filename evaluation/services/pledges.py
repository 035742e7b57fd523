"""The confidentiality pledge (보안서약): an evaluator accepts it before the first application
opens. The text is ``templates/evaluation/_pledge_text.html``; every evaluator page checks that it
was accepted (``evaluation.views.evaluator_required``)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from evaluation.models import Evaluator
from portal.errors import NotAllowed


@transaction.atomic
def pledge_accept(*, actor: User, evaluator: Evaluator) -> Evaluator:
    """Record that ``evaluator`` (the actor's own profile, active) accepted the pledge, now.
    Idempotent: the first acceptance's time is kept."""
    evaluator = Evaluator.objects.select_for_update().get(pk=evaluator.pk)
    if evaluator.user_id != actor.pk or not evaluator.is_active:
        raise NotAllowed(_("Only the evaluator can accept their own pledge."))
    if evaluator.pledge_accepted_at is None:
        evaluator.pledge_accepted_at = timezone.now()
        evaluator.save(update_fields=["pledge_accepted_at"])
    return evaluator
