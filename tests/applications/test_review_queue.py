"""The review queue (the application changelist in the admin) and the call's priority policy."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationItem, Organization, PriorityClaim, PriorityWeight
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.factories import OrganizationFactory, business_number

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:applications_application_changelist")
T0 = timezone.now() - timedelta(days=1)


def queue(client, **params) -> list[Application]:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def with_score(application: Application, score: int) -> Application:
    Application.objects.filter(pk=application.pk).update(priority_score=score)
    return application


def test_the_rank_follows_the_score_then_the_submission_time(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    early_without_priority = submitted_application(call, (gpu_pool, 1), submitted_at=T0)
    early_with_priority = with_score(
        submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=1)), 30
    )
    late_with_priority = with_score(
        submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=2)), 30
    )
    draft = Application.objects.create(organization=OrganizationFactory(), call=call)
    other_call = submitted_application(make_call(gpu_pool), (gpu_pool, 1), submitted_at=T0 + timedelta(hours=3))
    client.force_login(reviewer)

    rows = queue(client)

    ranks = {row.pk: row.rank for row in rows}
    assert ranks == {
        early_with_priority.pk: 1,
        late_with_priority.pk: 2,
        early_without_priority.pk: 3,
        draft.pk: None,
        other_call.pk: 1,
    }
    in_call = [row.pk for row in rows if row.call_id == call.pk and row.rank is not None]
    assert in_call == [early_with_priority.pk, late_with_priority.pk, early_without_priority.pk]


def test_sorting_by_the_rank_column_follows_the_kept_ranks_in_the_index_order(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    third = submitted_application(call, (gpu_pool, 1), submitted_at=T0)
    first = with_score(submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=1)), 30)
    second = with_score(submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=2)), 30)
    Application.objects.filter(pk=second.pk).update(status=Application.Status.WAITLISTED)
    draft = Application.objects.create(organization=OrganizationFactory(), call=call)
    client.force_login(reviewer)
    rank_column = "1"  # after the action check box

    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        ascending = queue(client, o=rank_column)
    descending = queue(client, o=f"-{rank_column}")

    # The rank is the kept column: the page sorts by the columns of ``application_queue_rank``
    # (call, rank, id), never by a count per row.
    (page_query,) = [sql for sql in statements if "ORDER BY" in sql and '"rank"' in sql]
    order_by = page_query.rpartition("ORDER BY")[2].partition(" LIMIT")[0]
    assert [part.strip() for part in order_by.split(",")] == [
        '"applications_application"."call_id" DESC',
        '"applications_application"."rank" ASC NULLS LAST',
        '"applications_application"."id" ASC',
    ]
    assert [(row.pk, row.rank) for row in ascending] == [(first.pk, 1), (second.pk, 2), (third.pk, 3), (draft.pk, None)]
    assert [row.pk for row in descending] == [draft.pk, third.pk, second.pk, first.pk]


def test_the_row_shows_claims_and_requested_gpu_and_storage_without_multiplying(
    client, reviewer, gpu_pool, storage_pool
):
    h100 = make_pool(8, name="H100 GPU")
    application = submitted_application(
        make_call(gpu_pool, h100, storage_pool), (gpu_pool, 2), (h100, 3), (storage_pool, 30)
    )
    for kind, verification in zip(PriorityClaim.Kind.values, ["verified", "pending", "rejected"], strict=True):
        PriorityClaim.objects.create(application=application, kind=kind, verification=verification)
    client.force_login(reviewer)

    (row,) = queue(client)

    assert (row.claims_verified, row.claims_pending, row.claims_rejected) == (1, 1, 1)
    assert (row.requested_gpu_units, row.requested_storage_units) == (5, 30)


def test_the_queue_filters_by_call_status_claim_kind_and_region(client, reviewer, gpu_pool):
    call, other_call = make_call(gpu_pool), make_call(gpu_pool)
    in_call = submitted_application(call, (gpu_pool, 1))
    in_other_call = submitted_application(other_call, (gpu_pool, 1))
    waitlisted = submitted_application(call, (gpu_pool, 1))
    Application.objects.filter(pk=waitlisted.pk).update(status=Application.Status.WAITLISTED)
    PriorityClaim.objects.create(application=in_other_call, kind=PriorityClaim.Kind.RELOCATING)
    PriorityClaim.objects.create(application=in_call, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    Organization.objects.filter(pk=waitlisted.organization_id).update(region="seoul")
    client.force_login(reviewer)

    def pks(**params):
        return {row.pk for row in queue(client, **params)}

    assert pks(call__id__exact=call.pk) == {in_call.pk, waitlisted.pk}
    assert pks(status__exact="waitlisted") == {waitlisted.pk}
    assert pks(claim_kind="relocating") == {in_other_call.pk}
    assert pks(organization__region__exact="seoul") == {waitlisted.pk}
    assert pks(call__id__exact=call.pk, claim_kind="gwangju_located") == {in_call.pk}


def test_the_queue_finds_an_organisation_by_its_registration_number(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    wanted = submitted_application(call, (gpu_pool, 1))
    submitted_application(call, (gpu_pool, 1))
    number = wanted.organization.registration_number
    client.force_login(reviewer)

    assert [row.pk for row in queue(client, q=number)] == [wanted.pk]
    assert [row.pk for row in queue(client, q=f"{number[:3]}-{number[3:5]}-{number[5:]}")] == [wanted.pk]


def test_a_reviewer_sees_a_decide_link_but_no_status_can_be_edited(client, reviewer, operator, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    decide = reverse("admin:applications_application_decide", args=[application.pk])
    client.force_login(reviewer)

    response = client.get(QUEUE, {"status__exact": "submitted"})

    assert decide in response.content.decode()
    assert 'name="form-0-status"' not in response.content.decode()
    client.force_login(operator)
    assert decide not in client.get(QUEUE).content.decode()


def build_queue(size: int, gpu_pool, storage_pool) -> None:
    """``size`` submitted applications to one call, each with a GPU and a storage item and a claim."""
    call = make_call(gpu_pool, storage_pool)
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"기관 {n}",
            org_type="sme",
            registration_number=business_number(700_000_000 + n),
            region="gwangju",
            address="광주광역시",
            industry="healthcare",
            employees=10,
        )
        for n in range(size)
    )
    applications = Application.objects.bulk_create(
        Application(
            organization=organization,
            call=call,
            status=Application.Status.SUBMITTED,
            submitted_at=T0 + timedelta(minutes=n),
            priority_score=(n % 4) * 10,
            purpose="training",
            project_title="Project",
        )
        for n, organization in enumerate(organizations)
    )
    ApplicationItem.objects.bulk_create(
        ApplicationItem(
            application=application,
            offering=offering,
            quantity=quantity,
            starts_on=call.service_starts_on,
            ends_on=call.service_ends_on,
        )
        for application in applications
        for offering, quantity in ((gpu_pool, 1), (storage_pool, 10))
    )
    PriorityClaim.objects.bulk_create(
        PriorityClaim(
            application=application,
            kind=PriorityClaim.Kind.values[n % 3],
            verification=PriorityClaim.Verification.values[n % 3],
        )
        for n, application in enumerate(applications)
    )


@pytest.mark.parametrize("size", [10, 1000])
@pytest.mark.parametrize(
    "params", [{}, {"claim_kind": "relocating", "status__exact": "submitted"}, {"q": "기관", "o": "1"}]
)
def test_a_queue_page_takes_at_most_15_queries_whatever_the_number_of_applications(
    client, reviewer, gpu_pool, storage_pool, django_assert_max_num_queries, size, params
):
    build_queue(size, gpu_pool, storage_pool)
    client.force_login(reviewer)

    with django_assert_max_num_queries(15):
        response = client.get(QUEUE, params)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(size if not params.get("claim_kind") else size // 3, 100)


def test_the_queue_counts_once_what_its_filters_select(client, reviewer, gpu_pool):
    # What the README says of the page: one COUNT for the paginator, of the rows the filters
    # select; with no filter that is every application (the table), with a call only that call.
    call, other_call = make_call(gpu_pool), make_call(gpu_pool)
    for target in (call, other_call):
        submitted_application(target, (gpu_pool, 1))
    client.force_login(reviewer)

    with CaptureQueriesContext(connection) as unfiltered:
        client.get(QUEUE)
    with CaptureQueriesContext(connection) as one_call:
        client.get(QUEUE, {"call__id__exact": call.pk})

    counts = [
        [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(")] for captured in (unfiltered, one_call)
    ]
    assert [len(found) for found in counts] == [1, 1]
    assert "WHERE" not in counts[0][0].upper()  # the whole table
    assert f'"call_id" = {call.pk}' in counts[1][0]


# --- The call's priority policy ------------------------------------------------------------------


def call_form_data(call, weights: list[tuple[int | None, str, int]], **fields) -> dict:
    """A POST for the call's admin form keeping its offerings; ``weights`` are (id or None, kind, points)."""
    offerings = list(call.call_offerings.all()) if call.pk else []
    data = {
        "title": call.title,
        "description": call.description,
        "opens_at_0": timezone.localtime(call.opens_at).date().isoformat(),
        "opens_at_1": timezone.localtime(call.opens_at).strftime("%H:%M:%S"),
        "deadline_0": timezone.localtime(call.deadline).date().isoformat(),
        "deadline_1": timezone.localtime(call.deadline).strftime("%H:%M:%S"),
        "service_starts_on": call.service_starts_on.isoformat(),
        "service_ends_on": call.service_ends_on.isoformat(),
        "selection_target": call.selection_target,
        "call_offerings-TOTAL_FORMS": len(offerings),
        "call_offerings-INITIAL_FORMS": len(offerings),
        "call_offerings-MIN_NUM_FORMS": 0,
        "call_offerings-MAX_NUM_FORMS": 1000,
        "priority_weights-TOTAL_FORMS": len(weights),
        "priority_weights-INITIAL_FORMS": len([w for w in weights if w[0]]),
        "priority_weights-MIN_NUM_FORMS": 0,
        "priority_weights-MAX_NUM_FORMS": 3,
        **fields,
    }
    for n, offering in enumerate(offerings):
        data.update(
            {
                f"call_offerings-{n}-id": offering.pk,
                f"call_offerings-{n}-call": call.pk,
                f"call_offerings-{n}-offering": offering.offering_id,
                f"call_offerings-{n}-max_per_application": offering.max_per_application,
            }
        )
    for n, (pk, kind, points) in enumerate(weights):
        data.update(
            {
                f"priority_weights-{n}-id": pk or "",
                f"priority_weights-{n}-call": call.pk or "",
                f"priority_weights-{n}-kind": kind,
                f"priority_weights-{n}-points": points,
            }
        )
    return data


