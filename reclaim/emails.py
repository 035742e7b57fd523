"""Reclaim e-mails to the organisation's members, through the e-mail log.

Each function is called inside the transaction of the event it tells about, so the e-mail is
recorded if and only if the event happened.
"""

from django.urls import reverse

from applications.selectors import members_to_notify
from notifications.models import Notification
from notifications.services import notify
from reclaim.models import ReclaimCase, ReclaimPolicy


def reclaim_warning(case: ReclaimCase, policy: ReclaimPolicy) -> None:
    """The allocation is a reclaim candidate: what was measured, and the date to answer by."""
    notify(
        kind=Notification.Kind.RECLAIM,
        template="reclaim_warning",
        context={"case": case, "allocation": case.allocation, "policy": policy},
        recipients=members_to_notify(case.organization),
        organization=case.organization,
        link=reverse("reclaim_case", args=[case.pk]),
        key=f"reclaim_warning:{case.pk}",
    )


def reclaim_decided(case: ReclaimCase) -> None:
    """The allocation was reduced, ended or kept, with the reason."""
    notify(
        kind=Notification.Kind.RECLAIM,
        template="reclaim_decision",
        context={"case": case, "allocation": case.allocation},
        recipients=members_to_notify(case.organization),
        organization=case.organization,
        link=reverse("reclaim_case", args=[case.pk]),
        key=f"reclaim_decision:{case.pk}",
    )
