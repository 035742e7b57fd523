"""Usage e-mails, through the e-mail log (notifications/): 80 % and 100 % of a metered
allocation's budget used, and less than 30 % used in the last 30 days for a reserved one.

Each is sent at most once per allocation: its ``UsageNotice`` row is written in the e-mail's
transaction under a uniqueness constraint, so a second (or concurrent) run sends nothing more.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.models import Allocation, AllocationState
from applications.selectors import members_to_notify
from metering.models import UsageNotice, UsageNoticeKind, UsageRecord
from metering.selectors import granted_per_day, service_days, utilisation
from notifications.models import Notification
from notifications.services import notify
from pool.models import OfferingMetering, OfferingUnit

# Budget used (metered offerings): each threshold once, the lower first.
BUDGET_THRESHOLDS = ((UsageNoticeKind.USED_80, Decimal("0.8")), (UsageNoticeKind.USED_100, Decimal("1")))
LOW_USE_DAYS = 30
LOW_USE_RATIO = Decimal("0.3")

MEASURES: dict[str, Any] = {
    OfferingUnit.GPU: _("GPU-hours"),
    OfferingUnit.CORE: _("core-hours"),
    OfferingUnit.TB: _("TB"),
    OfferingUnit.SEAT: _("seat-days"),
}


@dataclass(frozen=True)
class Notice:
    allocation: Allocation
    kind: UsageNoticeKind
    used: Decimal
    granted: Decimal


def amount(value: Decimal) -> str:
    """A figure of units for an e-mail, grouped, to one decimal (both languages write it alike)."""
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_DOWN):,}"


def notices_due(today: date | None = None) -> list[Notice]:
    """The usage e-mails due today, not sent yet, for active allocations: 80 % / 100 % of the
    budget (quantity × 24 × service days for GPUs and cores, per day for other units) used by a
    metered one; less than 30 % used over the last 30 days by a reserved one in service for at
    least those 30 days, each of them collected."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    active = Allocation.objects.filter(state=AllocationState.ACTIVE).select_related(
        "offering", "organization", "usage", "application_item"
    )
    sent = set(
        UsageNotice.objects.filter(allocation__state=AllocationState.ACTIVE).values_list("allocation_id", "kind")
    )
    due: list[Notice] = []
    for allocation in active.filter(offering__metering=OfferingMetering.METERED, usage__isnull=False):
        days = service_days(allocation)
        if days is None:
            continue
        budget = granted_per_day(allocation) * ((days[1] - days[0]).days + 1)
        used = allocation.usage.used_total
        for kind, share in BUDGET_THRESHOLDS:
            if used >= budget * share and (allocation.pk, kind.value) not in sent:
                due.append(Notice(allocation, kind, used, budget))
    window_start = today - timedelta(days=LOW_USE_DAYS)
    reserved = list(
        active.filter(
            offering__metering=OfferingMetering.RESERVED,
            starts_on__lte=window_start,
            usage__last_day__gte=yesterday,
        )
    )
    reserved = [a for a in reserved if (a.pk, UsageNoticeKind.LOW_30_DAYS.value) not in sent]
    # Only over 30 days all collected: a day not collected would count as a day without use.
    collected_days = dict(
        UsageRecord.objects.filter(allocation_id__in=[a.pk for a in reserved], day__range=(window_start, yesterday))
        .order_by()
        .values_list("allocation_id")
        .annotate(days=Count("day", distinct=True))
        .values_list("allocation_id", "days")
    )
    reserved = [a for a in reserved if collected_days.get(a.pk) == LOW_USE_DAYS]
    figures = utilisation([a.pk for a in reserved], window_start, yesterday)
    for allocation in reserved:
        figure = figures[allocation.pk]
        ratio = figure.ratio
        if ratio is not None and ratio < LOW_USE_RATIO:
            due.append(Notice(allocation, UsageNoticeKind.LOW_30_DAYS, figure.used, figure.granted))
    return due


def send_usage_notices(today: date | None = None) -> int:
    """Send each usage e-mail due (``notices_due``) once. Idempotent. Returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    for notice in notices_due(today):
        try:
            with transaction.atomic():
                UsageNotice.objects.create(allocation=notice.allocation, kind=notice.kind, sent_on=today)
                _send(notice)
        except IntegrityError:
            continue
        sent += 1
    return sent


def _send(notice: Notice) -> None:
    allocation = notice.allocation
    application_id = allocation.application_item.application_id
    notify(
        kind=Notification.Kind.USAGE,
        template="usage_notice",
        context={
            "allocation": allocation,
            "threshold": {UsageNoticeKind.USED_80: "80%", UsageNoticeKind.USED_100: "100%"}.get(notice.kind, ""),
            "all_used": notice.kind == UsageNoticeKind.USED_100,
            "low_use": notice.kind == UsageNoticeKind.LOW_30_DAYS,
            "days": LOW_USE_DAYS,
            "used": amount(notice.used),
            "granted": amount(notice.granted),
            "percent": f"{(notice.used * 100 / notice.granted if notice.granted else 0):.0f}%",
            "measure": MEASURES.get(allocation.offering.unit, allocation.offering.get_unit_display()),
            "limit": "30%",
        },
        recipients=members_to_notify(allocation.organization),
        organization=allocation.organization,
        link=reverse("application_detail", args=[application_id]),
        key=f"usage:{allocation.pk}:{notice.kind}",
    )
