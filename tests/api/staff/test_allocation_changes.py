"""GET /api/v1/staff/allocations/changes/: the feed the provisioning and monitoring systems poll."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from allocations.models import Allocation
from allocations.services import decisions, provisioning
from tests.api.conftest import assert_problem
from tests.integration.conftest import current_database_url

# On PostgreSQL a change is numbered as its transaction commits (see api.feeds): the allocations
# these tests write must be committed, not held in a test's transaction.
feed_db = pytest.mark.django_db(transaction=True)

FEED = "/api/v1/staff/allocations/changes/"


def read(client, url=FEED, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def approve_all(actor, applications) -> list[Allocation]:
    return [
        a for application in applications for a in decisions.application_approve(actor=actor, application=application)
    ]


@feed_db
def test_the_feed_lists_allocations_in_the_order_they_changed(reviewer, reviewer_api, ranked):
    first = approve_all(reviewer, ranked[:2])

    body = read(reviewer_api)

    assert [row["id"] for row in body["results"]] == [a.pk for a in first]
    row = body["results"][0]
    assert row["state"] == "pending"
    assert row["organization"]["id"] == ranked[0].organization_id
    assert row["application_id"] == ranked[0].pk
    assert row["call_id"] == ranked[0].call_id


@feed_db
def test_following_next_returns_only_what_changed_since(reviewer, operator, reviewer_api, ranked):
    first, second, third = approve_all(reviewer, ranked[:2])
    page = read(reviewer_api)
    assert read(reviewer_api, page["next"])["results"] == []

    provisioning.allocation_provision(allocation_id=second.pk)
    later = read(reviewer_api, page["next"])

    assert [(row["id"], row["state"]) for row in later["results"]] == [(second.pk, "active")]
    assert read(reviewer_api, later["next"])["results"] == []


@feed_db
def test_pages_follow_each_other_without_gaps(reviewer, reviewer_api, ranked):
    allocations = approve_all(reviewer, ranked[:2])

    seen, url = [], FEED + "?page_size=1"
    for _ in range(3):
        page = read(reviewer_api, url)
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert seen == [a.pk for a in allocations]
    assert "page_size=1" in url


@feed_db
def test_since_starts_the_feed_at_a_time(reviewer, reviewer_api, ranked):
    approve_all(reviewer, ranked[:1])
    after = timezone.now() + timedelta(seconds=1)

    assert read(reviewer_api, since=after.isoformat())["results"] == []
    assert len(read(reviewer_api, since=(after - timedelta(hours=1)).isoformat())["results"]) == 2


@feed_db
def test_a_change_committed_while_an_empty_first_page_is_read_is_not_skipped(
    reviewer, reviewer_api, ranked, monkeypatch
):
    """The page is read, then another transaction commits a change: the empty page's ``next``
    must still lead to it."""
    from api import feeds

    (allocation, *_) = approve_all(reviewer, ranked[:1])
    read_page = feeds.allocation_changes

    def a_commit_right_after_the_page(**kwargs):
        rows = list(read_page(**kwargs))
        Allocation.objects.filter(pk=allocation.pk).update(attempts=7)  # autocommit: committed now
        return rows

    monkeypatch.setattr(feeds, "allocation_changes", a_commit_right_after_the_page)
    first = read(reviewer_api, since=(timezone.now() + timedelta(hours=1)).isoformat())
    monkeypatch.undo()

    assert first["results"] == []
    assert [row["id"] for row in read(reviewer_api, first["next"])["results"]] == [allocation.pk]


@feed_db
def test_a_cursor_that_is_not_ours_is_a_400(reviewer_api):
    body = assert_problem(reviewer_api.get(FEED, {"cursor": "not-a-cursor"}), 400)

    assert set(body["errors"]) == {"cursor"}


@feed_db
def test_a_page_costs_the_same_queries_with_2_or_100_allocations(
    reviewer, reviewer_api, call, gpu_pool, django_assert_max_num_queries
):
    from tests.allocations.conftest import submitted_application

    approve_all(reviewer, [submitted_application(call, (gpu_pool, 1)) for _ in range(2)])
    read(reviewer_api)  # the token's "last used" is written once a minute, not per page
    # The token, the second factor, the role's permissions (2), the page.
    with django_assert_max_num_queries(5) as small:
        read(reviewer_api)
    approve_all(reviewer, [submitted_application(call, (gpu_pool, 1)) for _ in range(8)])
    with django_assert_max_num_queries(len(small)):
        assert len(read(reviewer_api, page_size=100)["results"]) == 10


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent transactions: PostgreSQL")
@feed_db
def test_a_change_committed_late_is_not_skipped(reviewer, reviewer_api, ranked):
    """A transaction that wrote first and commits last: its change comes after everything the
    reader has already read, not behind the cursor."""
    import psycopg

    early, late = approve_all(reviewer, ranked[:1])  # its GPUs and its storage
    cursor = read(reviewer_api)["next"]
    other = psycopg.connect(current_database_url())
    try:
        with other.cursor() as statement:
            statement.execute("UPDATE allocations_allocation SET attempts = attempts + 1 WHERE id = %s", [early.pk])
        Allocation.objects.filter(pk=late.pk).update(attempts=7)  # commits at once, after the other began

        first = read(reviewer_api, cursor)
        assert [row["id"] for row in first["results"]] == [late.pk]
        other.commit()
    finally:
        other.close()

    second = read(reviewer_api, first["next"])
    assert [row["id"] for row in second["results"]] == [early.pk]
    assert connection.vendor == "postgresql"
