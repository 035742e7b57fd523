"""The panel sheet (평가 결과표): a stage's applications in the stage's ranking, each with its
scores per criterion and evaluator (anonymised as 위원 A, B, … per application, in the order
they were assigned), the weighted score of each evaluator, the merit (the mean, the highest and
lowest left out from five evaluators up, marked), the spread and the outliers, the bonus, the
final score, pass or fail, the resources asked and what would fit.

"What would fit" is the capacity preview of the decision page (``pool.capacity``): per
application, whether its request fits the pool as it is now, and whether it still fits once the
applications above it on the sheet (not yet approved) are granted in full, as filling by
priority would walk them. A fixed number of queries whatever the number of applications: two
per offering the call grants and about ten more.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationItem, ClaimKind
from evaluation import aggregation
from evaluation.models import Assignment, Criterion, Score, Stage, StageResult
from evaluation.selectors import policy_of, reserved_group, stage_applications
from pool.capacity import Need, fit, free_units

# Every application a stage evaluates was submitted (a CHECK holds it); the type does not know.
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class EvaluatorColumn:
    label: str  # 위원 A
    state: str  # the assignment's state (its label)
    submitted: bool
    values: list[Decimal | None]  # per criterion, in the rubric's order (None: not scored)
    weighted: Decimal | None
    dropped: bool = False
    outlier: bool = False


@dataclass
class RequestedLine:
    offering: str
    unit: str
    quantity: int
    free_now: int
    fits_now: bool


@dataclass
class PanelRow:
    position: int
    application: Application
    evaluators: list[EvaluatorColumn]
    evaluations: int
    merit: Decimal | None
    spread: Decimal | None
    bonus: int
    final: Decimal
    passed: bool | None  # None: the stage is open and the application not scored
    provisional: bool  # the stage is open: pass or fail as the rules would say now
    in_reserved_group: bool
    requested: list[RequestedLine]
    fits_in_order: bool | None  # None: approved already (its grant is held)

    @property
    def fits_now(self) -> bool:
        return all(line.fits_now for line in self.requested)


@dataclass
class PanelSheet:
    stage: Stage
    criteria: list[Criterion]
    rows: list[PanelRow]
    columns: int  # the most evaluators any application has
    reserved_group: str = ""
    reserved_percent: int = 0
    notes: list[str] = field(default_factory=list)


def _sheets(stage: Stage, ids: list[int]) -> dict[int, list[Assignment]]:
    """Each application's assignments in the stage (reassigned ones left out), with their scores."""
    assignments = (
        Assignment.objects.filter(stage=stage, application_id__in=ids)
        .exclude(state=Assignment.State.REASSIGNED)
        .order_by("application_id", "assigned_at", "pk")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.only("assignment_id", "criterion_id", "value")))
        .only("pk", "application_id", "evaluator_id", "state", "assigned_at")
    )
    by_application: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        by_application.setdefault(assignment.application_id, []).append(assignment)
    return by_application


