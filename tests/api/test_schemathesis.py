"""Schemathesis against the live schema of a live server: every operation of /api/schema/,
called with generated and boundary inputs as an applicant (read, write) and as a reviewer (read,
write, staff), must answer without a server error, with a status code, content type and body the
schema declares.

The portal serves from pytest-django's live server (a thread of this process, on the test
database) and Schemathesis runs as its own process (its command line, as CI would run it against
a deployment). The database holds what the operations need to reach their objects: an open call,
the applicant's organisation with a draft and a submitted application, an approved and
provisioned allocation with its usage, and a merit-evaluated call. Wall time: about a minute per
token with the examples bounded (``MAX_EXAMPLES``).
"""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from allocations.services import decisions, provisioning
from api.services import token_create
from applications.models import ApplicationItem, Membership, PriorityClaim
from applications.services import application_start
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 3
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def seed(applicant, reviewer):
    """What the operations reach: ids 1, 2, … exist for calls, applications, allocations."""
    organization = OrganizationFactory(legal_name="광주 AI 주식회사")
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)
    gpu = make_pool(100)
    call = make_call(gpu, max_per_application=8)
    draft = application_start(actor=applicant, call=call, organization=organization)
    draft.project_title = "제조 결함 탐지"
    draft.save()
    ApplicationItem.objects.create(
        application=draft, offering=gpu, quantity=2, starts_on=call.service_starts_on, ends_on=call.service_ends_on
    )
    PriorityClaim.objects.create(application=draft, kind=PriorityClaim.Kind.GWANGJU_LOCATED, details="본사")
    submitted = submitted_application(make_call(gpu, max_per_application=8), (gpu, 4))
    submitted.organization = organization
    submitted.save()
    approved = submitted_application(make_call(gpu, max_per_application=8), (gpu, 2))
    approved.organization = organization
    approved.save()
    [allocation] = decisions.application_approve(actor=reviewer, application=approved)
    provisioning.allocation_provision(allocation_id=allocation.pk)
    submitted_application(call, (gpu, 3))  # another organisation's, in the open call


def token(user, scopes: set[str]) -> str:
    return token_create(actor=user, name="schemathesis", scopes=scopes, expires_at=timezone.now() + timedelta(days=1))[
        1
    ]


def schemathesis(url: str, token: str, tmp_path, name: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run", f"{url}/api/schema/",
            "--checks", CHECKS,
            "--phases", "examples,fuzzing,stateful",
            "--max-examples", str(MAX_EXAMPLES),
            "--generation-allow-x00", "false",
            "--seed", "20",
            "--header", f"Authorization: Bearer {token}",
            "--header", "Accept-Language: en",
            "--request-timeout", "30",
            "--continue-on-failure",
            "--no-color",
            "--report", "junit",
            "--report-junit-path", str(tmp_path / f"schemathesis-{name}.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its example cache (.schemathesis/) stays out of the repository
    )  # fmt: skip


@pytest.fixture
def served(settings, live_server, applicant, reviewer):
    # The rate limits would answer 429 after a few hundred requests; the schema allows a 429, but
    # it would stop the operations from being reached.
    settings.API_RATE_LIMITS = {"token": "100000/min", "session": "100000/min", "anonymous": "100000/min"}
    seed(applicant, reviewer)
    return live_server.url


@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_every_operation_answers_as_the_schema_says(served, applicant, reviewer, tmp_path, role):
    user, scopes = (applicant, {"read", "write"}) if role == "applicant" else (reviewer, {"read", "write", "staff"})

    result = schemathesis(served, token(user, scopes), tmp_path, role)

    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
