"""Who applied and who was approved (dashboard.selectors.breakdowns), against values worked out by
hand for the world in conftest.py."""

from dashboard.selectors.breakdowns import call_breakdowns


def test_breakdowns_count_submitted_applications_and_approvals(world):
    breakdowns = {b.dimension: {row.key: (row.applications, row.approved) for row in b.rows} for b in
                  call_breakdowns(world.call)}  # fmt: skip

    assert breakdowns["priority"] == {"gwangju_located": (2, 1), "relocating": (1, 0), "cluster_participant": (1, 0)}
    assert breakdowns["org_type"] == {
        "mid_sized": (0, 0),
        "sme": (5, 3),  # A B E approved, G, J; the draft H does not count
        "venture": (1, 1),
        "public": (1, 0),
        "university": (2, 1),
        "other": (0, 0),
    }
    assert breakdowns["region"]["gwangju"] == (4, 2)
    assert breakdowns["region"]["seoul"] == (4, 2)  # C D approved, I, J
    assert breakdowns["region"]["busan"] == (1, 1)
    assert breakdowns["region"]["daegu"] == (0, 0)  # H is a draft
    assert sum(applications for applications, _ in breakdowns["region"].values()) == 9
    assert breakdowns["industry"] == {
        "automotive": (1, 1),
        "energy": (2, 2),
        "healthcare": (3, 2),
        "cultural_content": (0, 0),
        "other": (3, 0),
    }
    assert breakdowns["purpose"] == {"training": (5, 3), "inference": (2, 1), "analytics": (2, 1)}


def test_breakdowns_over_all_calls_include_every_call(world):
    from tests.allocations.conftest import make_call, submitted_application

    submitted_application(make_call(world.offering), (world.offering, 1))

    purpose = next(b for b in call_breakdowns(None) if b.dimension == "purpose")
    assert sum(row.applications for row in purpose.rows) == 10
