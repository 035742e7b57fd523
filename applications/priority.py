"""The priority score: a pure function of an application's claims and its call's policy.

Only verified claims earn points; claimed-but-unverified points are reported beside the score
so the applicant and the reviewer see what verification could add. Rejected claims earn
nothing. Each kind of claim counts once. Ranking within a call: score (higher first), then
submission time (earlier first).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GWANGJU_LOCATED = "gwangju_located"
RELOCATING = "relocating"
CLUSTER_PARTICIPANT = "cluster_participant"

# The announcement's order: located in Gwangju first, then relocating, then AI cluster
# participants; the points add up when several apply.
DEFAULT_POINTS: Mapping[str, int] = {GWANGJU_LOCATED: 30, RELOCATING: 20, CLUSTER_PARTICIPANT: 10}

VERIFIED = "verified"
PENDING = "pending"
REJECTED = "rejected"


@dataclass(frozen=True)
class Claim:
    kind: str
    verification: str


@dataclass(frozen=True)
class Line:
    kind: str
    points: int
    verification: str

    @property
    def counts(self) -> bool:
        return self.verification == VERIFIED


@dataclass(frozen=True)
class Score:
    total: int
    pending: int
    breakdown: tuple[Line, ...]


def policy_points(weights: Iterable[tuple[str, int]]) -> dict[str, int]:
    """A call's points per kind: its own weights over the defaults."""
    return {**DEFAULT_POINTS, **dict(weights)}


def score(claims: Iterable[Claim], points: Mapping[str, int]) -> Score:
    seen: dict[str, Claim] = {}
    for claim in claims:
        # A kind counts once; if it appears twice, the better verdict stands.
        best = seen.get(claim.kind)
        if best is None or _rank(claim.verification) > _rank(best.verification):
            seen[claim.kind] = claim
    breakdown = tuple(
        Line(kind, points.get(kind, 0), claim.verification)
        for kind, claim in sorted(seen.items(), key=lambda item: (-points.get(item[0], 0), item[0]))
    )
    total = sum(line.points for line in breakdown if line.verification == VERIFIED)
    pending = sum(line.points for line in breakdown if line.verification == PENDING)
    return Score(total, pending, breakdown)


def _rank(verification: str) -> int:
    return {VERIFIED: 2, PENDING: 1}.get(verification, 0)
