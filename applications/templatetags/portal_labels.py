"""Labels for the codes the priority breakdown carries (a pure function's output has no model)."""

from django import template

from applications.models import ClaimKind, ClaimVerification

register = template.Library()


@register.filter
def claim_label(kind: str) -> str:
    return str(ClaimKind(kind).label) if kind in ClaimKind.values else kind


@register.filter
def verification_label(verification: str) -> str:
    return str(ClaimVerification(verification).label) if verification in ClaimVerification.values else verification
