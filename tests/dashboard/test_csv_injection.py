"""No CSV file of the portal can make a spreadsheet run what someone typed: text starting with =,
+, -, @, a tab or a carriage return (OWASP's CSV-injection rule) comes out behind a single quote,
as text. Every export is checked with an organisation, a call and an offering named like a formula."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.models import Allocation
from applications.models import Call, Organization
from dashboard import exports
from pool.capacity import lock_ledger
from pool.models import CapacityPhase, Offering
from tests.allocations.conftest import submitted_application
from tests.dashboard.test_dashboard_views import csv_rows

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The exports that show text someone typed (an organisation's name, a call's title, an offering's
# name); the others (funnel, breakdowns, surveys) show the portal's own labels and figures only.
SHOWING_TYPED_TEXT = {"capacity", "utilisation", "demand", "expiring", "waitlist"}


@pytest.fixture
def hostile_world(world):
    """The worked example, with an allocation ending soon (for the "expiring" export), where every
    organisation, the call and the offering are named like a formula."""
    today = timezone.localdate()
    CapacityPhase.objects.create(offering=world.offering, starts_on=today, units=10)
    ending = submitted_application(world.call, (world.offering, 1, today, today + timedelta(days=10)))
    item = ending.items.get()
    lock_ledger([(world.offering.pk, item.starts_on, item.ends_on)])
    Allocation.objects.create(
        organization=ending.organization,
        application_item=item,
        offering=world.offering,
        quantity=1,
        starts_on=item.starts_on,
        ends_on=item.ends_on,
        state="active",
    )
    Organization.objects.update(legal_name=HOSTILE)
    Call.objects.filter(pk=world.call.pk).update(title=HOSTILE)
    Offering.objects.filter(pk=world.offering.pk).update(name=HOSTILE)
    return world


def test_the_tables_showing_typed_text_are_known():
    assert SHOWING_TYPED_TEXT <= set(exports.TABLES)


@pytest.mark.parametrize("table", sorted(exports.TABLES))
def test_no_cell_of_an_export_starts_like_a_formula(client, operator, hostile_world, table):
    client.force_login(operator)

    rows = csv_rows(client.get(reverse("dashboard_export", args=[table]), {"call": hostile_world.call.pk}))

    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    if table in SHOWING_TYPED_TEXT:
        assert any(cell.startswith("'" + HOSTILE) for cell in cells)  # there, as text


def test_text_starting_like_a_formula_is_quoted_and_the_portals_figures_are_left_alone():
    header = ["=header", "Organisation"]
    text = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", "'quoted", "", "기관 -1"]
    figures = [-3, Decimal("-0.5"), 0, None]

    response = exports.csv_response("probe", (header, [text + figures]))

    rows = csv_rows(response)
    assert rows[0] == ["'=header", "Organisation"]
    assert rows[1] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "'quoted", "", "기관 -1"] + [
        "-3",
        "-0.5",
        "0",
        "",
    ]
