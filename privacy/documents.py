"""The documents a person agrees to at sign-up, and their versions.

The texts are templates, one per language (``templates/privacy/<name>.<language>.html``): a legal
document is read and revised as a whole, not sentence by sentence. Changing what a document says
means a new version here (its date): consents are recorded with the version they were given to.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The date each document's current text took effect.
TERMS_VERSION = "2026-12-07"
PRIVACY_VERSION = "2026-12-07"


class ConsentItem(models.TextChoices):
    TERMS = "terms", _("Terms of use")
    PRIVACY_REQUIRED = "privacy_required", _("Collection and use of personal data (required)")
    PRIVACY_OPTIONAL_NAME = "privacy_optional_name", _("Collection and use of your name (optional)")


VERSIONS: dict[str, str] = {
    ConsentItem.TERMS: TERMS_VERSION,
    ConsentItem.PRIVACY_REQUIRED: PRIVACY_VERSION,
    ConsentItem.PRIVACY_OPTIONAL_NAME: PRIVACY_VERSION,
}
REQUIRED = (ConsentItem.TERMS, ConsentItem.PRIVACY_REQUIRED)


def document_template(name: str, language: str) -> list[str]:
    """The template of document ``name`` in ``language``, Korean when there is none in it."""
    return [f"privacy/{name}.{language}.html", f"privacy/{name}.ko.html"]
