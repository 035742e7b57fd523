"""Server-rendered SVG charts: geometry only, no ORM. The templates draw the shapes computed here
and put the same figures in a table beside them, so a chart needs no JavaScript and a screen
reader gets the numbers."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.utils.formats import date_format

from dashboard.selectors.capacity import Run
from dashboard.selectors.usage import AllocationUsageFigures, in_units

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 76, 16, 12, 28  # margins for the axes' labels


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class CapacityChart:
    width: int
    height: int
    capacity_path: str  # the capacity as a step line
    in_service_area: str  # filled polygon from the baseline
    provisioning_area: str  # filled polygon stacked on the in-service area
    used_path: str  # the units used per day, as a step line (broken where no day was collected)
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    today_x: float | None
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _month_ticks(start: date, end: date, x: Callable[[date], float]) -> list[Tick]:
    """A label on the first day of the months of [start, end], at most about eight."""
    ticks = []
    month = date(start.year, start.month, 1)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    every = max(1, -(-months // 8))
    index = 0
    while month <= end:
        if month >= start and index % every == 0:
            ticks.append(Tick(x(month), date_format(month, "YEAR_MONTH_FORMAT")))
        index += 1
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks


@lru_cache(maxsize=8)
def _x_texts(total_days: int) -> list[str]:
    """The x coordinate of every day boundary of a period of ``total_days`` (the same for every
    chart of a page), formatted."""
    plot_width = WIDTH - LEFT - RIGHT
    return [_fmt(LEFT + plot_width * offset / total_days) for offset in range(total_days + 1)]


def _used_steps(
    values: list[float | None],
    x_texts: list[str],
    y: Callable[[float], float],
    *,
    area_base: str = "",
    days_per_step: int = 1,
) -> str:
    """An SVG path through the days' values as steps (one level per day, or the mean of each
    ``days_per_step`` days' values), broken where a day has no value; with ``area_base`` (the
    baseline's y), each stretch is closed down to it as an area. Days whose levels round to the
    same tenth of a pixel make one step."""
    if days_per_step > 1:
        values, x_texts = _per_step(values, x_texts, days_per_step)
    segments: list[str] = []
    points: list[str] = []
    levels: dict[int, str] = {}
    base = y(0)
    per_unit = (y(1) - base) * 10  # tenths of a pixel per unit (negative: up is smaller)
    level = ""

    def close() -> None:
        if not points:
            return
        if area_base:
            first_x, last_x = points[0].split(",", 1)[0], points[-1].split(",", 1)[0]
            segments.append(f"M {first_x},{area_base} L " + " L ".join(points) + f" L {last_x},{area_base} Z")
        else:
            segments.append("M " + " L ".join(points))
        points.clear()

    for index, value in enumerate(values):
        if value is None:
            close()
            level = ""
            continue
        key = round(value * per_unit)
        text = levels.get(key)
        if text is None:
            text = levels[key] = _fmt(base + key / 10)
        if text == level and points:
            points[-1] = f"{x_texts[index + 1]},{text}"  # the same level: the step goes on
        else:
            points += (f"{x_texts[index]},{text}", f"{x_texts[index + 1]},{text}")
        level = text
    close()
    return " ".join(segments)


def _per_step(values: list[float | None], x_texts: list[str], days: int) -> tuple[list[float | None], list[str]]:
    """The mean of each ``days`` days' values that have one (None if none has), and the x
    coordinates of the groups' boundaries."""
    means: list[float | None] = []
    for first in range(0, len(values), days):
        present = [value for value in values[first : first + days] if value is not None]
        means.append(sum(present) / len(present) if present else None)
    bounds = [x_texts[min(first, len(values))] for first in range(0, len(values) + days, days)][: len(means) + 1]
    return means, bounds


def _drawn_runs(runs: list[Run], days_per_pixel: int) -> list[Run]:
    """The runs as drawn: consecutive runs shorter than ``days_per_pixel`` days are joined until
    they span that many, at their highest capacity, units in service and units allocated, so a
    chart has at most about one step per pixel column whatever the number of allocations (the
    peaks stay; the table under the chart keeps every run)."""
    if days_per_pixel <= 1:
        return runs
    drawn: list[Run] = []
    group: list | None = None  # [start, end, capacity, in service, allocated]

    def flush() -> None:
        nonlocal group
        if group is not None:
            first, last, capacity, in_service, allocated = group
            drawn.append(Run(first, last, capacity, in_service, allocated - in_service))
            group = None

    for run in runs:
        if (run.end - run.start).days + 1 >= days_per_pixel:
            flush()
            drawn.append(run)
            continue
        if group is None:
            group = [run.start, run.end, run.capacity, run.in_service, run.allocated]
        else:
            group[1] = run.end
            group[2] = max(group[2], run.capacity)
            group[3] = max(group[3], run.in_service)
            group[4] = max(group[4], run.allocated)
        if (group[1] - group[0]).days + 1 >= days_per_pixel:
            flush()
    flush()
    return drawn


