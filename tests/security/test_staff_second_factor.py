"""Staff sign in with a second factor (accounts/second_factor.py): a staff account without one opens
nothing but its account pages until it has set one up through allauth's pages; with one, logging
in asks for its code under the failed-login limits; staff cannot remove their last one.
Applicants may add one and are never asked to."""

from urllib.parse import urlsplit

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.second_factor import SET_ONE_UP_FIRST
from tests.conftest import PASSWORD, enrol_authenticator_app, make_user, totp_code, totp_secret
from tests.security.access_table import ACCESS
from tests.security.patterns import project_url_patterns

pytestmark = pytest.mark.django_db

STAFF_ROLES = ("reviewer", "operator", "superuser")
# The pages a staff account without a second factor still opens: its account (allauth: log out,
# password, e-mail, the second factor's set-up) and the language switch; and Prometheus's
# /metrics, opened by the address or the token, never by a login (tests/dashboard/test_metrics.py).
OPEN_WITHOUT_SECOND_FACTOR = ("/accounts/", "/i18n/", "/metrics")

with translation.override("ko"):
    THROTTLED = str(DefaultAccountAdapter.error_messages["too_many_login_attempts"])
    INCORRECT = str(DefaultMFAAdapter.error_messages["incorrect_code"])
    CANNOT_REMOVE = str(DefaultMFAAdapter.error_messages["cannot_delete_authenticator"])


def without_second_factor(user):
    Authenticator.objects.filter(user=user).delete()
    return user


def log_in_with_password(client, user) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def confirm_password(client) -> None:
    """allauth asks for the password again before a factor is added or removed."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_without_a_second_factor_are_sent_to_set_one_up_from_every_page_but_their_account(world, role):
    user = without_second_factor(world.user(role))
    client = Client()
    client.force_login(user)
    mfa_setup = reverse("mfa_index")
    wrong = []
    for pattern in project_url_patterns():
        path = ACCESS[pattern.key].path.format(**world.objects)
        if urlsplit(path).path.startswith(OPEN_WITHOUT_SECOND_FACTOR):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code != 302 or response["Location"] != mfa_setup:
                wrong.append(f"{method.upper()} {path}: {response.status_code} {response.get('Location', '')}")

    assert wrong == []


def test_staff_are_told_why_and_their_account_pages_stay_open(client, reviewer):
    without_second_factor(reviewer)
    client.force_login(reviewer)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [(reverse("mfa_index"), 302)]
    assert response.status_code == 200
    with translation.override("ko"):
        assert [str(message) for message in response.context["messages"]] == [str(SET_ONE_UP_FIRST)]
    assert client.get(reverse("account_change_password")).status_code == 200


def test_a_staff_member_sets_up_an_authenticator_app_and_the_admin_opens(client):
    reviewer = make_user("new.reviewer@operator.kr", is_staff=True, group="Reviewers", second_factor=False)
    log_in_with_password(client, reviewer)  # no code asked: there is no factor yet
    assert client.get("/admin/")["Location"] == reverse("mfa_index")
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    confirm_password(client)

    form = client.get(reverse("mfa_activate_totp"))
    assert form.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=reviewer).exists()
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert activated.status_code == 302
    assert activated["Location"] == reverse("mfa_view_recovery_codes")  # allauth made them with it
    assert set(Authenticator.objects.filter(user=reviewer).values_list("type", flat=True)) == {"totp", "recovery_codes"}
    assert client.get("/admin/").status_code == 200


def test_a_staff_member_with_an_authenticator_app_logs_in_with_its_code(client, operator):
    log_in_with_password(client, operator)
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))

    wrong = client.post(reverse("mfa_authenticate"), {"code": "not-a-code"})
    assert INCORRECT in wrong.content.decode()
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(operator))})

    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_code_is_accepted_once(client, operator):
    code = totp_code(totp_secret(operator))
    log_in_with_password(client, operator)
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.post(reverse("account_logout"))

    other = Client()
    log_in_with_password(other, operator)
    replayed = other.post(reverse("mfa_authenticate"), {"code": code})

    assert INCORRECT in replayed.content.decode()
    assert "_auth_user_id" not in other.session


def test_a_recovery_code_also_logs_in(client, operator):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes(Authenticator.objects.get(user=operator, type="recovery_codes")).get_unused_codes()[0]
    log_in_with_password(client, operator)

    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_guessing_codes_meets_the_failed_login_limit(client, reviewer):
    log_in_with_password(client, reviewer)
    for _ in range(5):
        assert INCORRECT in client.post(reverse("mfa_authenticate"), {"code": "000000"}).content.decode()

    locked = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(reviewer))})

    assert THROTTLED in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_cannot_remove_their_last_second_factor(client, reviewer):
    log_in_with_password(client, reviewer)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(reviewer))})
    confirm_password(client)

    page = client.get(reverse("mfa_deactivate_totp"))
    response = client.post(reverse("mfa_deactivate_totp"))

    assert CANNOT_REMOVE in page.content.decode()
    assert response.status_code == 200
    assert Authenticator.objects.filter(user=reviewer, type="totp").exists()


def test_an_applicant_is_not_asked_for_a_second_factor_but_may_add_one_and_remove_it(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse("application_list")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert reverse("mfa_index") in client.get(reverse("home")).content.decode()  # the navigation bar

    client.logout()
    enrol_authenticator_app(applicant)
    log_in_with_password(client, applicant)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(applicant))})
    confirm_password(client)
    removed = client.post(reverse("mfa_deactivate_totp"))

    assert removed.status_code == 302
    assert not Authenticator.objects.filter(user=applicant).exists()


def test_a_superuser_deletes_a_lost_authenticator_and_its_owner_must_enrol_again(client, superuser, operator):
    client.force_login(superuser)
    authenticator = Authenticator.objects.get(user=operator, type="totp")
    listing = client.get(reverse("admin:mfa_authenticator_changelist")).content.decode()
    change = client.get(reverse("admin:mfa_authenticator_change", args=[authenticator.pk])).content.decode()
    assert totp_secret(operator) not in listing + change  # the admin never shows a secret

    response = client.post(reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]), {"post": "yes"})

    assert response.status_code == 302
    other = Client()
    other.force_login(operator)
    assert other.get(reverse("dashboard"))["Location"] == reverse("mfa_index")


def test_staff_made_in_the_admin_enrol_at_their_first_login(client):
    superuser = make_user("first.root@operator.kr", is_staff=True, is_superuser=True, second_factor=False)

    log_in_with_password(client, superuser)

    assert client.session["_auth_user_id"] == str(superuser.pk)
    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_index")
