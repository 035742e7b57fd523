"""The rank kept on the row (migration 0013's triggers): after every change of what a rank
depends on (a submission, a withdrawal, a score, a submission time, a row inserted or deleted),
each application's ``rank`` is its position in its call's ranking, as ``ranked()`` orders it,
through the services and through plain SQL alike; decisions, which keep an application ranked,
move nobody."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from allocations.services import decisions
from applications import selectors, services
from applications.models import RANKED_STATUSES, Application, PriorityClaim
from tests.allocations.conftest import make_call, submitted_application
from tests.applications.conftest import complete
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=1)


def expected_ranks(call) -> dict[int, int | None]:
    """The ranks as the ranking's definition gives them, computed here from the rows."""
    rows = list(Application.objects.filter(call=call).values("pk", "status", "priority_score", "submitted_at"))
    ranked = sorted(
        (row for row in rows if row["status"] in RANKED_STATUSES),
        key=lambda row: (-row["priority_score"], row["submitted_at"], row["pk"]),
    )
    ranks: dict[int, int | None] = {row["pk"]: None for row in rows}
    ranks.update({row["pk"]: position for position, row in enumerate(ranked, start=1)})
    return ranks


def kept_ranks(call) -> dict[int, int | None]:
    return dict(Application.objects.filter(call=call).values_list("pk", "rank"))


def assert_ranks_kept(call) -> None:
    assert kept_ranks(call) == expected_ranks(call)
    in_ranking_order = list(selectors.ranked(Application.objects.filter(call=call, status__in=RANKED_STATUSES)))
    assert [application.rank for application in in_ranking_order] == list(range(1, len(in_ranking_order) + 1))


def member_draft(call, gpu_pool, applicant):
    organization = OrganizationFactory()
    organization.memberships.create(user=applicant, role="owner")
    draft = services.application_start(actor=applicant, call=call, organization=organization)
    return complete(draft, gpu_pool, 1)


@pytest.fixture
def call(gpu_pool):
    return make_call(gpu_pool, deadline=timezone.now() + timedelta(days=7), opens_at=T0 - timedelta(days=7))


@pytest.fixture
def field(call, gpu_pool):
    """Five submitted applications: scores 30, 0, 30, 10, 0, submitted an hour apart."""
    applications = []
    for hour, score in enumerate([30, 0, 30, 10, 0]):
        application = submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=hour))
        Application.objects.filter(pk=application.pk).update(priority_score=score)
        applications.append(application)
    return applications


