"""The panel's arithmetic: pure functions of scores, weights and claims, with no database.

- An evaluator's **weighted score** of an application: Σ weight × value ÷ scale over the stage's
  criteria, whose weights sum to 100, so it lies between 0 and 100 whatever the scale (0–5 or
  0–100).
- An application's **merit** in a stage: the mean of its evaluators' weighted scores; from five
  evaluators up the highest and the lowest are dropped first (one each, the Korean convention),
  below five the plain mean. Rounded half up to two decimals, the precision the database keeps.
  The **spread** (highest − lowest, over every evaluator) and the **outliers** (an evaluator
  ``OUTLIER_POINTS`` or more from the merit) are reported beside it.
- The **final score** is merit + bonus, the bonus being the points of the verified priority
  claims (``applications.priority``): added once, never per evaluator or per stage.
- The **ranking**: the stage reached (later first), then final score, then merit, then
  submission time, then id: the order the database's rank triggers keep
  (``applications/migrations/0015``), written here for the panel sheet and the tests.
- **Passing** a stage: merit at least the pass mark, and/or a place within the first N of the
  stage's ranking.
- The **reserved share**: at least a share of the selections from a priority group, where the
  group has enough applications, taking its best-ranked members in place of the last selected
  outside it.

Every sum is exact (``Decimal`` with a scale of 5 or 100 divides exactly), so the order in
which evaluators are given changes nothing.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

# From this many evaluators, the highest and the lowest weighted score are dropped.
DROP_FROM = 5
# An evaluator this many points (of 100) or more from the merit is flagged as an outlier.
OUTLIER_POINTS = Decimal(20)
WEIGHTS_TOTAL = 100
SCALES = (5, 100)
CENT = Decimal("0.01")


class RubricError(ValueError):
    """A rubric or a score sheet the arithmetic cannot use (weights not summing to 100, a scale
    other than 5 or 100, a value outside the scale, a criterion left unscored)."""


def rounded(value: Decimal) -> Decimal:
    """Two decimals, half up: what the database stores and the panel sheet shows."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_weights(weights: Mapping[int, int]) -> None:
    """Raise ``RubricError`` unless there is at least one criterion, each weighs 1 to 100, and
    the weights sum to exactly 100."""
    if not weights:
        raise RubricError("a rubric needs at least one criterion")
    if any(weight < 1 or weight > WEIGHTS_TOTAL for weight in weights.values()):
        raise RubricError("each weight lies between 1 and 100")
    total = sum(weights.values())
    if total != WEIGHTS_TOTAL:
        raise RubricError(f"the weights sum to {total}, not {WEIGHTS_TOTAL}")


def weighted_score(values: Mapping[int, Decimal], weights: Mapping[int, int], scale: int) -> Decimal:
    """One evaluator's score of one application, 0 to 100 (exact, not rounded): Σ weight ×
    value ÷ scale. Every criterion of ``weights`` must be scored, between 0 and ``scale``."""
    check_weights(weights)
    if scale not in SCALES:
        raise RubricError(f"the scale is 0 to 5 or 0 to 100, not 0 to {scale}")
    missing = set(weights) - set(values)
    if missing:
        raise RubricError(f"{len(missing)} criteria are not scored")
    extra = set(values) - set(weights)
    if extra:
        raise RubricError(f"{len(extra)} scores are for no criterion of the rubric")
    total = Decimal(0)
    for criterion, weight in weights.items():
        value = Decimal(values[criterion])
        if value < 0 or value > scale:
            raise RubricError(f"a score lies between 0 and {scale}")
        total += weight * value / scale
    return total


@dataclass(frozen=True)
class Merit:
    """An application's result in a stage from its evaluators' weighted scores."""

    # evaluator -> weighted score (exact), in the order given.
    weighted: Mapping[int, Decimal]
    # None when nobody scored.
    merit: Decimal | None
    spread: Decimal | None
    # The evaluators whose score was left out of the mean (the highest and the lowest, from
    # five up); on a tie, the tied evaluator with the lowest key, then the highest.
    dropped: frozenset[int]
    outliers: frozenset[int]

    @property
    def evaluations(self) -> int:
        return len(self.weighted)


