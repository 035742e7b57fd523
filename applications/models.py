import secrets
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.business_number import format_business_number, validate_business_number
from applications.regions import Region, region_from_address
from applications.uploads import certificate_upload_to, evidence_upload_to, validate_evidence_file
from portal import formats
from portal.history import SettingChange, Transition


class Industry(models.TextChoices):
    AUTOMOTIVE = "automotive", _("Automotive")
    ENERGY = "energy", _("Energy")
    HEALTHCARE = "healthcare", _("Healthcare")
    CULTURAL_CONTENT = "cultural_content", _("Cultural content")
    OTHER = "other", _("Other")


class OrganizationType(models.TextChoices):
    MID_SIZED = "mid_sized", _("Mid-sized company")
    SME = "sme", _("Small or medium enterprise")
    VENTURE = "venture", _("Venture company")
    PUBLIC = "public", _("Public institution")
    UNIVERSITY = "university", _("University")
    OTHER = "other", _("Other")


class Organization(models.Model):
    Type = OrganizationType

    # Who the organisation is: what reviewers decide on. Fixed for its owners once a decision is
    # made (``identity_is_frozen``); staff correct them in the admin, recorded as a change.
    IDENTITY_FIELDS = ("legal_name", "registration_number", "org_type")

    legal_name = models.CharField(_("legal name"), max_length=200)
    org_type = models.CharField(_("organisation type"), max_length=20, choices=Type.choices)
    registration_number = models.CharField(
        _("business registration number"),
        max_length=10,
        unique=True,
        validators=[validate_business_number],
        help_text=_("10 digits, e.g. 123-45-67890."),
    )
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    address = models.CharField(_("address"), max_length=300)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices)
    employees = models.PositiveIntegerField(_("number of employees"))
    website = models.URLField(_("website"), blank=True)
    listed_publicly = models.BooleanField(
        _("list our name in the public statistics"),
        default=False,
        help_text=_(
            "If selected, the organisation's name appears among the selected organisations on the public "
            "statistics page."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations", verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(condition=Q(org_type__in=OrganizationType.values), name="organization_type_valid"),
            models.CheckConstraint(condition=Q(region__in=Region.values), name="organization_region_valid"),
            models.CheckConstraint(condition=Q(industry__in=Industry.values), name="organization_industry_valid"),
            models.CheckConstraint(
                condition=Q(registration_number__regex=r"^[0-9]{10}$"), name="organization_regno_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_in_gwangju(self) -> bool:
        """Registered in 광주광역시: the region chosen and the address both say so (an address
        starting "(12345) 경기도 광주시 …" does not, whatever region was chosen)."""
        return self.region == Region.GWANGJU and region_from_address(self.address) == Region.GWANGJU

    @property
    def address_region(self) -> Region | None:
        """The region the address itself names (None when it names none), for the reviewer."""
        return region_from_address(self.address)

    @property
    def registration_number_display(self) -> str:
        return format_business_number(self.registration_number)

    def identity_is_frozen(self) -> bool:
        """Whether an application of the organisation has been decided (approved, wait-listed or
        rejected): the decision was made on this identity, so its owners no longer change it."""
        return self.applications.filter(status__in=DECIDED_STATUSES).exists()


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    Role = MembershipRole

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=MembershipRole.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == MembershipRole.OWNER


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the owner")
    APPROVED = "approved", pgettext_lazy("join request", "Approved")
    DECLINED = "declined", pgettext_lazy("join request", "Declined")


class JoinRequest(models.Model):
    """Someone asks to join an organisation already registered under the business registration
    number they entered; an owner approves (they become a member) or declines. The requester is
    never shown who the members are, nor the organisation's name until they are in."""

    Status = JoinRequestStatus

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("requested by")
    )
    message = models.TextField(_("message to the owner"), blank=True, max_length=1000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JoinRequestStatus.values), name="join_request_status_valid"),
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(status="pending"),
                name="join_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organization}"

    @property
    def is_pending(self) -> bool:
        return self.status == JoinRequestStatus.PENDING


class Invitation(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    email = models.EmailField(_("e-mail address"))
    token = models.CharField(
        max_length=64, unique=True, default=_invitation_token, editable=False, verbose_name=_("invitation token")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )

    VALID_FOR = timedelta(days=14)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() > self.created_at + self.VALID_FOR

    @property
    def is_used(self) -> bool:
        """An invitation lets one person join once: after acceptance its token opens nothing."""
        return self.accepted_at is not None


class Call(models.Model):
    """A round of applications (모집 공고): open from ``opens_at`` until ``deadline`` (Asia/Seoul)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    service_starts_on = models.DateField(_("service starts"))
    service_ends_on = models.DateField(_("service ends"))
    selection_target = models.PositiveIntegerField(
        _("organisations to select"), default=100, help_text=_("How many organisations this call selects.")
    )
    is_pilot = models.BooleanField(_("pilot service"), default=False)
    waitlist_auto_approve = models.BooleanField(
        _("approve from the wait-list automatically"),
        default=False,
        help_text=_(
            "When capacity frees up, approve the best-ranked wait-listed applications that fit, "
            "up to the number of organisations to select. Otherwise reviewers decide."
        ),
    )
    offerings = models.ManyToManyField(
        "pool.Offering", through="CallOffering", related_name="calls", verbose_name=_("offerings")
    )

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-deadline"]
        constraints = [
            models.CheckConstraint(condition=Q(opens_at__lt=models.F("deadline")), name="call_opens_before_deadline"),
            models.CheckConstraint(
                condition=Q(service_starts_on__lte=models.F("service_ends_on")), name="call_service_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return bool(self.opens_at <= at <= self.deadline)


class CallOffering(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="call_offerings", verbose_name=_("call"))
    offering = models.ForeignKey(
        "pool.Offering", on_delete=models.PROTECT, related_name="call_offerings", verbose_name=_("offering")
    )
    max_per_application = models.PositiveIntegerField(_("maximum per application"))

    class Meta:
        verbose_name = _("offering in a call")
        verbose_name_plural = _("offerings in the call")
        ordering = ["offering__kind", "offering__name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "offering"], name="call_offering_unique"),
            models.CheckConstraint(condition=Q(max_per_application__gt=0), name="call_offering_max_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.offering} ≤ {self.max_per_application}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    WAITLISTED = "waitlisted", _("Wait-listed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Applications that compete in a call's ranking (everything submitted and not withdrawn).
RANKED_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.REJECTED,
)


# The operator's decisions.
DECIDED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED)


class ApplicationPurpose(models.TextChoices):
    TRAINING = "training", _("Training")
    INFERENCE = "inference", _("Inference")
    ANALYTICS = "analytics", _("Analytics")


class Application(models.Model):
    Status = ApplicationStatus
    Purpose = ApplicationPurpose

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="applications", verbose_name=_("organisation")
    )
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, blank=True)
    project_title = models.CharField(_("project title"), max_length=200, blank=True)
    # A consent of its own: the organisation's (listed_publicly) covers its name only, and a title
    # can say more about a project than its owner wants public. Off unless ticked.
    title_listed_publicly = models.BooleanField(
        _("publish the project title in the public statistics"),
        default=False,
        help_text=_(
            "If the application is selected and the organisation agreed to be named, the project title "
            "appears beside its name on the public statistics page."
        ),
    )
    summary = models.TextField(_("summary"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    expected_outcome = models.TextField(_("expected outcome"), blank=True)
    industry_domain = models.CharField(_("industry domain"), max_length=30, choices=Industry.choices, blank=True)
    business_certificate = models.FileField(
        _("business registration certificate"),
        upload_to=certificate_upload_to,
        validators=[validate_evidence_file],
        blank=True,
        max_length=200,
    )
    # The name the applicant's file had (sanitised, uploads.original_name): shown, and the download's
    # name; the stored file has a generated one.
    business_certificate_name = models.CharField(
        _("business registration certificate's file name"), max_length=255, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    # What applications.priority.score gives for the verified claims under the call's policy,
    # kept by the services that change claims or the policy, so the queue sorts in SQL.
    priority_score = models.IntegerField(_("priority score"), default=0, editable=False)
    priority_pending = models.IntegerField(_("points awaiting verification"), default=0, editable=False)
    # The position in the call's ranking (1 = first; None when not ranked: a draft, withdrawn),
    # kept by the database's triggers (migration 0013) in the statement that changes a status,
    # a score or a submission time, so the queue reads it instead of counting it.
    rank = models.PositiveIntegerField(_("rank"), null=True, editable=False)
    # The units requested of GPU and of storage offerings, kept by triggers on the items
    # (migration 0013): the queue shows and sorts by them without a sum per row.
    requested_gpu_units = models.PositiveIntegerField(_("requested GPUs"), db_default=0, editable=False)
    requested_storage_units = models.PositiveIntegerField(_("requested storage (TB)"), db_default=0, editable=False)
    # In a call decided by merit evaluation (the ``evaluation`` app): the merit score of the
    # latest stage the application was scored in, and that stage's order, written by
    # ``evaluation.services.ranking``. None in a priority-only call. The rank triggers order an
    # evaluated call by the stage reached, then merit + priority score (the bonus points), then
    # merit, then submission time (migration 0015); with both None the order is the priority one.
    merit_score = models.DecimalField(
        _("merit score"), max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    merit_stage = models.PositiveSmallIntegerField(_("evaluation stage reached"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        permissions = [("decide_application", _("Can decide applications (approve, wait-list, reject)"))]
        indexes = [
            models.Index(fields=["call", "status", "-priority_score", "submitted_at"], name="application_queue"),
            # The call's ranking order over the ranked applications only: what ``ranked()`` reads
            # (wait-list offers, fill by priority) and what the rank triggers number.
            models.Index(
                fields=["call", "-priority_score", "submitted_at", "id"],
                condition=Q(status__in=RANKED_STATUSES),
                name="application_rank",
            ),
            # The queue's default order (newest call first, then by rank): its first page is the
            # first rows of this index, whatever the size of the call.
            models.Index(fields=["-call", "rank", "id"], name="application_queue_rank"),
            # The queue sorted by a column of its own (then by id, in the column's direction).
            models.Index(fields=["priority_score", "id"], name="application_by_score"),
            models.Index(fields=["status", "id"], name="application_by_status"),
            models.Index(fields=["submitted_at", "id"], name="application_by_submission"),
            models.Index(fields=["requested_gpu_units", "id"], name="application_by_gpus"),
            models.Index(fields=["requested_storage_units", "id"], name="application_by_storage"),
        ]
        constraints = [
            # One application per organisation and call, whatever the web processes race to do.
            models.UniqueConstraint(fields=["organization", "call"], name="application_one_per_org_and_call"),
            models.CheckConstraint(condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"]) | Q(submitted_at__isnull=False),
                name="application_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.call}"

    # The columns the database keeps (migration 0013's triggers). A save() of a loaded
    # application never writes them: the copy in memory may be older than the triggers' last
    # rewrite (another submission moved the ranks since it was read), and writing it back would
    # undo them, since no trigger fires on a statement that leaves what a rank depends on alone.
    KEPT_BY_THE_DATABASE = frozenset({"rank", "requested_gpu_units", "requested_storage_units"})
    # Written only by the evaluation's ranking service, for the same reason.
    KEPT_BY_THE_EVALUATION = frozenset({"merit_score", "merit_stage"})

    def save(self, **kwargs: Any) -> None:
        if not self._state.adding and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            kept = self.KEPT_BY_THE_DATABASE | self.KEPT_BY_THE_EVALUATION
            kwargs["update_fields"] = [
                field.name for field in self._meta.concrete_fields if not field.primary_key and field.name not in kept
            ]
        super().save(**kwargs)

    @property
    def certificate_display_name(self) -> str:
        """The certificate's name as the applicant's file had it (or one made up for a file kept
        before names were), for the page and the download."""
        if self.business_certificate_name:
            return self.business_certificate_name
        suffix = PurePath(self.business_certificate.name or "").suffix.lower()
        return f"business-certificate-{self.pk}{suffix}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_decidable(self) -> bool:
        """Submitted or wait-listed: a reviewer can still approve or reject it."""
        return self.status in (self.Status.SUBMITTED, self.Status.WAITLISTED)

    @property
    def is_submitted(self) -> bool:
        """Submitted and awaiting a decision (not yet wait-listed)."""
        return self.status == self.Status.SUBMITTED

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == self.Status.WAITLISTED

    @property
    def is_withdrawable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SUBMITTED)

    @property
    def next_step(self) -> str:
        """What the applicant does or waits for now. Once approved, it follows the allocations,
        read from ``items`` and their ``allocation``: prefetch them (``application_for_detail``
        and ``my_applications`` do), or each application costs a query."""
        if self.status == self.Status.APPROVED:
            return self._after_approval()
        steps = {
            self.Status.DRAFT: _("Complete the draft and submit it before the deadline."),
            self.Status.SUBMITTED: _("Under review. You will be told the decision by e-mail."),
            self.Status.WAITLISTED: _("On the wait-list: you may be selected when capacity frees up."),
            self.Status.REJECTED: _("Not selected this time. The reason is in the history below."),
            self.Status.WITHDRAWN: _("Withdrawn. Nothing more to do."),
        }
        return str(steps[self.Status(self.status)])

    def _after_approval(self) -> str:
        # getattr: an item not granted has no allocation (the reverse one-to-one raises).
        allocations = [
            allocation for item in self.items.all() if (allocation := getattr(item, "allocation", None)) is not None
        ]
        if not allocations or any(allocation.is_provisionable for allocation in allocations):
            return str(_("Selected. Your resources are being provisioned."))
        if any(allocation.is_active for allocation in allocations):
            return str(_("Selected. Your resources are active."))
        return str(_("Selected. None of your allocations is active any more."))


class ApplicationItem(models.Model):
    """One requested offering: quantity and period, inside the call's service period."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="items", verbose_name=_("application")
    )
    offering = models.ForeignKey(
        "pool.Offering", on_delete=models.PROTECT, related_name="+", verbose_name=_("offering")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))

    class Meta:
        verbose_name = _("requested item")
        verbose_name_plural = _("requested items")
        ordering = ["offering__kind", "offering__name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "offering"], name="application_item_one_per_offering"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="application_item_quantity_positive"),
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")), name="application_item_period"),
        ]

    def __str__(self) -> str:
        return f"{self.offering.name} × {self.quantity}"


