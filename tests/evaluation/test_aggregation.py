"""The panel's arithmetic (evaluation/aggregation.py), like priority.py: worked examples a
committee could check by hand, and properties over every input hypothesis finds."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import aggregation
from evaluation.aggregation import RubricError, Standing

D = Decimal
T0 = datetime(2027, 1, 4, 9, 0)
WEIGHTS = {1: 30, 2: 30, 3: 20, 4: 20}  # 기술성 · 사업성/파급효과 · 준비도 · 자원 활용 계획


# --- Worked examples ----------------------------------------------------------------------------


def test_a_weighted_score_on_the_five_point_scale():
    # 30×4/5 + 30×3/5 + 20×5/5 + 20×2/5 = 24 + 18 + 20 + 8
    assert aggregation.weighted_score({1: D(4), 2: D(3), 3: D(5), 4: D(2)}, WEIGHTS, 5) == D(70)


def test_a_weighted_score_on_the_hundred_point_scale():
    # 0.3×85 + 0.3×70 + 0.2×90 + 0.2×60 = 25.5 + 21 + 18 + 12
    assert aggregation.weighted_score({1: D(85), 2: D(70), 3: D(90), 4: D(60)}, WEIGHTS, 100) == D("76.5")


def test_below_five_evaluators_the_plain_mean():
    result = aggregation.merit({1: D(70), 2: D(80), 3: D(95)})

    assert result.merit == D("81.67")  # 245 / 3
    assert result.dropped == frozenset()
    assert result.spread == D(25)


def test_from_five_evaluators_the_highest_and_lowest_are_dropped():
    result = aggregation.merit({1: D(70), 2: D(80), 3: D(95), 4: D(40), 5: D(75)})

    assert result.merit == D(75)  # (70 + 80 + 75) / 3
    assert result.dropped == frozenset({3, 4})
    assert result.spread == D(55)


def test_an_evaluator_twenty_points_from_the_merit_is_an_outlier():
    result = aggregation.merit({1: D(80), 2: D(82), 3: D(50), 4: D(81)})

    assert result.merit == D("73.25")
    assert result.outliers == frozenset({3})  # 23.25 below; 82 is 8.75 above


def test_outliers_are_measured_from_the_merit():
    result = aggregation.merit({1: D(90), 2: D(90), 3: D(60)})  # merit 80

    assert result.merit == D(80)
    assert result.outliers == frozenset({3})  # 20 below counts; 10 above does not


def test_nobody_scored_has_no_merit_and_its_bonus_alone():
    result = aggregation.merit({})

    assert (result.merit, result.spread, result.evaluations) == (None, None, 0)
    assert aggregation.final_score(None, 5) == D(5)


def test_the_final_score_is_merit_plus_the_bonus():
    assert aggregation.final_score(D("75.25"), 3) == D("78.25")


def test_the_mean_is_rounded_half_up_to_cents():
    assert aggregation.merit({1: D("70.005"), 2: D("70.005")}).merit == D("70.01")
    assert aggregation.merit({1: D(70), 2: D(70), 3: D("70.01")}).merit == D("70.00")


def test_ties_are_broken_by_merit_then_submission_time():
    same_final_more_merit = Standing(1, 1, D(80), 0, T0 + timedelta(hours=2))
    same_final_less_merit = Standing(2, 1, D(75), 5, T0)
    earlier = Standing(3, 1, D(70), 0, T0)
    later = Standing(4, 1, D(70), 0, T0 + timedelta(hours=1))

    assert [s.key for s in aggregation.ranking([later, earlier, same_final_less_merit, same_final_more_merit])] == [
        1,
        2,
        3,
        4,
    ]


def test_the_stage_reached_comes_first_and_the_unscored_last():
    finalist = Standing(1, 2, D(55), 0, T0)
    stopped = Standing(2, 1, D(90), 10, T0)
    unscored = Standing(3, None, None, 30, T0)

    assert [s.key for s in aggregation.ranking([unscored, stopped, finalist])] == [1, 2, 3]


def test_passing_by_threshold_by_top_and_by_both():
    ranked = [(1, D(90)), (2, D(80)), (3, D(70)), (4, None)]

    assert aggregation.passing(ranked, threshold=D(75), top=None) == {1, 2}
    assert aggregation.passing(ranked, threshold=None, top=1) == {1}
    assert aggregation.passing(ranked, threshold=D(85), top=2) == {1}
    assert aggregation.passing(ranked, threshold=None, top=None) == {1, 2, 3}


def test_the_reserved_share_swaps_the_last_outsider_for_the_best_group_member():
    # 10 ranked, 4 seats, half reserved; group members at places 3, 6, 9.
    ranked = [(n, n in {3, 6, 9}) for n in range(1, 11)]

    assert aggregation.reserved_selection(ranked, seats=4, percent=50) == [1, 2, 3, 6]


def test_the_reserved_share_counts_earlier_rounds():
    ranked = [(n, n in {3, 6, 9}) for n in range(1, 11)]

    # Two selected before, both in the group: of 6 in all, 3 are owed; one more is enough.
    assert aggregation.reserved_selection(ranked, seats=4, percent=50, already=(2, 2)) == [1, 2, 3, 4]


def test_evaluators_are_lettered_like_spreadsheet_columns():
    assert [aggregation.anonymous_label(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


@pytest.mark.parametrize(
    "weights",
    [{}, {1: 50, 2: 40}, {1: 60, 2: 50}, {1: 0, 2: 100}, {1: 101, 2: -1}],
    ids=["empty", "short", "over", "zero", "out of range"],
)
def test_a_rubric_whose_weights_do_not_sum_to_100_is_refused(weights):
    with pytest.raises(RubricError):
        aggregation.check_weights(weights)


def test_a_sheet_must_score_every_criterion_within_the_scale():
    with pytest.raises(RubricError):
        aggregation.weighted_score({1: D(4), 2: D(3), 3: D(5)}, WEIGHTS, 5)
    with pytest.raises(RubricError):
        aggregation.weighted_score({1: D(6), 2: D(3), 3: D(5), 4: D(1)}, WEIGHTS, 5)
    with pytest.raises(RubricError):
        aggregation.weighted_score({1: D(4), 2: D(3), 3: D(5), 4: D(1)}, WEIGHTS, 10)


# --- Properties ---------------------------------------------------------------------------------


@st.composite
def rubrics(draw) -> dict[int, int]:
    """Weights of 1 to 8 criteria, each at least 1, summing to exactly 100."""
    count = draw(st.integers(1, 8))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100]
    return {n + 1: bounds[n + 1] - bounds[n] for n in range(count)}


def values(scale: int):
    return st.decimals(min_value=0, max_value=scale, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def panels(draw, min_size: int = 1, max_size: int = 12):
    """A rubric, a scale and each evaluator's sheet."""
    weights = draw(rubrics())
    scale = draw(st.sampled_from([5, 100]))
    evaluators = draw(st.integers(min_size, max_size))
    sheets = {
        evaluator: {criterion: draw(values(scale)) for criterion in weights} for evaluator in range(1, evaluators + 1)
    }
    return weights, scale, sheets


