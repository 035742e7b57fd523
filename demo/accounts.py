"""Demo accounts for a laptop or a staging site: one per kind of user, with known passwords.

Users are created as an operator creates them in the admin (there is no service for it): the
e-mail address verified, the staff flag and group set, the password known. Staff sign in with a
second factor (accounts/second_factor.py), and so do evaluators, so the demo's reviewer, operator
and evaluator hold an authenticator app whose secret is the demo's own, published beside the
password: seed_demo prints it (and its otpauth URI), and ``manage.py demo_totp`` prints the
current code. The evaluator's profile (an external expert, not staff) is made by accepting a
reviewer's invitation (``demo.evaluation``).
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import OPERATORS, REVIEWERS

DEMO_PASSWORD = "portal-demo-2026"
# The demo staff's authenticator-app (TOTP) secret: published, so for the demo alone. It is written
# only by seed_demo, which refuses to run with DEBUG off (unless --force, for a staging site);
# every real enrolment gets a random secret from allauth.
DEMO_TOTP_SECRET = "NAIDCDEMOSECRETNEVERINPRODUCTION"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    is_staff: bool
    group: str | None
    # Signs in with the demo's authenticator app: staff, and evaluators.
    second_factor: bool = False


APPLICANT = DemoAccount("applicant", "applicant@portal.test", False, None)
REVIEWER = DemoAccount("reviewer", "reviewer@portal.test", True, REVIEWERS, second_factor=True)
OPERATOR = DemoAccount("operator", "operator@portal.test", True, OPERATORS, second_factor=True)
EVALUATOR = DemoAccount("evaluator", "evaluator@experts.test", False, None, second_factor=True)
DEMO_ACCOUNTS = (APPLICANT, REVIEWER, OPERATOR, EVALUATOR)


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    """Create or reset the demo accounts: verified e-mail, staff flag, group, known password.

    Idempotent: running it again resets the passwords and memberships to the documented ones.
    """
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(email=account.email)
        user.is_staff = account.is_staff
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        if account.group:
            user.groups.add(Group.objects.get(name=account.group))
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        if account.second_factor:
            _enrol_demo_authenticator_app(user)
    return list(DEMO_ACCOUNTS)


def _enrol_demo_authenticator_app(user: User) -> None:
    """The demo's secret in ``user``'s authenticator app, with recovery codes, as allauth's set-up
    page makes them; an app enrolled since with another secret is replaced (idempotent)."""
    current = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if current is not None and decrypt(current.data["secret"]) == DEMO_TOTP_SECRET:
        return
    if current is not None:
        current.delete()
    TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)


def demo_totp_uri(account: DemoAccount) -> str:
    """The otpauth:// URI of ``account``'s demo authenticator app, as allauth's QR code holds it."""
    return get_mfa_adapter().build_totp_url(User(email=account.email), DEMO_TOTP_SECRET)


def demo_totp_code(at: float) -> str:
    """The code the demo's authenticator app (staff and evaluator) shows at the Unix time ``at``."""
    from allauth.mfa import app_settings

    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(at) // app_settings.TOTP_PERIOD))


def demo_user(account: DemoAccount) -> User:
    return User.objects.get(email=account.email)