def test_a_submission_takes_its_place_and_moves_those_behind(call, gpu_pool, applicant, field, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draft = member_draft(call, gpu_pool, applicant)
    PriorityClaim.objects.create(application=draft, kind=PriorityClaim.Kind.GWANGJU_LOCATED, evidence="x.pdf")
    assert kept_ranks(call)[draft.pk] is None

    services.application_submit(actor=applicant, application=draft)

    assert_ranks_kept(call)
    # A pending claim counts for nothing yet: last of the score-0 group, the latest submission.
    assert selectors.rank_of(draft) == 6


def test_a_verified_claim_moves_the_application_up(call, gpu_pool, reviewer, field):
    last = field[4]
    claim = PriorityClaim.objects.create(application=last, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    assert selectors.rank_of(last) == 5

    services.claim_review(actor=reviewer, claim=claim, verdict=PriorityClaim.Verification.VERIFIED)

    assert_ranks_kept(call)
    assert selectors.rank_of(last) == 3  # 30 points, after the two earlier 30s

    services.claim_review(actor=reviewer, claim=claim, verdict=PriorityClaim.Verification.REJECTED, note="no")
    assert_ranks_kept(call)
    assert selectors.rank_of(last) == 5


def test_decisions_keep_every_rank(call, reviewer, field):
    before = kept_ranks(call)

    decisions.application_approve(actor=reviewer, application=field[0])
    decisions.application_waitlist(actor=reviewer, application=field[1])
    decisions.application_reject(actor=reviewer, application=field[2], reason="out of scope")

    assert kept_ranks(call) == before
    assert_ranks_kept(call)


def test_a_withdrawal_leaves_the_ranking_and_those_behind_move_up(call, gpu_pool, applicant, field):
    withdrawn = field[2]  # rank 2
    withdrawn.organization.memberships.create(user=applicant, role="owner")

    services.application_withdraw(actor=applicant, application=withdrawn)

    assert_ranks_kept(call)
    assert selectors.rank_of(withdrawn) is None
    assert [selectors.rank_of(application) for application in field] == [1, 3, None, 2, 4]


def test_a_policy_change_rescores_and_reranks_the_call(call, operator, field):
    kinds = [PriorityClaim.Kind.RELOCATING, PriorityClaim.Kind.CLUSTER_PARTICIPANT] * 3
    for application, kind in zip(field, kinds[: len(field)], strict=True):
        PriorityClaim.objects.create(application=application, kind=kind, verification="verified")

    services.priority_policy_set(actor=operator, call=call, points={"relocating": 0, "cluster_participant": 50})

    assert_ranks_kept(call)
    assert selectors.rank_of(field[1]) == 1  # 50 points, the earlier of the two


def test_plain_sql_keeps_the_ranks_too(call, gpu_pool, field):
    """The guarantee is the database's: an UPDATE, an INSERT or a DELETE from anywhere."""
    other_call = make_call(gpu_pool)
    elsewhere = submitted_application(other_call, (gpu_pool, 1), submitted_at=T0)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE applications_application SET priority_score = 99 WHERE id = %s", [field[4].pk])
        assert_ranks_kept(call)
        cursor.execute(
            "UPDATE applications_application SET submitted_at = %s WHERE id = %s",
            [T0 - timedelta(hours=1), field[2].pk],
        )
        assert_ranks_kept(call)
        cursor.execute(
            "UPDATE applications_application SET status = 'draft', submitted_at = NULL WHERE id = %s", [field[0].pk]
        )
        assert_ranks_kept(call)
        cursor.execute("UPDATE applications_application SET call_id = %s WHERE id = %s", [other_call.pk, field[3].pk])
        assert_ranks_kept(call)
        assert_ranks_kept(other_call)
    Application.objects.bulk_update(
        [Application(pk=field[1].pk, submitted_at=T0 - timedelta(days=1), priority_score=30)],
        ["submitted_at", "priority_score"],
    )
    assert_ranks_kept(call)
    field[0].items.all().delete()
    Application.objects.filter(pk=field[0].pk).delete()
    field[4].items.all().delete()
    Application.objects.filter(pk=field[4].pk).delete()  # was first (99 points)
    assert_ranks_kept(call)
    assert_ranks_kept(other_call)
    assert selectors.rank_of(elsewhere) == 2


def test_many_applications_inserted_at_once_are_ranked(call, gpu_pool):
    organizations = [OrganizationFactory() for _ in range(30)]
    Application.objects.bulk_create(
        Application(
            organization=organization,
            call=call,
            status=Application.Status.SUBMITTED if n % 5 else Application.Status.DRAFT,
            submitted_at=T0 + timedelta(minutes=30 - n) if n % 5 else None,
            priority_score=(n % 3) * 10,
        )
        for n, organization in enumerate(organizations)
    )

    assert_ranks_kept(call)
    assert sum(rank is not None for rank in kept_ranks(call).values()) == 24


def test_the_requested_units_follow_the_items(call, gpu_pool, storage_pool):
    """The GPUs and storage an application requests are kept on it by the items' triggers:
    inserted, changed, deleted, through the ORM or plain SQL."""
    from applications.models import ApplicationItem

    def units(application) -> tuple[int, int]:
        return Application.objects.values_list("requested_gpu_units", "requested_storage_units").get(pk=application.pk)

    application = submitted_application(call, (gpu_pool, 2), (storage_pool, 30))
    other = submitted_application(call, (gpu_pool, 7))
    assert units(application) == (2, 30)

    ApplicationItem.objects.filter(application=application, offering=gpu_pool).update(quantity=5)
    assert units(application) == (5, 30)
    ApplicationItem.objects.filter(application=application, offering=storage_pool).delete()
    assert units(application) == (5, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO applications_applicationitem (application_id, offering_id, quantity, starts_on, ends_on)"
            " SELECT application_id, %s, 3, starts_on, ends_on FROM applications_applicationitem"
            " WHERE application_id = %s",
            [storage_pool.pk, application.pk],
        )
        assert units(application) == (5, 3)
        cursor.execute(
            "UPDATE applications_applicationitem SET application_id = %s"
            " WHERE application_id = %s AND offering_id = %s",
            [other.pk, application.pk, storage_pool.pk],
        )
    assert (units(application), units(other)) == ((5, 0), (7, 3))


def test_saving_a_copy_read_before_the_ranks_moved_does_not_undo_them(call, gpu_pool, field):
    """A whole-row save() (an admin form, a script) of an application read before another
    submission moved its rank, or before its items changed, leaves the kept columns alone."""
    stale = Application.objects.get(pk=field[4].pk)
    assert stale.rank == 5
    ahead = submitted_application(call, (gpu_pool, 3), submitted_at=T0 - timedelta(hours=1))
    assert kept_ranks(call)[stale.pk] == 6
    ahead_copy = Application.objects.get(pk=ahead.pk)
    ahead.items.update(quantity=2)

    stale.save()
    ahead_copy.organization = OrganizationFactory()
    ahead_copy.save()

    assert_ranks_kept(call)
    assert Application.objects.values_list("requested_gpu_units", flat=True).get(pk=ahead.pk) == 2
