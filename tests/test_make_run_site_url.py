"""``make run`` serves on ``PORT`` and mails links to the same address: it sets ``SITE_URL`` from
``PORT`` for the web process, the worker and the demo data (a ``SITE_URL`` already set wins)."""

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned_commands(*arguments: str, **environment: str) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("SITE_URL", "PORT")}
    # The venv is there: make would not rebuild it, but -n prints only what it would run.
    answer = subprocess.run(
        ["make", "-n", "run", *arguments], cwd=ROOT, env={**env, **environment}, capture_output=True, text=True
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.splitlines()


def site_url_of(line: str) -> str:
    words = [word for word in shlex.split(line) if word.startswith("SITE_URL=")]
    assert len(words) == 1, line
    return words[0].removeprefix("SITE_URL=")


def test_make_run_on_another_port_mails_links_to_that_port():
    lines = planned_commands("PORT=8123")

    starting = [line for line in lines if "honcho start" in line]
    seeding = [line for line in lines if "seed_demo" in line]
    assert len(starting) == 1 and "--port 8123" in starting[0]
    assert site_url_of(starting[0]) == "http://127.0.0.1:8123"
    assert site_url_of(seeding[0]) == "http://127.0.0.1:8123"


def test_make_run_keeps_a_site_url_given_in_the_environment():
    lines = planned_commands("PORT=8123", SITE_URL="https://portal.example.kr")

    assert site_url_of(next(line for line in lines if "honcho start" in line)) == "https://portal.example.kr"


@pytest.mark.django_db
def test_the_portals_emails_link_to_the_site_url_make_run_sets(settings, applicant):
    """What the worker renders with the SITE_URL of ``make run PORT=8123``: links on port 8123,
    each alone on its line."""
    from applications import services
    from tests.factories import MembershipFactory, OrganizationFactory
    from tests.mailbox import deliver_queued

    settings.SITE_URL = "http://127.0.0.1:8123"
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, user=applicant, role="owner")

    services.organization_invite(actor=applicant, organization=organization, email="researcher@example.kr")
    [sent] = deliver_queued()

    links = [line for line in sent.body.splitlines() if "://" in line]
    assert links and all(line.startswith("http://127.0.0.1:8123/invitations/") for line in links)
    assert all(" " not in line.strip() for line in links)
