"""Who applied and who was approved: submitted applications by priority claim, organisation
type, industry, purpose and region, for one call or all of them."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application, Call, Industry, Organization, PriorityClaim
from applications.regions import Region


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    applications: int
    approved: int

    @property
    def approval_rate(self) -> Decimal | None:
        if not self.applications:
            return None
        return (Decimal(self.approved) * 100 / self.applications).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    rows: list[BreakdownRow]

    @property
    def label(self) -> str:
        return str(DIMENSION_LABELS[self.dimension])

    @property
    def largest(self) -> int:
        return max((row.applications for row in self.rows), default=0)


DIMENSION_LABELS = {
    "priority": _("Priority claim"),
    "org_type": _("Organisation type"),
    "industry": _("Industry"),
    "purpose": _("Purpose"),
    "region": _("Region"),
}

BREAKDOWN_DIMENSIONS = {
    "org_type": ("organization__org_type", Organization.Type),
    "industry": ("organization__industry", Industry),
    "purpose": ("purpose", Application.Purpose),
    "region": ("organization__region", Region),
}


def call_breakdowns(call: Call | None) -> list[Breakdown]:
    """Submitted applications and approvals by priority claim, organisation type, industry,
    purpose and region; all calls when ``call`` is None. Two queries."""
    applications = Application.objects.filter(submitted_at__isnull=False)
    if call is not None:
        applications = applications.filter(call=call)
    approved = Q(status=Application.Status.APPROVED)
    fields = [path for path, _choices in BREAKDOWN_DIMENSIONS.values()]
    combinations = (
        applications.values(*fields)
        .annotate(applications=Count("pk"), approved=Count("pk", filter=approved))
        .order_by()
    )
    totals: dict[str, dict[str, list[int]]] = {name: defaultdict(lambda: [0, 0]) for name in BREAKDOWN_DIMENSIONS}
    for row in combinations:
        for name, (path, _choices) in BREAKDOWN_DIMENSIONS.items():
            totals[name][row[path]][0] += row["applications"]
            totals[name][row[path]][1] += row["approved"]

    claims = {
        row["kind"]: (row["applications"], row["approved"])
        for row in PriorityClaim.objects.filter(application__in=applications)
        .values("kind")
        .annotate(
            applications=Count("application", distinct=True),
            approved=Count("application", filter=Q(application__status=Application.Status.APPROVED), distinct=True),
        )
        .order_by()
    }
    breakdowns = [
        Breakdown(
            "priority",
            [BreakdownRow(kind, str(label), *claims.get(kind, (0, 0))) for kind, label in PriorityClaim.Kind.choices],
        )
    ]
    for name, (_path, choices) in BREAKDOWN_DIMENSIONS.items():
        rows = [BreakdownRow(value, str(label), *totals[name].get(value, (0, 0))) for value, label in choices.choices]
        breakdowns.append(Breakdown(name, rows))
    return breakdowns