def test_a_new_call_gets_the_default_policy(client, operator):
    from applications.models import Call

    client.force_login(operator)
    page = client.get(reverse("admin:applications_call_add"))
    [policy] = [i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is PriorityWeight]
    assert [(form.initial["kind"], form.initial["points"]) for form in policy.forms] == [
        ("gwangju_located", 30),
        ("relocating", 20),
        ("cluster_participant", 10),
    ]
    template = Call(
        title="새 공고",
        description="d",
        opens_at=T0,
        deadline=T0 + timedelta(days=10),
        service_starts_on=(T0 + timedelta(days=30)).date(),
        service_ends_on=(T0 + timedelta(days=90)).date(),
        selection_target=5,
    )
    # The blank policy rows show the defaults; one is changed, the others are left as shown.
    weights = [(None, "gwangju_located", 45), (None, "relocating", 20), (None, "cluster_participant", 10)]

    response = client.post(reverse("admin:applications_call_add"), call_form_data(template, weights))

    assert response.status_code == 302, response.context["adminform"].form.errors
    call = Call.objects.get(title="새 공고")
    assert dict(call.priority_weights.values_list("kind", "points")) == {
        "gwangju_located": 45,
        "relocating": 20,
        "cluster_participant": 10,
    }


def test_changing_the_policy_rescores_the_queue(client, operator, reviewer, gpu_pool):
    from applications import services

    call = make_call(gpu_pool)
    services.priority_policy_defaults(call)
    located = submitted_application(call, (gpu_pool, 1), submitted_at=T0)
    relocating = submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=1))
    PriorityClaim.objects.create(application=located, kind="gwangju_located", verification="verified")
    PriorityClaim.objects.create(application=relocating, kind="relocating", verification="verified")
    services.priority_recompute(located)
    services.priority_recompute(relocating)
    weights = {weight.kind: weight.pk for weight in PriorityWeight.objects.filter(call=call)}
    client.force_login(operator)

    response = client.post(
        reverse("admin:applications_call_change", args=[call.pk]),
        call_form_data(
            call,
            [
                # A saved weight's kind cannot be changed: the posted kind is ignored.
                (weights["gwangju_located"], "cluster_participant", 5),
                (weights["relocating"], "relocating", 40),
                (weights["cluster_participant"], "cluster_participant", 10),
            ],
        ),
    )

    assert response.status_code == 302
    located.refresh_from_db()
    relocating.refresh_from_db()
    assert (located.priority_score, relocating.priority_score) == (5, 40)
    assert dict(call.priority_weights.values_list("kind", "points")) == {
        "gwangju_located": 5,
        "relocating": 40,
        "cluster_participant": 10,
    }
    client.force_login(reviewer)
    assert [row.pk for row in queue(client, call__id__exact=call.pk)] == [relocating.pk, located.pk]


