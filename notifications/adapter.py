"""django-allauth's e-mails (verification, password reset, the notices of account changes…) go
through the portal's e-mail log, in the language the recipient chose (as every other e-mail of the
portal), with links to ``SITE_URL``; and allauth's per-account login limit counts the account
alone."""

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from notifications import selectors, services
from notifications.models import Notification


@dataclass(frozen=True)
class PortalSite:
    """What allauth's e-mail templates call ``current_site``: the portal's name and the host of
    ``SITE_URL``, never the host the request happened to name."""

    name: str
    domain: str


def portal_site() -> PortalSite:
    return PortalSite(name=gettext("National AI Data Center"), domain=urlsplit(settings.SITE_URL).netloc)


def on_site_url(url: str) -> str:
    """``url`` (an absolute address built from a request, or a path) moved to ``SITE_URL``: its
    path, query and fragment on the portal's own scheme and host. The Host header is the client's
    to choose among ``ALLOWED_HOSTS`` (any port, any alias), so a link mailed to someone is never
    built from it."""
    if url.startswith(settings.SITE_URL + "/"):
        return url
    parts = urlsplit(url)
    return settings.SITE_URL + parts._replace(scheme="", netloc="").geturl()


def login_key(login: str) -> str:
    """The account a login names, as the failed-login counter keys it: the address stripped and
    compared as allauth compares identifiers (Unicode NFKC, case-folded)."""
    return unicodedata.normalize("NFKC", login.strip()).casefold()


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render as allauth does, in the recipient's saved language (the request's when the
        address has no account or no choice yet), with every link on ``SITE_URL``; then record the
        e-mail and deliver it by the portal's task. Its links are secrets: the body is dropped once
        sent."""
        request = allauth_context.request
        user = context.get("user") or User.objects.filter(email__iexact=email).first()
        language = (selectors.saved_language(user) if user is not None else None) or translation.get_language()
        # allauth puts the links it builds (activate_url, password_reset_url, signup_url…) in the
        # context under names ending in "_url".
        links = {name: on_site_url(value) for name, value in context.items() if name.endswith("_url") and value}
        with translation.override(language):
            message = self.render_mail(
                template_prefix,
                email,
                {"request": request, "email": email, **context, "current_site": portal_site(), **links},
            )
            message.body = services.tidy_body(str(message.body))
            services.notification_record_message(
                kind=Notification.Kind.ACCOUNT, message=message, user=user, secret=True
            )

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site_url(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site_url(super().get_email_confirmation_url(request, emailconfirmation))

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth prefixes the login with the current site's domain: without django.contrib.sites
        # that is the raw Host header (port, letter case and a trailing dot kept), so every
        # variant of an allowed host got its own "5 per 5 minutes" (security review, finding 1).
        # One account, one counter, whatever host the request names.
        return login_key(credentials.get("email", credentials.get("username", "")))

    def save_user(self, request, user, form, commit=True):
        """A new account receives its e-mails in the language it signed up in."""
        user = super().save_user(request, user, form, commit=commit)
        if commit and user.pk:
            services.language_preference_set(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
        return user