def merit(weighted: Mapping[int, Decimal]) -> Merit:
    """The merit from each evaluator's weighted score (``weighted_score``)."""
    if not weighted:
        return Merit({}, None, None, frozenset(), frozenset())
    # Ties by key: which tied evaluator is dropped does not depend on the order given.
    ordered = sorted(weighted.items(), key=lambda item: (item[1], item[0]))
    kept = ordered[1:-1] if len(ordered) >= DROP_FROM else ordered
    dropped = frozenset({ordered[0][0], ordered[-1][0]}) if len(ordered) >= DROP_FROM else frozenset()
    mean = rounded(sum((score for _evaluator, score in kept), Decimal(0)) / len(kept))
    spread = rounded(ordered[-1][1] - ordered[0][1])
    outliers = frozenset(evaluator for evaluator, score in weighted.items() if abs(score - mean) >= OUTLIER_POINTS)
    return Merit(dict(weighted), mean, spread, dropped, outliers)


def stage_merit(sheets: Mapping[int, Mapping[int, Decimal]], weights: Mapping[int, int], scale: int) -> Merit:
    """``merit`` of the evaluators' score sheets (evaluator -> criterion -> value)."""
    return merit({evaluator: weighted_score(values, weights, scale) for evaluator, values in sheets.items()})


def final_score(merit_score: Decimal | None, bonus: int) -> Decimal:
    """Merit + bonus, once. An application nobody scored has its bonus alone."""
    return (merit_score if merit_score is not None else Decimal(0)) + bonus


@dataclass(frozen=True)
class Standing:
    """What an application's place in an evaluated call depends on."""

    key: int
    stage: int | None  # the order of the latest stage it was scored in
    merit: Decimal | None
    bonus: int
    submitted_at: datetime

    @property
    def final(self) -> Decimal:
        return final_score(self.merit, self.bonus)


def ranking_key(standing: Standing) -> tuple[int, Decimal, Decimal, datetime, int]:
    """The rank triggers' order (0015): stage reached, final score, merit (higher first; a
    missing merit last), submission time, id."""
    return (
        -(standing.stage or 0),
        -standing.final,
        -(standing.merit if standing.merit is not None else Decimal(-1)),
        standing.submitted_at,
        standing.key,
    )


def ranking(standings: Iterable[Standing]) -> list[Standing]:
    return sorted(standings, key=ranking_key)


def passing(ranked: Sequence[tuple[int, Decimal | None]], *, threshold: Decimal | None, top: int | None) -> set[int]:
    """Who passes a stage, from its applications in ranking order with their merit: a merit at
    least ``threshold`` (when set) and a place within the first ``top`` (when set) of those
    scored. Nobody unscored passes; with neither rule, everyone scored does."""
    scored = [(key, value) for key, value in ranked if value is not None]
    within = scored[:top] if top is not None else scored
    return {key for key, value in within if threshold is None or value >= threshold}


def reserved_needed(seats: int, percent: int) -> int:
    """How many of ``seats`` selections the group is owed: the share, rounded up."""
    return math.ceil(seats * percent / 100) if seats > 0 and percent > 0 else 0


def reserved_selection(
    ranked: Sequence[tuple[int, bool]], *, seats: int, percent: int, already: tuple[int, int] = (0, 0)
) -> list[int]:
    """The applications to select, in ranking order: the first ``seats`` of ``ranked`` (key, in
    the group), except that while the group has fewer than its share, its next best-ranked
    member takes the place of the last selected outside it.

    ``already`` is (selected before, of whom in the group), so a call filled in several rounds
    keeps the share of its whole selection: the share is of ``already[0] + seats``."""
    if seats <= 0:
        return []
    chosen = list(ranked[:seats])
    owed = reserved_needed(already[0] + seats, percent) - already[1]
    in_group = sum(1 for _key, member in chosen if member)
    waiting = [item for item in ranked[seats:] if item[1]]
    while in_group < owed and waiting:
        outsiders = [index for index, (_key, member) in enumerate(chosen) if not member]
        if not outsiders:
            break
        chosen.pop(outsiders[-1])
        chosen.append(waiting.pop(0))
        in_group += 1
    position = {key: index for index, (key, _member) in enumerate(ranked)}
    return sorted((key for key, _member in chosen), key=position.__getitem__)


def anonymous_label(index: int) -> str:
    """위원 A, B, …, Z, AA, AB…: the letter of the ``index``-th evaluator (0-based)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
