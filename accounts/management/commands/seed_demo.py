from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, seed_demo_accounts
from aftercare.demo import seed_demo_aftercare
from allocations.demo import seed_demo_decisions, seed_demo_pool
from applications.demo import CURRENT_CALL_TITLE, HISTORIC_CALL_TITLE, PILOT_CALL_TITLE, seed_demo_calls


class Command(BaseCommand):
    help = (
        "Load demo data (accounts for each kind of user, offerings, calls, sample organisations and their "
        "applications). Idempotent; refuses to run when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (a staging site, never production)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo accounts have published passwords: refusing with DEBUG off (use --force on staging)."
            )
        accounts = seed_demo_accounts()
        summary = seed_demo_calls()
        phases = seed_demo_pool()
        decisions = seed_demo_decisions([PILOT_CALL_TITLE, HISTORIC_CALL_TITLE])
        # The demo organisation's award in service is granted before the large call in service
        # fills the GPUs (its decisions leave a wait-list).
        aftercare = seed_demo_aftercare()
        current = seed_demo_decisions([CURRENT_CALL_TITLE])
        decisions = {key: decisions[key] + current[key] for key in decisions}
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for account in accounts:
            self.stdout.write(f"  {account.role:<10} {account.email}")
        self.stdout.write(
            f"Demo data: {summary}, {phases} capacity phases; past calls decided: "
            f"{decisions['approved']} approved, {decisions['waitlisted']} wait-listed"
        )
        self.stdout.write(
            f"After the award: {aftercare['reports']} reports ({aftercare['overdue_reports']} overdue), "
            f"{aftercare['survey_responses']} survey responses, "
            f"{aftercare['change_requests']} change requests awaiting a decision"
        )
