"""Demo accounts for a laptop or a staging site: one per kind of user, with known passwords.

Users are created as an operator creates them in the admin (there is no service for it): the
e-mail address verified, the staff flag and group set, the password known.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import OPERATORS, REVIEWERS

DEMO_PASSWORD = "portal-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    is_staff: bool
    group: str | None


APPLICANT = DemoAccount("applicant", "applicant@portal.test", False, None)
REVIEWER = DemoAccount("reviewer", "reviewer@portal.test", True, REVIEWERS)
OPERATOR = DemoAccount("operator", "operator@portal.test", True, OPERATORS)
DEMO_ACCOUNTS = (APPLICANT, REVIEWER, OPERATOR)


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
    return list(DEMO_ACCOUNTS)


def demo_user(account: DemoAccount) -> User:
    return User.objects.get(email=account.email)