class ClaimKind(models.TextChoices):
    GWANGJU_LOCATED = "gwangju_located", _("Located in Gwangju")
    RELOCATING = "relocating", _("Relocating head office, branch or lab to Gwangju")
    CLUSTER_PARTICIPANT = "cluster_participant", _("AI cluster project participant")


class RelocationTarget(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    BRANCH = "branch", _("Branch")
    LAB = "lab", _("Research lab")


class ClaimVerification(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", pgettext_lazy("claim verification", "Rejected")


class PriorityClaim(models.Model):
    """A priority the applicant claims, with evidence; it counts once a reviewer verifies it."""

    Kind = ClaimKind
    Relocation = RelocationTarget
    Verification = ClaimVerification

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="claims", verbose_name=_("application")
    )
    kind = models.CharField(_("claim"), max_length=30, choices=Kind.choices)
    details = models.TextField(_("details"), blank=True)
    relocation_target = models.CharField(_("what relocates"), max_length=20, choices=Relocation.choices, blank=True)
    relocation_planned_on = models.DateField(_("planned relocation date"), null=True, blank=True)
    evidence = models.FileField(
        _("evidence"), upload_to=evidence_upload_to, validators=[validate_evidence_file], blank=True, max_length=200
    )
    evidence_name = models.CharField(_("evidence's file name"), max_length=255, blank=True, editable=False)
    verification = models.CharField(
        _("verification"), max_length=10, choices=Verification.choices, default=Verification.PENDING, editable=False
    )
    verification_note = models.TextField(_("verification note"), blank=True, editable=False)

    class Meta:
        verbose_name = _("priority claim")
        verbose_name_plural = _("priority claims")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="priority_claim_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=ClaimKind.values), name="priority_claim_kind_valid"),
            models.CheckConstraint(
                condition=Q(verification__in=ClaimVerification.values), name="priority_claim_verification_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def evidence_display_name(self) -> str:
        """The evidence's name as the applicant's file had it (or one made up for an older file)."""
        if self.evidence_name:
            return self.evidence_name
        suffix = PurePath(self.evidence.name or "").suffix.lower()
        return f"evidence-{self.application_id}-{self.kind}{suffix}"

    @property
    def is_rejected(self) -> bool:
        """A reviewer found the evidence wanting: the claim earns nothing, and its note says why."""
        return self.verification == ClaimVerification.REJECTED


class ApplicationTransition(Transition):
    """The history of an application: who moved it from which status to which, when and why."""

    # PROTECT: a decision's record outlives any attempt to delete what it decided.
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("application")
    )
    # Blank for the row that records the draft's creation.
    from_status = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=Application.Status.choices, blank=True
    )
    to_status = models.CharField(
        pgettext_lazy("status change", "to"), max_length=20, choices=Application.Status.choices
    )

    class Meta(Transition.Meta):
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index(fields=["application", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class PriorityWeight(models.Model):
    """Points a verified claim of one kind earns in one call (the call's priority policy)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="priority_weights", verbose_name=_("call"))
    kind = models.CharField(_("claim"), max_length=30, choices=ClaimKind.choices)
    points = models.PositiveIntegerField(_("points"))

    class Meta:
        verbose_name = _("priority weight")
        verbose_name_plural = _("priority policy")
        ordering = ["call", "-points"]
        constraints = [
            models.UniqueConstraint(fields=["call", "kind"], name="priority_weight_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=ClaimKind.values), name="priority_weight_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.points}"


class PriorityPolicyChange(SettingChange):
    """The history of a call's priority policy: who changed the points, when, from what to what
    (the points as "claim kind: points" lines)."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="priority_policy_changes", verbose_name=_("call")
    )

    class Meta(SettingChange.Meta):
        verbose_name = _("priority policy change")
        verbose_name_plural = _("priority policy changes")

    def __str__(self) -> str:
        return f"{self.call_id} · {formats.moment(self.created_at)}"


class OrganizationIdentityChange(SettingChange):
    """A change of an organisation's identity (legal name, registration number, type): who made
    it, when, why, and the values before and after, one "field: value" per line. Owners change
    it until a decision; afterwards only staff, in the admin, with a reason."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identity_changes", verbose_name=_("organisation")
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta(SettingChange.Meta):
        verbose_name = _("identity change")
        verbose_name_plural = _("identity changes")

    def __str__(self) -> str:
        return f"{self.organization_id} · {formats.moment(self.created_at)}"


class ClaimReview(models.Model):
    """A reviewer's verdict on a priority claim, kept as history."""

    claim = models.ForeignKey(PriorityClaim, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("claim"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processed by"),
    )
    verdict = models.CharField(_("verdict"), max_length=10, choices=ClaimVerification.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("claim review")
        verbose_name_plural = _("claim reviews")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.claim}: {self.get_verdict_display()}"


class ConflictOfInterest(models.Model):
    """A reviewer declares a conflict with an organisation and so cannot decide its applications."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("reviewer")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("organisation")
    )
    note = models.TextField(_("note"), blank=True)
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["reviewer", "organization"], name="conflict_once")]

    def __str__(self) -> str:
        return f"{self.reviewer} ↔ {self.organization}"
