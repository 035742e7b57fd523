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

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from applications.models import Application, ApplicationItem, ClaimKind
from evaluation import aggregation
from evaluation.models import Assignment, Criterion, Score, Stage, StageResult
from evaluation.selectors import policy_of, reserved_group, stage_applications
from pool.capacity import FreeUnits, days, free_units
from pool.models import Offering

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


@dataclass(frozen=True)
class Sheet:
    """One evaluator's assignment of one application, as the panel reads it."""

    evaluator_id: int
    state: str
    values: dict[int, Decimal]  # criterion id -> value


def _sheets(stage: Stage) -> dict[int, list[Sheet]]:
    """Each application's assignments in the stage (reassigned ones left out: their evaluator
    gave the place up), in the order they were made, with their scores. Two queries."""
    assignments = (
        Assignment.objects.filter(stage=stage)
        .exclude(state=Assignment.State.REASSIGNED)
        .order_by("application_id", "assigned_at", "pk")
        .values_list("pk", "application_id", "evaluator_id", "state")
    )
    values: dict[int, dict[int, Decimal]] = {}
    for assignment_id, criterion_id, value in Score.objects.filter(assignment__stage=stage).values_list(
        "assignment_id", "criterion_id", "value"
    ):
        values.setdefault(assignment_id, {})[criterion_id] = value
    by_application: dict[int, list[Sheet]] = {}
    for pk, application_id, evaluator_id, state in assignments:
        by_application.setdefault(application_id, []).append(Sheet(evaluator_id, state, values.get(pk, {})))
    return by_application


class Runs:
    """The free units of an offering over the days of a plan, kept as runs of days with the same
    figure, split where a requested period starts or ends: taking units over a period changes
    whole runs, so a plan over 1,000 applications does not walk every day of every period."""

    def __init__(self, free: FreeUnits, offering_id: int, periods: list[tuple[date, date]]) -> None:
        first, last = min(start for start, _end in periods), max(end for _start, end in periods)
        cuts = {start for start, _end in periods} | {end + timedelta(days=1) for _start, end in periods}
        self.starts: list[date] = []
        self.figures: list[int] = []
        previous = None
        for day in days(first, last):
            figure = free.on(offering_id, day)
            if figure != previous or day in cuts:
                self.starts.append(day)
                self.figures.append(figure)
                previous = figure

    def _span(self, start: date, end: date) -> range:
        return range(bisect_right(self.starts, start) - 1, bisect_right(self.starts, end))

    def tightest(self, start: date, end: date) -> int:
        return min(self.figures[index] for index in self._span(start, end))

    def take(self, start: date, end: date, units: int) -> None:
        for index in self._span(start, end):
            self.figures[index] -= units


def _take_in_order(runs: dict[int, Runs], asked: list[tuple[int, int, date, date]]) -> bool:
    """Whether all of ``asked`` fits what ``runs`` leave (the items of one offering counting
    together, as ``pool.capacity.fit`` counts them); if it does, it is taken."""
    taken: list[tuple[int, int, date, date]] = []
    for offering_id, quantity, starts_on, ends_on in asked:
        if runs[offering_id].tightest(starts_on, ends_on) < quantity:
            for undo_offering, undo_quantity, undo_start, undo_end in taken:
                runs[undo_offering].take(undo_start, undo_end, -undo_quantity)
            return False
        runs[offering_id].take(starts_on, ends_on, quantity)
        taken.append((offering_id, quantity, starts_on, ends_on))
    return True


def panel_sheet(stage: Stage) -> PanelSheet:
    """The panel sheet of ``stage`` (see the module)."""
    criteria = list(stage.criteria.order_by("order", "pk"))
    weights = {criterion.pk: criterion.weight for criterion in criteria}
    applications = {
        application.pk: application
        for application in stage_applications(stage)
        .select_related("organization")
        .only("pk", "status", "priority_score", "submitted_at", "project_title", "organization__legal_name")
    }
    ids = sorted(applications)
    items: dict[int, list[tuple[int, int, date, date]]] = {}
    offerings: dict[int, tuple[str, str]] = {}
    units = dict(Offering.Unit.choices)
    for application_id, offering_id, name, unit, quantity, starts_on, ends_on in (
        ApplicationItem.objects.filter(application__in=stage_applications(stage))
        .order_by("application_id", "offering__name", "pk")
        .values_list(
            "application_id", "offering_id", "offering__name", "offering__unit", "quantity", "starts_on", "ends_on"
        )
    ):
        items.setdefault(application_id, []).append((offering_id, quantity, starts_on, ends_on))
        offerings.setdefault(offering_id, (name, str(units.get(unit, unit))))
    # Who passed is fixed when the stage closes; until then the rules say it provisionally.
    closed = StageResult.objects.filter(stage=stage) if stage.is_closed else StageResult.objects.none()
    results = {result.application_id: result for result in closed}
    sheets = _sheets(stage)
    # Labels read once: a lazy label per cell is a translation lookup per cell.
    states = {state: str(label) for state, label in Assignment.State.choices}
    letters = [
        _("Evaluator %(letter)s") % {"letter": aggregation.anonymous_label(index)}
        for index in range(max((len(each) for each in sheets.values()), default=0))
    ]

    merits: dict[int, aggregation.Merit] = {}
    columns: dict[int, list[EvaluatorColumn]] = {}
    for application_id in ids:
        assigned = sheets.get(application_id, [])
        weighted: dict[int, Decimal] = {}
        shown = []
        for index, assignment in enumerate(assigned):
            values = assignment.values
            submitted = assignment.state == Assignment.State.SUBMITTED
            score = aggregation.weighted_score(values, weights, stage.scale) if submitted and weights else None
            if score is not None:
                weighted[assignment.evaluator_id] = score
            shown.append(
                EvaluatorColumn(
                    label=letters[index],
                    state=states.get(assignment.state, assignment.state),
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

    periods: dict[int, set[tuple[date, date]]] = {}
    for wanted in items.values():
        for offering_id, _quantity, starts_on, ends_on in wanted:
            periods.setdefault(offering_id, set()).add((starts_on, ends_on))
    free = free_units(
        [(offering_id, start, end) for offering_id, spans in periods.items() for start, end in spans]
    )  # two queries
    now = {offering_id: Runs(free, offering_id, sorted(spans)) for offering_id, spans in periods.items()}
    # What the applications above leave, as filling by priority walks them.
    in_order = {offering_id: Runs(free, offering_id, sorted(spans)) for offering_id, spans in periods.items()}

    rows = []
    for position, standing in enumerate(standings, start=1):
        application = applications[standing.key]
        asked = items.get(standing.key, [])
        requested = []
        for offering_id, quantity, starts_on, ends_on in asked:
            available = now[offering_id].tightest(starts_on, ends_on)
            name, unit = offerings[offering_id]
            requested.append(
                RequestedLine(
                    offering=name,
                    unit=unit,
                    quantity=quantity,
                    free_now=available,
                    fits_now=available >= quantity,
                )
            )
        fits_in_order = None if application.is_approved else _take_in_order(in_order, asked)
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
