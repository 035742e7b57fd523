from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_totp_uri
from demo.seed import DemoDataError, seed_demo


class Command(BaseCommand):
    help = (
        "Load demo data (accounts for each kind of user, offerings, calls, sample organisations and their "
        "applications, decisions and follow-up), all made through the portal's services. Idempotent; refuses "
        "to run when DEBUG is off."
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
        try:
            summary = seed_demo()
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            second_factor = f"  then a code: TOTP secret {DEMO_TOTP_SECRET}" if account.second_factor else ""
            self.stdout.write(f"  {account.role:<10} {account.email:<22}{second_factor}".rstrip())
        self.stdout.write(
            "Staff and the evaluator type a 6-digit code after the password: from an authenticator app given the\n"
            "secret (or its otpauth URI below), or from `make totp` (python manage.py demo_totp), which prints the\n"
            "current code. The evaluator sees the confidentiality pledge first, then the applications at /evaluation/."
        )
        for account in DEMO_ACCOUNTS:
            if account.second_factor:
                self.stdout.write(f"  {account.role:<10} {demo_totp_uri(account)}")
        for line in summary.lines():
            self.stdout.write(line)