@given(rubrics())
def test_generated_rubrics_sum_to_100(weights):
    aggregation.check_weights(weights)


@given(rubrics(), st.integers(-5, 5).filter(bool))
def test_any_rubric_off_100_is_refused(weights, off):
    first = next(iter(weights))
    weights = {**weights, first: weights[first] + off}  # the sum is 100 + off
    with pytest.raises(RubricError):
        aggregation.check_weights(weights)


@given(panels())
def test_a_weighted_score_lies_between_0_and_100(panel):
    weights, scale, sheets = panel
    for sheet in sheets.values():
        assert D(0) <= aggregation.weighted_score(sheet, weights, scale) <= D(100)


@given(rubrics(), st.sampled_from([5, 100]))
def test_full_marks_everywhere_make_100_and_none_make_0(weights, scale):
    assert aggregation.weighted_score(dict.fromkeys(weights, D(scale)), weights, scale) == D(100)
    assert aggregation.weighted_score(dict.fromkeys(weights, D(0)), weights, scale) == D(0)


@given(panels())
def test_dropping_happens_only_from_five_evaluators(panel):
    weights, scale, sheets = panel
    result = aggregation.stage_merit(sheets, weights, scale)
    scores = sorted(result.weighted.values())

    if len(scores) >= aggregation.DROP_FROM:
        assert len(result.dropped) == 2
        assert result.merit == aggregation.rounded(sum(scores[1:-1]) / (len(scores) - 2))
    else:
        assert result.dropped == frozenset()
        assert result.merit == aggregation.rounded(sum(scores) / len(scores))


