"""The contact (문의처) every e-mail of the portal ends with (``templates/emails/base.txt``), since
the sender takes no replies, and every page's footer shows. It is the operator's (settings
``SUPPORT_EMAIL`` and ``SUPPORT_PHONE``) and read by a tag, so e-mails rendered by django-allauth
get it too, without a context of ours."""

from django import template
from django.conf import settings
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def support_contact() -> str:
    """문의처: 인공지능산업융합사업단 (전화 062-…, 이메일 help@…) / Contact: … (telephone …, e-mail …)."""
    means = []
    if settings.SUPPORT_PHONE:
        means.append(gettext("telephone %(phone)s") % {"phone": settings.SUPPORT_PHONE})
    means.append(gettext("e-mail %(email)s") % {"email": settings.SUPPORT_EMAIL})
    return gettext("Contact: %(operator)s (%(means)s)") % {
        "operator": gettext("AI Industry Convergence Business Group"),
        "means": ", ".join(means),
    }