def capacity_chart(
    runs: list[Run], start: date, end: date, today: date, used: list[float | None] | None = None
) -> CapacityChart:
    """Capacity as a step line over stacked areas of active and being-provisioned units, and the
    units used per day (``used``, one value or None per day from ``start``) as a step line."""
    total_days = (end - start).days + 1
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    largest_used = max((value for value in used or [] if value is not None), default=0)
    top_value = _nice_ceiling(
        max(max((max(run.capacity, run.allocated) for run in runs), default=0), math.ceil(largest_used))
    )

    def x(day: date) -> float:
        return LEFT + plot_width * (day - start).days / total_days

    def y(value: float) -> float:
        return TOP + plot_height * (1 - value / top_value)

    # A chart of a long period has thousands of points on the same days and levels: runs shorter
    # than a pixel are drawn together (``_drawn_runs``), each run's two x coordinates are
    # formatted once for the four series, each level once.
    x_texts = _x_texts(total_days)
    days_per_pixel = math.ceil(total_days / plot_width)
    runs = _drawn_runs(runs, days_per_pixel)
    run_x = [(x_texts[(run.start - start).days], x_texts[(run.end - start).days + 1]) for run in runs]
    y_texts: dict[int, str] = {}

    def steps(values: list[int]) -> list[str]:
        points: list[str] = []
        for (first, after), value in zip(run_x, values, strict=True):
            level = y_texts.get(value)
            if level is None:
                level = y_texts[value] = _fmt(y(value))
            points += (f"{first},{level}", f"{after},{level}")
        return points

    def polygon(upper: list[int], lower: list[int]) -> str:
        return " ".join(steps(upper) + steps(lower)[::-1])

    baseline = [0] * len(runs)
    in_service = [run.in_service for run in runs]
    allocated = [run.allocated for run in runs]
    capacity_points = steps([run.capacity for run in runs])
    capacity_path = "M " + " L ".join(capacity_points) if capacity_points else ""

    x_ticks = _month_ticks(start, end, x)
    y_ticks = [Tick(y(value), f"{value:,.0f}") for value in (0, top_value / 2, top_value)]
    return CapacityChart(
        width=WIDTH,
        height=HEIGHT,
        capacity_path=capacity_path,
        in_service_area=polygon(in_service, baseline) if runs else "",
        provisioning_area=polygon(allocated, in_service) if runs else "",
        used_path=_used_steps(used[:total_days], x_texts, y, days_per_step=days_per_pixel) if used else "",
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        today_x=x(today) if start <= today <= end else None,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
    )


@dataclass(frozen=True)
class UsageChart:
    width: int
    height: int
    granted_path: str  # the units granted, as a step line
    used_area: str  # the units used each day collected, as filled steps
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    today_x: float | None
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def usage_chart(figures: AllocationUsageFigures) -> UsageChart | None:
    """One allocation's service period: the units granted (a step line) over the units it used
    each day (GPU-hours ÷ 24 for GPUs: the GPUs busy on average that day). None without a period."""
    days = figures.days
    if not days:
        return None
    start, end = days[0].day, days[-1].day
    total_days = len(days)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    unit = figures.unit
    used = [None if day.used is None else round(in_units(unit, day.used), 2) for day in days]
    granted = [in_units(unit, day.granted) for day in days]
    largest = max(max(granted), max((value for value in used if value is not None), default=0.0))
    top_value = _nice_ceiling(math.ceil(largest))

    def x(day: date) -> float:
        return LEFT + plot_width * (day - start).days / total_days

    def y(value: float | Decimal) -> float:
        return TOP + plot_height * (1 - float(value) / top_value)

    x_texts = _x_texts(total_days)
    baseline = _fmt(y(0))
    return UsageChart(
        width=WIDTH,
        height=HEIGHT,
        granted_path=_used_steps(list(granted), x_texts, y),
        used_area=_used_steps(used, x_texts, y, area_base=baseline),
        x_ticks=_month_ticks(start, end, x),
        y_ticks=[Tick(y(value), f"{value:,.0f}") for value in (0, top_value / 2, top_value)],
        today_x=x(figures.today) if start <= figures.today <= end else None,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    secondary: int | None
    y: float
    width: float
    secondary_width: float | None


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bars: list[Bar]
    bar_height: int


def bar_chart(rows: list[tuple[str, int, int | None]], *, width: int = 520, label_width: int = 180) -> BarChart:
    """Horizontal bars for (label, value, secondary value drawn over it or None)."""
    bar_height, gap = 18, 6
    largest = max((value for _label, value, _secondary in rows), default=0) or 1
    plot_width = width - label_width - 60
    bars = [
        Bar(
            label=label,
            value=value,
            secondary=secondary,
            y=index * (bar_height + gap),
            width=plot_width * value / largest,
            secondary_width=None if secondary is None else plot_width * secondary / largest,
        )
        for index, (label, value, secondary) in enumerate(rows)
    ]
    return BarChart(
        width=width,
        height=max(len(rows) * (bar_height + gap), bar_height),
        label_width=label_width,
        bars=bars,
        bar_height=bar_height,
    )
