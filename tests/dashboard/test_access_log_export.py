"""Operators export a period of the personal-data access log as CSV for an audit (the form is on
the log's list in the admin); the export is recorded in the log too."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accesslog import services
from accesslog.models import AccessPage, AccessRecord
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("access_log_export")


def recorded_at(moment: datetime, actor, subject) -> AccessRecord:
    with time_machine.travel(moment, tick=False):
        record = services.access_record(
            actor=actor, address="198.51.100.4", page=AccessPage.CERTIFICATE, path="/x/", subject=subject
        )
    assert record is not None
    return record


def rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def history(reviewer, operator):
    """Accesses on the evening of 31 March, on 1 April and at 23:30 on 30 April (Korean time)."""
    organization = OrganizationFactory(legal_name='=HYPERLINK("http://evil","x")')
    return [
        recorded_at(datetime(2026, 3, 31, 14, 59, tzinfo=UTC), reviewer, organization),  # 23:59 KST, 31 March
        recorded_at(datetime(2026, 3, 31, 15, 0, tzinfo=UTC), reviewer, organization),  # 00:00 KST, 1 April
        recorded_at(datetime(2026, 4, 30, 14, 30, tzinfo=UTC), operator, organization),  # 23:30 KST, 30 April
        recorded_at(datetime(2026, 4, 30, 15, 0, tzinfo=UTC), operator, organization),  # 00:00 KST, 1 May
    ]


def test_an_operator_exports_the_days_of_a_period_oldest_first(client, operator, reviewer, history):
    client.force_login(operator)

    response = client.get(EXPORT, {"start": "2026-04-01", "end": "2026-04-30"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="access-log-20260401-20260430-' in response["Content-Disposition"]
    header, *lines = rows(response)
    assert len(header) == 9
    assert [line[0] for line in lines] == ["2026-04-01 00:00:00", "2026-04-30 23:30:00"]
    assert [line[1] for line in lines] == [reviewer.email, operator.email]
    assert lines[0][6] == '\'=HYPERLINK("http://evil","x")'  # a name never runs as a formula
    assert lines[0][7] == "198.51.100.4"


def test_the_export_is_itself_recorded(client, operator, history):
    client.force_login(operator)

    client.get(EXPORT, {"start": "2026-04-01", "end": "2026-04-30"}, REMOTE_ADDR="192.0.2.5")

    export = AccessRecord.objects.latest("pk")
    assert (export.actor, export.page, export.kind) == (operator, "access_log_export", "export")
    assert export.object_repr == "access-log-20260401-20260430.csv"
    assert export.path == f"{EXPORT}?start=2026-04-01&end=2026-04-30"
    assert export.ip_address == "192.0.2.5"


@pytest.mark.parametrize(
    "query",
    [{}, {"start": "2026-04-30", "end": "2026-04-01"}, {"start": "yesterday", "end": "2026-04-01"}],
)
def test_a_missing_or_reversed_period_is_sent_back_to_the_log_with_a_message(client, operator, query):
    client.force_login(operator)

    response = client.get(EXPORT, query, follow=True)

    assert response.redirect_chain == [(reverse("admin:accesslog_accessrecord_changelist"), 302)]
    assert list(response.context["messages"])
    assert not AccessRecord.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "applicant"])
def test_only_those_who_read_the_log_export_it(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(EXPORT, {"start": "2026-04-01", "end": "2026-04-30"}).status_code == 403


def test_the_logs_list_offers_the_export(client, operator):
    client.force_login(operator)

    page = client.get(reverse("admin:accesslog_accessrecord_changelist")).content.decode()

    assert f'action="{EXPORT}"' in page
