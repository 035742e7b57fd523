"""Which evaluators may not see or score which organisations' applications (이해충돌).

An evaluator is in conflict with an organisation when:

- they are a member of it (a ``Membership`` of their user account);
- their e-mail address has the domain of one of its members' addresses or of its website
  (``kaist.ac.kr`` against ``kaist.ac.kr``; public mail services such as ``gmail.com`` or
  ``naver.com`` say nothing about an affiliation and never match);
- they declared an affiliation with it: its business registration number, or its legal name
  (compared without spaces, case, punctuation and the company-form words ``주식회사``, ``(주)``,
  ``Inc.``, ``Co., Ltd.`` …);
- a conflict with it is recorded (``ConflictDeclaration``: found by the portal before, declared
  by the evaluator — 제척, 기피, 회피 — or recorded by a reviewer).

``grounds`` is the rule as a pure function of the facts; ``conflicts_among`` reads the facts of
many evaluators and organisations in four queries, whatever their number, so assigning a whole
stage asks once. Recording what is found is ``services.assignment``'s job.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from applications.models import Membership, Organization
from evaluation.models import ConflictDeclaration, Evaluator

# Mail services anyone can sign up to: sharing one is no sign of an affiliation.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "kakao.com",
        "nate.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.kr",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "korea.com",
        "empas.com",
        "paran.com",
        "dreamwiz.com",
        "hanmir.com",
    }
)

MEMBER = "member"
EMAIL_DOMAIN = "email_domain"
AFFILIATION = "affiliation"
RECORDED = "recorded"

_COMPANY_FORMS = re.compile(
    r"주식회사|유한회사|\(주\)|㈜|\(유\)|co\.?,?\s*ltd\.?|corporation|corp\.?|inc\.?|ltd\.?|llc", re.IGNORECASE
)
_NOT_A_LETTER = re.compile(r"[\W_]+", re.UNICODE)


def normalised_name(name: str) -> str:
    """An organisation's name as compared: no company form, spaces, punctuation or case."""
    return _NOT_A_LETTER.sub("", _COMPANY_FORMS.sub("", name)).casefold()


def email_domain(address: str) -> str:
    """The domain of an e-mail address, lower case ('' when there is none)."""
    _local, at, domain = address.rpartition("@")
    return domain.strip().lower().rstrip(".") if at else ""


def website_domain(url: str) -> str:
    """The host of a website, lower case, without a leading ``www.`` ('' when there is none)."""
    if not url:
        return ""
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def shares_domain(evaluator_domain: str, domain: str) -> bool:
    """The same domain, or one a subdomain of the other (``ai.kaist.ac.kr`` and ``kaist.ac.kr``);
    never a public mail service."""
    if not evaluator_domain or not domain or evaluator_domain in PUBLIC_MAIL_DOMAINS or domain in PUBLIC_MAIL_DOMAINS:
        return False
    return (
        evaluator_domain == domain or evaluator_domain.endswith(f".{domain}") or domain.endswith(f".{evaluator_domain}")
    )


@dataclass(frozen=True)
class EvaluatorFacts:
    key: int
    user_id: int
    email_domain: str
    affiliation: str = ""
    affiliation_registration_number: str = ""


@dataclass(frozen=True)
class OrganizationFacts:
    key: int
    legal_name: str
    registration_number: str
    website: str = ""
    member_ids: frozenset[int] = field(default_factory=frozenset)
    member_domains: frozenset[str] = field(default_factory=frozenset)
    # Evaluators with a recorded conflict (any source).
    recorded: frozenset[int] = field(default_factory=frozenset)


def grounds(evaluator: EvaluatorFacts, organization: OrganizationFacts) -> list[str]:
    """Why ``evaluator`` may not evaluate ``organization`` (empty: no conflict), in the order
    ``MEMBER``, ``EMAIL_DOMAIN``, ``AFFILIATION``, ``RECORDED``."""
    found = []
    if evaluator.user_id in organization.member_ids:
        found.append(MEMBER)
    domains = {*organization.member_domains, website_domain(organization.website)}
    if any(shares_domain(evaluator.email_domain, domain) for domain in domains):
        found.append(EMAIL_DOMAIN)
    same_number = bool(evaluator.affiliation_registration_number) and (
        evaluator.affiliation_registration_number == organization.registration_number
    )
    affiliation = normalised_name(evaluator.affiliation)
    if same_number or (affiliation and affiliation == normalised_name(organization.legal_name)):
        found.append(AFFILIATION)
    if evaluator.key in organization.recorded:
        found.append(RECORDED)
    return found


def describe(found: Sequence[str]) -> str:
    """The grounds in the reader's words, for a flag or an automatic declaration's reason."""
    words = {
        MEMBER: _("a member of the applicant organisation"),
        EMAIL_DOMAIN: _("shares the e-mail domain of the applicant organisation"),
        AFFILIATION: _("declared an affiliation with the applicant organisation"),
        RECORDED: _("a conflict is recorded with the applicant organisation"),
    }
    return "; ".join(str(words[ground]) for ground in found)


def evaluator_facts(evaluators: Iterable[Evaluator]) -> list[EvaluatorFacts]:
    return [
        EvaluatorFacts(
            key=evaluator.pk,
            user_id=evaluator.user_id,
            email_domain=evaluator.email_domain,
            affiliation=evaluator.affiliation,
            affiliation_registration_number=evaluator.affiliation_registration_number,
        )
        for evaluator in evaluators
    ]


def organization_facts(organization_ids: Iterable[int], evaluator_ids: Iterable[int]) -> list[OrganizationFacts]:
    """The facts of the organisations (three queries whatever their number): names and numbers,
    members and their domains, and the conflicts recorded with ``evaluator_ids``."""
    ids = sorted(set(organization_ids))
    members: dict[int, set[int]] = {}
    domains: dict[int, set[str]] = {}
    for organization_id, user_id, address in Membership.objects.filter(organization_id__in=ids).values_list(
        "organization_id", "user_id", "user__email"
    ):
        members.setdefault(organization_id, set()).add(user_id)
        domains.setdefault(organization_id, set()).add(email_domain(address))
    recorded: dict[int, set[int]] = {}
    for organization_id, evaluator_id in ConflictDeclaration.objects.filter(
        organization_id__in=ids, evaluator_id__in=sorted(set(evaluator_ids))
    ).values_list("organization_id", "evaluator_id"):
        recorded.setdefault(organization_id, set()).add(evaluator_id)
    return [
        OrganizationFacts(
            key=pk,
            legal_name=legal_name,
            registration_number=number,
            website=website,
            member_ids=frozenset(members.get(pk, ())),
            member_domains=frozenset(domains.get(pk, ())),
            recorded=frozenset(recorded.get(pk, ())),
        )
        for pk, legal_name, number, website in Organization.objects.filter(pk__in=ids).values_list(
            "pk", "legal_name", "registration_number", "website"
        )
    ]


def conflicts_among(
    evaluators: Sequence[Evaluator], organization_ids: Iterable[int]
) -> dict[tuple[int, int], list[str]]:
    """(evaluator id, organisation id) -> the grounds, for every pair in conflict. Three queries."""
    people = evaluator_facts(evaluators)
    found = {}
    for organization in organization_facts(organization_ids, (person.key for person in people)):
        for person in people:
            reasons = grounds(person, organization)
            if reasons:
                found[(person.key, organization.key)] = reasons
    return found


def is_conflicted(evaluator: Evaluator, organization_id: int) -> bool:
    """Whether ``evaluator`` may not see or score the applications of the organisation."""
    return (evaluator.pk, organization_id) in conflicts_among([evaluator], [organization_id])
