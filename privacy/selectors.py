"""What the privacy pages read: a person's consents, and whether they may delete their account themselves."""

from accounts.models import User
from evaluation.models import Evaluator
from privacy.documents import ConsentItem
from privacy.models import Consent


def consents_current(user: User) -> dict[str, Consent | None]:
    """``user``'s latest answer to each consent item (``None``: never asked, e.g. an account made
    before the consents were recorded, or by an administrator). Rows are only added: the latest
    is the highest id."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(user=user).order_by("-pk"):
        latest.setdefault(consent.item, consent)
    return {item: latest.get(item) for item in ConsentItem.values}


def closed_by_an_administrator(user: User) -> bool:
    """Staff and evaluator accounts are not deleted by their holders: their decisions, scores and
    pledges are the programme's records, and an administrator closes them (deactivates them,
    which keeps those records with the person's name)."""
    return user.is_staff or user.is_superuser or Evaluator.objects.filter(user=user).exists()
