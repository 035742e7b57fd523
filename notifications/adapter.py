"""django-allauth's e-mails (verification, password reset…) go through the portal's e-mail log,
in the language the recipient chose (as every other e-mail of the portal)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from accounts.models import User
from notifications import selectors, services
from notifications.models import Notification


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render as allauth does, in the recipient's saved language (the request's when the
        address has no account or no choice yet), then record the e-mail and deliver it by the
        portal's task. Its links are secrets: the body is dropped once sent."""
        request = allauth_context.request
        user = context.get("user") or User.objects.filter(email__iexact=email).first()
        language = (selectors.saved_language(user) if user is not None else None) or translation.get_language()
        with translation.override(language):
            message = self.render_mail(
                template_prefix,
                email,
                {"request": request, "email": email, "current_site": get_current_site(request), **context},
            )
            services.notification_record_message(
                kind=Notification.Kind.ACCOUNT, message=message, user=user, secret=True
            )

    def save_user(self, request, user, form, commit=True):
        """A new account receives its e-mails in the language it signed up in."""
        user = super().save_user(request, user, form, commit=commit)
        if commit and user.pk:
            services.language_preference_set(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
        return user
