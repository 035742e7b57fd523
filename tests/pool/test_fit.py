"""What fits in the pool: ``pool.capacity.fit``, the one answer every decision, plan and preview
uses. Pure cases first, then a property against the database: ``fit`` never says a grant fits
when the ledger's CHECK would refuse it, nor that it does not when the ledger would take it."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocations.models import Allocation
from applications.models import Application, ApplicationItem
from pool.capacity import FreeUnits, Need, fit, lock_ledger, preview
from pool.models import CapacityLedger, CapacityPhase, Offering
from tests.allocations.conftest import make_call
from tests.factories import OrganizationFactory

DAY = date(2031, 1, 1)


def day(n: int) -> date:
    return DAY + timedelta(days=n)


def free(offering: Offering, figures: list[int]) -> FreeUnits:
    return FreeUnits({(offering.pk, day(n)): units for n, units in enumerate(figures)})


@pytest.fixture
def gpu() -> Offering:
    return Offering(pk=1, name="A100", kind="gpu", unit="gpu")


def test_a_need_fits_when_every_day_of_its_period_has_the_units(gpu):
    assert fit(free(gpu, [5, 4, 5]), [Need(gpu, 4, day(0), day(2))]) == []


def test_a_need_that_does_not_fit_names_its_tightest_day(gpu):
    [shortfall] = fit(free(gpu, [5, 3, 2, 4]), [Need(gpu, 3, day(0), day(3))])

    assert (shortfall.wanted, shortfall.free, shortfall.day) == (3, 2, day(2))


def test_needs_of_one_offering_count_together_in_the_order_given(gpu):
    figures = free(gpu, [5, 5])

    shortfalls = fit(figures, [Need(gpu, 3, day(0), day(1)), Need(gpu, 3, day(1), day(1))])

    assert [(s.wanted, s.free, s.day) for s in shortfalls] == [(3, 2, day(1))]


def test_take_keeps_what_is_left_only_when_everything_fits(gpu):
    figures = free(gpu, [5, 5])

    assert fit(figures, [Need(gpu, 6, day(0), day(0))], take=True) != []
    assert figures.tightest(gpu.pk, day(0), day(1)) == (5, day(0))
    assert fit(figures, [Need(gpu, 2, day(0), day(1))], take=True) == []
    assert figures.tightest(gpu.pk, day(0), day(1)) == (3, day(0))


# --- Against the ledger -----------------------------------------------------------------------------

periods = st.tuples(st.integers(0, 8), st.integers(0, 8)).map(lambda pair: (min(pair), max(pair)))


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacities=st.tuples(st.integers(0, 8), st.integers(0, 8)),
    change_day=st.integers(1, 9),
    held=st.lists(st.tuples(st.integers(0, 6), periods), max_size=4),
    wanted=st.lists(st.tuples(st.integers(1, 6), periods), min_size=1, max_size=3),
)
def test_fit_agrees_with_the_ledgers_check(capacities, change_day, held, wanted):
    with transaction.atomic():
        offering = Offering.objects.create(name="Pool under test", kind="gpu", unit="gpu")
        CapacityPhase.objects.create(offering=offering, starts_on=day(0), units=capacities[0])
        CapacityPhase.objects.create(offering=offering, starts_on=day(change_day), units=capacities[1])
        lock_ledger([(offering.pk, day(0), day(9))])  # the days exist, as the engine makes them
        for units, (start, end) in held:  # what earlier grants hold, within the capacity
            for n in range(start, end + 1):
                row = CapacityLedger.objects.get(offering=offering, day=day(n))
                row.reserved = min(row.capacity, row.reserved + units)
                row.save(update_fields=["reserved"])
        needs = [Need(offering, units, day(start), day(end)) for units, (start, end) in wanted]

        fits = fit(lock_ledger(need.period for need in needs), needs) == []

        call = make_call(offering)
        allocations = []
        for need in needs:
            application = Application.objects.create(
                organization=OrganizationFactory(), call=call, status="submitted", submitted_at=call.opens_at
            )
            item = ApplicationItem.objects.create(
                application=application,
                offering=offering,
                quantity=need.units,
                starts_on=need.starts_on,
                ends_on=need.ends_on,
            )
            allocations.append(
                Allocation(
                    organization_id=application.organization_id,
                    application_item=item,
                    offering=offering,
                    quantity=need.units,
                    starts_on=need.starts_on,
                    ends_on=need.ends_on,
                    state="pending",
                )
            )
        try:
            with transaction.atomic():
                Allocation.objects.bulk_create(allocations)  # one statement, as the engine grants
            ledger_took_it = True
        except IntegrityError:
            ledger_took_it = False
        transaction.set_rollback(True)

    assert fits == ledger_took_it


@pytest.mark.django_db
def test_the_preview_reads_the_pool_as_it_is(gpu_pool):
    [shown] = preview([Need(gpu_pool, 4, date(2031, 1, 1), date(2031, 1, 31))])

    assert (shown.free, shown.after, shown.fits) == (10, 6, True)
