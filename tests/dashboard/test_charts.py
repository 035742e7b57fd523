from datetime import date

from dashboard.charts import _nice_ceiling, bar_chart, capacity_chart
from dashboard.selectors.capacity import Run


def test_the_scale_ends_on_a_round_number_at_or_above_the_largest_figure():
    assert [_nice_ceiling(n) for n in (0, 1, 7, 10, 11, 2820, 670_000, 107_000)] == [
        1, 1, 8, 10, 15, 3000, 800_000, 150_000,
    ]  # fmt: skip


def test_the_capacity_chart_steps_with_the_runs_and_marks_today():
    runs = [
        Run(date(2031, 1, 1), date(2031, 1, 10), capacity=10, in_service=5, being_provisioned=0),
        Run(date(2031, 1, 11), date(2031, 1, 20), capacity=20, in_service=5, being_provisioned=5),
    ]

    chart = capacity_chart(runs, date(2031, 1, 1), date(2031, 1, 20), today=date(2031, 1, 11))

    # Capacity 10 then 20 on a scale of 20: the line drops from half height to the top.
    top, bottom = chart.plot_top, chart.plot_bottom
    middle = (top + bottom) / 2
    assert chart.capacity_path.startswith(f"M {chart.plot_left},{middle:g}")
    assert f",{top:g}" in chart.capacity_path
    assert chart.today_x == chart.plot_left + (chart.plot_right - chart.plot_left) * 10 / 20
    assert chart.provisioning_area and chart.in_service_area
    assert [tick.label for tick in chart.y_ticks] == ["0", "10", "20"]


def test_today_outside_the_period_is_not_marked():
    runs = [Run(date(2031, 1, 1), date(2031, 1, 31), 10, 0, 0)]

    assert capacity_chart(runs, date(2031, 1, 1), date(2031, 1, 31), today=date(2026, 1, 1)).today_x is None


def test_bars_are_proportional_to_the_largest_value():
    chart = bar_chart([("a", 10, 5), ("b", 5, None), ("c", 0, 0)])

    widths = [bar.width for bar in chart.bars]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert chart.bars[0].secondary_width == widths[1]
    assert chart.bars[1].secondary_width is None


def test_runs_shorter_than_a_pixel_are_drawn_together_at_their_peaks():
    from datetime import timedelta

    from dashboard.charts import _drawn_runs

    start = date(2031, 1, 1)
    # A day each, alternating 3 and 7 units in service (2 more being provisioned on odd days), then
    # a long run.
    runs = [
        Run(start + timedelta(days=n), start + timedelta(days=n), 10, 3 if n % 2 else 7, 2 if n % 2 else 0)
        for n in range(6)
    ] + [Run(start + timedelta(days=6), start + timedelta(days=40), 10, 1, 0)]

    drawn = _drawn_runs(runs, 3)

    assert [(run.start.day, run.end.day, run.in_service, run.allocated) for run in drawn[:2]] == [
        (1, 3, 7, 7),
        (4, 6, 7, 7),
    ]
    assert drawn[2:] == runs[-1:]  # a run of a pixel or more is drawn as it is
    assert _drawn_runs(runs, 1) == runs
    # Three years of daily runs on a 548-pixel chart: at most about one step per pixel column.
    daily = [Run(start + timedelta(days=n), start + timedelta(days=n), 10, n % 5, 0) for n in range(1096)]
    chart = capacity_chart(daily, start, start + timedelta(days=1095), today=start)
    assert chart.capacity_path.count(" L ") < 2 * 548


def test_the_used_line_of_a_long_period_has_a_step_per_pixel_column_at_most():
    from datetime import timedelta

    start = date(2031, 1, 1)
    runs = [Run(start, start + timedelta(days=1095), 100, 50, 0)]
    used = [float(n % 7) for n in range(1096)]

    chart = capacity_chart(runs, start, start + timedelta(days=1095), today=start, used=used)

    # 1,096 days on 548 pixels: two days a step, each the mean of its two days.
    assert chart.used_path.count(",") <= 2 * 548
    assert chart.used_path.startswith("M ")
