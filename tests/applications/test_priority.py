"""The priority score, exhaustively: every combination of claims and verdicts."""

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from applications import priority
from applications.models import Application
from applications.selectors import ranked
from tests.factories import ApplicationFactory, CallFactory

KINDS = list(priority.DEFAULT_POINTS)
VERDICTS = [None, priority.PENDING, priority.VERIFIED, priority.REJECTED]  # None: not claimed


def combinations():
    for verdicts in product(VERDICTS, repeat=len(KINDS)):
        yield [priority.Claim(kind, verdict) for kind, verdict in zip(KINDS, verdicts, strict=True) if verdict]


def test_defaults_follow_the_announcement_gwangju_then_relocating_then_cluster():
    points = priority.DEFAULT_POINTS

    assert points["gwangju_located"] > points["relocating"] > points["cluster_participant"] > 0


@pytest.mark.parametrize(
    "claims", list(combinations()), ids=lambda claims: "+".join(f"{c.kind}:{c.verification}" for c in claims) or "none"
)
def test_every_claim_combination_scores_verified_points_and_reports_pending_ones_beside(claims):
    result = priority.score(claims, priority.DEFAULT_POINTS)

    verified = sum(priority.DEFAULT_POINTS[c.kind] for c in claims if c.verification == priority.VERIFIED)
    pending = sum(priority.DEFAULT_POINTS[c.kind] for c in claims if c.verification == priority.PENDING)
    assert (result.total, result.pending) == (verified, pending)
    assert sorted(line.kind for line in result.breakdown) == sorted(c.kind for c in claims)
    assert all(line.counts == (line.verification == priority.VERIFIED) for line in result.breakdown)


def test_unverified_claims_never_count_whatever_the_policy():
    claims = [priority.Claim(kind, priority.PENDING) for kind in KINDS] + [
        priority.Claim(kind, priority.REJECTED) for kind in KINDS
    ]

    assert priority.score(claims, {kind: 1000 for kind in KINDS}).total == 0


def test_a_kind_claimed_twice_counts_once_with_its_best_verdict():
    claims = [
        priority.Claim("gwangju_located", priority.REJECTED),
        priority.Claim("gwangju_located", priority.VERIFIED),
    ]

    assert priority.score(claims, priority.DEFAULT_POINTS).total == priority.DEFAULT_POINTS["gwangju_located"]


def test_a_calls_own_weights_override_the_defaults_and_unknown_kinds_earn_nothing():
    points = priority.policy_points([("relocating", 50)])

    assert points == {**priority.DEFAULT_POINTS, "relocating": 50}
    assert priority.score([priority.Claim("new_kind", priority.VERIFIED)], points).total == 0


@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(VERDICTS[1:])), max_size=6),
    st.dictionaries(st.sampled_from(KINDS), st.integers(min_value=0, max_value=1000)),
)
def test_the_score_never_decreases_when_a_claim_is_verified(claims, weights):
    points = priority.policy_points(weights.items())
    before = priority.score([priority.Claim(k, v) for k, v in claims], points)
    after = priority.score([priority.Claim(k, priority.VERIFIED) for k, _v in claims], points)

    assert after.total >= before.total
    assert before.total + before.pending <= after.total + after.pending or not claims


@pytest.mark.django_db
def test_ranking_is_score_then_submission_time_and_the_rank_ignores_other_filters():
    call = CallFactory()
    now = timezone.now()
    early_low = ApplicationFactory(
        call=call, status="submitted", submitted_at=now - timedelta(hours=3), priority_score=10
    )
    late_high = ApplicationFactory(
        call=call, status="submitted", submitted_at=now - timedelta(hours=1), priority_score=30
    )
    early_high = ApplicationFactory(
        call=call, status="submitted", submitted_at=now - timedelta(hours=2), priority_score=30
    )
    ApplicationFactory(call=call, status="draft", priority_score=99)  # drafts do not compete

    assert list(ranked(Application.objects.filter(call=call, status="submitted"))) == [early_high, late_high, early_low]
    ranks = dict(Application.objects.filter(call=call, status="submitted").values_list("pk", "rank"))
    assert ranks == {early_high.pk: 1, late_high.pk: 2, early_low.pk: 3}
    only_one = Application.objects.filter(pk=early_low.pk).get()
    assert only_one.rank == 3