@given(panels())
def test_the_merit_lies_between_the_lowest_and_highest_score(panel):
    weights, scale, sheets = panel
    result = aggregation.stage_merit(sheets, weights, scale)
    scores = result.weighted.values()

    assert aggregation.rounded(min(scores)) <= result.merit <= aggregation.rounded(max(scores))
    assert result.spread == aggregation.rounded(max(scores) - min(scores))


@settings(max_examples=60)
@given(panels(), st.randoms(use_true_random=False))
def test_the_merit_does_not_depend_on_the_order_of_the_evaluators(panel, random):
    weights, scale, sheets = panel
    shuffled = list(sheets.items())
    random.shuffle(shuffled)

    first = aggregation.stage_merit(sheets, weights, scale)
    second = aggregation.stage_merit(dict(shuffled), weights, scale)

    assert (first.merit, first.spread, first.dropped, first.outliers) == (
        second.merit,
        second.spread,
        second.dropped,
        second.outliers,
    )


@settings(max_examples=40)
@given(st.lists(panels(max_size=7), min_size=2, max_size=6), st.randoms(use_true_random=False))
def test_the_ranking_is_the_same_whatever_the_order_of_each_panel(applications, random):
    def standings(shuffle: bool) -> list[int]:
        result = []
        for key, (weights, scale, sheets) in enumerate(applications):
            items = list(sheets.items())
            if shuffle:
                random.shuffle(items)
            merit = aggregation.stage_merit(dict(items), weights, scale).merit
            result.append(Standing(key, 1, merit, key % 3 * 5, T0 + timedelta(minutes=key % 2)))
        if shuffle:
            random.shuffle(result)
        return [standing.key for standing in aggregation.ranking(result)]

    assert standings(shuffle=False) == standings(shuffle=True)


@given(
    st.decimals(min_value=0, max_value=100, places=2),
    st.integers(0, 60),
    st.integers(1, 5),
)
def test_the_bonus_is_added_once_whatever_the_number_of_evaluators(merit_score, bonus, evaluators):
    sheets = dict.fromkeys(range(evaluators), merit_score)
    result = aggregation.merit(sheets)

    assert result.merit == merit_score
    assert aggregation.final_score(result.merit, bonus) - result.merit == bonus
    assert Standing(1, 1, result.merit, bonus, T0).final == merit_score + bonus


@given(st.lists(st.tuples(st.decimals(0, 100, places=2), st.integers(0, 30)), min_size=1, max_size=30))
def test_a_better_final_score_never_ranks_below_a_worse_one_in_one_stage(rows):
    standings = [Standing(key, 1, merit, bonus, T0) for key, (merit, bonus) in enumerate(rows)]
    finals = [standing.final for standing in aggregation.ranking(standings)]

    assert finals == sorted(finals, reverse=True)


@given(
    st.lists(st.booleans(), min_size=0, max_size=40),
    st.integers(0, 40),
    st.integers(0, 100),
)
def test_the_reserved_selection_keeps_the_share_and_the_ranking_otherwise(members, seats, percent):
    ranked = list(enumerate(members))
    chosen = aggregation.reserved_selection(ranked, seats=seats, percent=percent)
    group = {key for key, member in ranked if member}

    assert len(chosen) == min(seats, len(ranked))
    assert chosen == sorted(chosen)  # in ranking order
    owed = aggregation.reserved_needed(seats, percent)
    assert len(group & set(chosen)) >= min(owed, len(group), len(chosen))
    # Outside the group, the selected are the best ranked of the outsiders.
    outsiders = [key for key, member in ranked if not member]
    chosen_outsiders = [key for key in chosen if key not in group]
    assert chosen_outsiders == outsiders[: len(chosen_outsiders)]
    # Inside it too.
    members_in_order = [key for key, member in ranked if member]
    chosen_members = [key for key in chosen if key in group]
    assert chosen_members == members_in_order[: len(chosen_members)]
    # Without a share, the first seats.
    assert aggregation.reserved_selection(ranked, seats=seats, percent=0) == [key for key, _m in ranked[:seats]]