def _table_body(html: str) -> str:
    body = html.partition("<tbody>")[2].partition("</tbody>")[0]
    return re.sub(r">\s+<", "><", body).strip()


@pytest.mark.parametrize("params", [{}, {"o": "-2"}, {"status__exact": "submitted", "q": "기관"}])
def test_the_queue_rows_are_the_html_the_admin_would_render(client, reviewer, gpu_pool, storage_pool, params):
    """The rows rendered in one string per row (review.admin.rows) are Django's own cells: the
    check box, the linked organisation in its <th>, empty values, choices, dates, the decide
    link and the conflict marking, with the queue's filters kept in the links."""
    from review.admin.applications import ApplicationAdmin

    call = make_call(gpu_pool, storage_pool)
    for n in range(3):
        application = submitted_application(call, (gpu_pool, n + 1), (storage_pool, 10), submitted_at=T0)
        Organization.objects.filter(pk=application.organization_id).update(legal_name=f'기관 <{n}> & "co"')
    PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    Application.objects.create(organization=OrganizationFactory(legal_name="기관 draft"), call=call)
    from applications.services import conflict_declare

    conflict_declare(actor=reviewer, organization=application.organization, note="board member")
    client.force_login(reviewer)

    ours = client.get(QUEUE, params)
    ApplicationAdmin.change_list_template = None  # Django's own rendering
    try:
        django = client.get(QUEUE, params)
    finally:
        del ApplicationAdmin.change_list_template

    assert ours.status_code == django.status_code == 200
    assert _table_body(ours.content.decode()) == _table_body(django.content.decode())
    assert "decision-refused" in _table_body(ours.content.decode())
    assert _table_body(ours.content.decode()).count("<tr>") == len(ours.context["cl"].result_list)


def test_the_queue_counts_exactly_up_to_a_limit_and_estimates_past_it_on_postgresql(
    client, reviewer, gpu_pool, monkeypatch
):
    from review.admin import paginator

    monkeypatch.setattr(paginator, "EXACT_UP_TO", 3)
    call = make_call(gpu_pool)
    applications = [submitted_application(call, (gpu_pool, 1)) for _ in range(5)]
    Application.objects.filter(pk__in=[a.pk for a in applications[:2]]).update(status=Application.Status.WAITLISTED)
    client.force_login(reviewer)

    whole = client.get(QUEUE)
    filtered = client.get(QUEUE, {"status__exact": "waitlisted"})

    assert (filtered.context["cl"].result_count, filtered.context["cl"].paginator.estimated) == (2, False)
    if connection.vendor == "postgresql":
        # Past the limit: the planner's estimate, never below the rows counted, shown as such.
        assert whole.context["cl"].paginator.estimated
        assert whole.context["cl"].result_count >= 4
        assert "약 " in whole.content.decode()
    else:
        assert (whole.context["cl"].result_count, whole.context["cl"].paginator.estimated) == (5, False)
    assert len(whole.context["cl"].result_list) == 5
