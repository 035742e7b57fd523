import time

from allauth.mfa import app_settings
from django.core.management.base import BaseCommand

from demo.accounts import DEMO_ACCOUNTS, DEMO_TOTP_SECRET, demo_totp_code


class Command(BaseCommand):
    help = (
        "Print the code the demo's authenticator app shows now (the second factor of the demo reviewer, "
        "operator and evaluator; seed_demo publishes its secret)."
    )

    def handle(self, *args, **options):
        now = time.time()
        left = app_settings.TOTP_PERIOD - int(now) % app_settings.TOTP_PERIOD
        staff = ", ".join(account.email for account in DEMO_ACCOUNTS if account.second_factor)
        self.stdout.write(f"{demo_totp_code(now)}  (valid {left} s more; secret {DEMO_TOTP_SECRET}; for {staff})")