def panel_sheet(stage: Stage) -> PanelSheet:
    """The panel sheet of ``stage`` (see the module)."""
    criteria = list(stage.criteria.order_by("order", "pk"))
    weights = {criterion.pk: criterion.weight for criterion in criteria}
    applications = {
        application.pk: application
        for application in stage_applications(stage)
        .select_related("organization")
        .prefetch_related(
            Prefetch("items", queryset=ApplicationItem.objects.select_related("offering").order_by("offering__name"))
        )
    }
    ids = sorted(applications)
    results = {
        result.application_id: result for result in StageResult.objects.filter(stage=stage, application_id__in=ids)
    }
    sheets = _sheets(stage, ids)
    states = dict(Assignment.State.choices)

    merits: dict[int, aggregation.Merit] = {}
    columns: dict[int, list[EvaluatorColumn]] = {}
    for application_id in ids:
        assigned = sheets.get(application_id, [])
        weighted: dict[int, Decimal] = {}
        shown = []
        for index, assignment in enumerate(assigned):
            values = {score.criterion_id: score.value for score in assignment.scores.all()}
            submitted = assignment.state == Assignment.State.SUBMITTED
            score = aggregation.weighted_score(values, weights, stage.scale) if submitted and weights else None
            if score is not None:
                weighted[assignment.evaluator_id] = score
            shown.append(
                EvaluatorColumn(
                    label=_("Evaluator %(letter)s") % {"letter": aggregation.anonymous_label(index)},
                    state=str(states.get(assignment.state, assignment.state)),
                    submitted=submitted,
                    values=[values.get(criterion.pk) if submitted else None for criterion in criteria],
                    weighted=aggregation.rounded(score) if score is not None else None,
                )
            )
        result = aggregation.merit(weighted)
        for column, assignment in zip(shown, assigned, strict=True):
            column.dropped = assignment.evaluator_id in result.dropped
            column.outlier = assignment.evaluator_id in result.outliers
        merits[application_id], columns[application_id] = result, shown

    standings = aggregation.ranking(
        aggregation.Standing(
            key=pk,
            stage=stage.order,
            merit=merits[pk].merit,
            bonus=applications[pk].priority_score,
            submitted_at=applications[pk].submitted_at or NEVER,
        )
        for pk in ids
    )
    if stage.is_closed:
        passed: dict[int, bool | None] = {pk: results[pk].passed if pk in results else False for pk in ids}
    else:
        winners = aggregation.passing(
            [(standing.key, standing.merit) for standing in standings],
            threshold=stage.pass_threshold,
            top=stage.pass_top,
        )
        passed = {pk: (pk in winners) if merits[pk].merit is not None else None for pk in ids}

    policy = policy_of(stage.call)
    group = reserved_group(policy, ids) if policy is not None else set()

    items = [item for pk in ids for item in applications[pk].items.all()]
    free = free_units([(item.offering_id, item.starts_on, item.ends_on) for item in items])  # 2 per offering
    in_order = free.copy()  # what the applications above leave, as filling by priority walks them

    rows = []
    for position, standing in enumerate(standings, start=1):
        application = applications[standing.key]
        requested = []
        for item in application.items.all():
            available, _day = free.tightest(item.offering_id, item.starts_on, item.ends_on)
            requested.append(
                RequestedLine(
                    offering=item.offering.name,
                    unit=str(item.offering.get_unit_display()),
                    quantity=item.quantity,
                    free_now=available,
                    fits_now=available >= item.quantity,
                )
            )
        if application.is_approved:
            fits_in_order = None
        else:
            needs = [
                Need(item.offering, item.quantity, item.starts_on, item.ends_on) for item in application.items.all()
            ]
            fits_in_order = not fit(in_order, needs, take=True)
        result = merits[standing.key]
        rows.append(
            PanelRow(
                position=position,
                application=application,
                evaluators=columns[standing.key],
                evaluations=result.evaluations,
                merit=result.merit,
                spread=result.spread,
                bonus=application.priority_score,
                final=standing.final,
                passed=passed[standing.key],
                provisional=not stage.is_closed,
                in_reserved_group=standing.key in group,
                requested=requested,
                fits_in_order=fits_in_order,
            )
        )
    shared = policy is not None and policy.has_reserved_share
    return PanelSheet(
        stage=stage,
        criteria=criteria,
        rows=rows,
        columns=max((len(row.evaluators) for row in rows), default=0),
        reserved_group=str(dict(ClaimKind.choices).get(policy.reserved_claim, "")) if policy and shared else "",
        reserved_percent=policy.reserved_percent if policy and shared else 0,
    )


def panel_table(sheet: PanelSheet) -> tuple[list[Any], Iterator[list[Any]]]:
    """The sheet as a CSV table (``portal.spreadsheets.csv_response``): one row per application,
    per evaluator column its criteria and its weighted score."""
    header: list[Any] = [
        _("rank"),
        _("Application number"),
        _("organisation"),
        _("project title"),
    ]
    for index in range(sheet.columns):
        label = _("Evaluator %(letter)s") % {"letter": aggregation.anonymous_label(index)}
        header.extend(f"{label} · {criterion.name}" for criterion in sheet.criteria)
        header.append(f"{label} · {_('weighted score')}")
    header.extend(
        [
            _("evaluators who scored"),
            _("merit score"),
            _("spread"),
            _("bonus points"),
            _("final score"),
            _("passed"),
            _("requested resources"),
            _("fits the pool now"),
            _("fits in rank order"),
        ]
    )

    def rows() -> Iterator[list[Any]]:
        yes, no = _("yes"), _("no")
        for row in sheet.rows:
            line: list[Any] = [
                row.position,
                row.application.pk,
                row.application.organization.legal_name,
                row.application.project_title,
            ]
            for index in range(sheet.columns):
                if index < len(row.evaluators):
                    column = row.evaluators[index]
                    line.extend(column.values)
                    line.append(column.weighted)
                else:
                    line.extend([None] * (len(sheet.criteria) + 1))
            line.extend(
                [
                    row.evaluations,
                    row.merit,
                    row.spread,
                    row.bonus,
                    row.final,
                    "" if row.passed is None else (yes if row.passed else no),
                    "; ".join(f"{line.offering} {line.quantity} {line.unit}" for line in row.requested),
                    yes if row.fits_now else no,
                    "" if row.fits_in_order is None else (yes if row.fits_in_order else no),
                ]
            )
            yield line

    return header, rows()
