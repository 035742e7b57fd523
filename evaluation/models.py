"""Merit evaluation by a panel (평가): how a call decides, its stages and rubrics, the external
evaluators (평가위원), their assignments, conflicts and scores, each stage's results, and the
applicants' objections (이의신청).

A call decides on priority alone (today's behaviour, and the default: a call without a
``CallEvaluation`` row is priority-only) or by evaluation: one or more stages in order, each with
a rubric of weighted criteria. Evaluators score the applications assigned to them; the stage's
result per application is the mean of their weighted scores (``evaluation.aggregation``), and
the application's final score, merit plus the bonus points of its verified priority claims,
ranks the call (``Application.merit_score`` and ``merit_stage``, which the rank triggers read).

States are ``TextChoices`` with a ``CheckConstraint`` and change only through the services
(``evaluation/services/``), each with a history row.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import ClaimKind
from applications.uploads import validate_evidence_file
from evaluation.uploads import objection_upload_to
from portal.history import SettingChange, Transition

# --- The call's policy --------------------------------------------------------------------------


class SelectionMode(models.TextChoices):
    PRIORITY = "priority", _("Priority only")
    EVALUATED = "evaluated", _("Merit evaluation by a panel")


class CallEvaluation(models.Model):
    """How a call selects (set by operators): on priority alone, or evaluated in stages.

    In an evaluated call the priority policy's points of the verified claims are the bonus
    points (가점) added once to the merit score: final = merit + priority score. A reserved share
    of the selections may go to one priority group (the organisations whose claim of that kind
    is verified, e.g. located in Gwangju). Applicants may object within ``objection_days`` of
    the decision."""

    Mode = SelectionMode

    call = models.OneToOneField(
        "applications.Call", on_delete=models.CASCADE, related_name="evaluation_policy", verbose_name=_("call")
    )
    mode = models.CharField(_("how the call selects"), max_length=20, choices=Mode.choices, default=Mode.PRIORITY)
    reserved_claim = models.CharField(
        _("priority group with a reserved share"),
        max_length=30,
        choices=ClaimKind.choices,
        blank=True,
        help_text=_("Organisations whose claim of this kind is verified form the group."),
    )
    reserved_percent = models.PositiveSmallIntegerField(
        _("reserved share of the selections (%)"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("At least this share of the organisations selected comes from the group, where enough apply."),
    )
    objection_days = models.PositiveSmallIntegerField(
        _("objection period (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days after the decision during which the applicant may object, once."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("selection policy")
        verbose_name_plural = _("selection policies")
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=SelectionMode.values), name="call_evaluation_mode_valid"),
            models.CheckConstraint(
                condition=Q(reserved_claim="") | Q(reserved_claim__in=ClaimKind.values),
                name="call_evaluation_reserved_claim_valid",
            ),
            models.CheckConstraint(
                condition=Q(reserved_percent__lte=100), name="call_evaluation_reserved_percent_at_most_100"
            ),
            # A share needs its group, and a group its share.
            models.CheckConstraint(
                condition=Q(reserved_percent=0, reserved_claim="")
                | (Q(reserved_percent__gt=0) & ~Q(reserved_claim="")),
                name="call_evaluation_reserved_share_has_group",
            ),
            models.CheckConstraint(
                condition=Q(objection_days__gte=1, objection_days__lte=60), name="call_evaluation_objection_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.get_mode_display()}"

    @property
    def is_evaluated(self) -> bool:
        return self.mode == SelectionMode.EVALUATED

    @property
    def has_reserved_share(self) -> bool:
        return self.reserved_percent > 0 and bool(self.reserved_claim)


class Scale(models.IntegerChoices):
    FIVE = 5, _("0 to 5")
    HUNDRED = 100, _("0 to 100")


class StageState(models.TextChoices):
    # The rubric and the rules are set; nothing is assigned yet.
    PREPARING = "preparing", _("Being prepared")
    # Evaluators are assigned and score; the rubric is fixed.
    SCORING = "scoring", _("Scoring")
    # The results are final and who passes is decided.
    CLOSED = "closed", pgettext_lazy("evaluation stage", "Closed")


class Stage(models.Model):
    """One step of a call's evaluation (요건 검토, 서면평가, 발표평가), in ``order``.

    Each application is scored by ``evaluators_per_application`` evaluators on the stage's
    criteria, on ``scale``, before ``deadline``. Who passes to the next stage: a final merit of
    at least ``pass_threshold``, and/or a place within the first ``pass_top``; neither set,
    every scored application passes."""

    Scale = Scale
    State = StageState

    call = models.ForeignKey(
        "applications.Call", on_delete=models.CASCADE, related_name="evaluation_stages", verbose_name=_("call")
    )
    order = models.PositiveSmallIntegerField(_("order"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=100)
    deadline = models.DateTimeField(_("scoring deadline"))
    evaluators_per_application = models.PositiveSmallIntegerField(
        _("evaluators per application"), default=3, validators=[MinValueValidator(1), MaxValueValidator(15)]
    )
    scale = models.PositiveSmallIntegerField(_("scale"), choices=Scale.choices, default=Scale.HUNDRED)
    pass_threshold = models.DecimalField(
        _("pass mark (merit)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("An application passes with at least this merit score (0 to 100). Empty: no mark."),
    )
    pass_top = models.PositiveIntegerField(
        _("pass the first"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Only this many applications, best first, pass. Empty: no limit."),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PREPARING, editable=False)
    opened_at = models.DateTimeField(_("scoring opened"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("evaluation stage")
        verbose_name_plural = _("evaluation stages")
        ordering = ["call", "order"]
        permissions = [("run_stage", _("Can open and close evaluation stages"))]
        constraints = [
            models.UniqueConstraint(fields=["call", "order"], name="stage_order_unique"),
            models.CheckConstraint(condition=Q(state__in=StageState.values), name="stage_state_valid"),
            models.CheckConstraint(condition=Q(scale__in=Scale.values), name="stage_scale_valid"),
            models.CheckConstraint(condition=Q(order__gte=1), name="stage_order_positive"),
            models.CheckConstraint(
                condition=Q(evaluators_per_application__gte=1, evaluators_per_application__lte=15),
                name="stage_evaluators_per_application",
            ),
            models.CheckConstraint(
                condition=Q(pass_threshold__isnull=True) | Q(pass_threshold__gte=0, pass_threshold__lte=100),
                name="stage_pass_threshold_range",
            ),
            models.CheckConstraint(
                condition=Q(pass_top__isnull=True) | Q(pass_top__gte=1), name="stage_pass_top_positive"
            ),
            models.CheckConstraint(
                condition=Q(state=StageState.PREPARING) | Q(opened_at__isnull=False), name="stage_opened_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(state=StageState.CLOSED) | Q(closed_at__isnull=False), name="stage_closed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.order}. {self.name}"

    @property
    def is_preparing(self) -> bool:
        return self.state == StageState.PREPARING

    @property
    def is_scoring(self) -> bool:
        return self.state == StageState.SCORING

    @property
    def is_closed(self) -> bool:
        return self.state == StageState.CLOSED


class Criterion(models.Model):
    """One line of a stage's rubric: a weight out of 100 (a stage's weights sum to 100, checked
    by ``services.configuration`` before scoring opens) and whether a reason is required."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("stage"))
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("criterion"), max_length=100)
    description = models.TextField(_("what is assessed"), blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), validators=[MinValueValidator(1), MaxValueValidator(100)], help_text=_("Out of 100.")
    )
    reason_required = models.BooleanField(_("reason required"), default=True)

    class Meta:
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["stage", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "name"], name="criterion_name_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=100), name="criterion_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class EvaluationPolicyChange(SettingChange):
    """The history of a call's selection policy, stages and rubrics: who changed what, when, the
    settings before and after, one "key: value" per line."""

    call = models.ForeignKey(
        "applications.Call", on_delete=models.CASCADE, related_name="evaluation_changes", verbose_name=_("call")
    )

    class Meta(SettingChange.Meta):
        verbose_name = _("selection policy change")
        verbose_name_plural = _("selection policy changes")

    def __str__(self) -> str:
        return f"{self.call_id} · {self.created_at:%Y-%m-%d %H:%M}"


class StageTransition(Transition):
    """The history of a stage: preparing → scoring → closed."""

    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("stage"))
    from_state = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=StageState.choices, blank=True
    )
    to_state = models.CharField(pgettext_lazy("status change", "to"), max_length=20, choices=StageState.choices)

    class Meta(Transition.Meta):
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")


# --- Evaluators ---------------------------------------------------------------------------------


class Evaluator(models.Model):
    """An external expert (평가위원), not staff: logs in to the site, never the admin.

    ``email_domain`` is the domain of the user's address (lower case, kept by the service that
    creates the profile) and ``affiliation`` the organisation they declared; both, with their
    memberships and declarations, flag conflicts (``evaluation.conflicts``). An evaluator sees
    no application before ``pledge_accepted_at`` (the confidentiality pledge, 보안서약)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluator", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    affiliation_registration_number = models.CharField(
        _("business registration number of the affiliation"),
        max_length=10,
        blank=True,
        help_text=_("10 digits, e.g. 123-45-67890."),
    )
    email_domain = models.CharField(_("e-mail domain"), max_length=255, editable=False)
    expertise = models.CharField(_("field of expertise"), max_length=200, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    pledge_accepted_at = models.DateTimeField(_("pledge accepted"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluator")
        verbose_name_plural = _("evaluators")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(affiliation_registration_number="")
                | Q(affiliation_registration_number__regex=r"^[0-9]{10}$"),
                name="evaluator_affiliation_regno_digits",
            ),
            models.CheckConstraint(condition=~Q(email_domain=""), name="evaluator_email_domain_set"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_accepted_pledge(self) -> bool:
        return self.pledge_accepted_at is not None


class EvaluatorInvitation(models.Model):
    """Staff invite an expert by e-mail; the invitee signs up (or logs in) with that address
    through the verified-e-mail flow and accepts, which makes their ``Evaluator`` profile."""

    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("name"), max_length=100)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    token = models.CharField(_("invitation token"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("invited"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True, editable=False)
    evaluator = models.ForeignKey(
        Evaluator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        editable=False,
        verbose_name=_("evaluator"),
    )

    class Meta:
        verbose_name = _("evaluator invitation")
        verbose_name_plural = _("evaluator invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(evaluator__isnull=False), name="evaluator_invitation_accepted"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_expired(self) -> bool:
        return timezone.now() > self.expires_at


# --- Conflicts ----------------------------------------------------------------------------------


class ConflictKind(models.TextChoices):
    # 제척: excluded by rule (a member of the organisation, its domain, a declared affiliation).
    EXCLUSION = "exclusion", _("Exclusion")
    # 기피: the applicant asks for the evaluator to be excluded.
    CHALLENGE = "challenge", _("Challenge")
    # 회피: the evaluator steps aside.
    RECUSAL = "recusal", _("Recusal")


class ConflictSource(models.TextChoices):
    AUTOMATIC = "automatic", _("Found by the portal")
    DECLARED = "declared", _("Declared by the evaluator")
    RECORDED = "recorded", _("Recorded by a reviewer")


class ConflictDeclaration(models.Model):
    """An evaluator may not see or score the applications of ``organization``.

    ``source`` says who found it: the portal (``evaluation.conflicts``, idempotent: one
    automatic row per evaluator and organisation), the evaluator (eval-site's declaration on an
    assigned application, which also names ``application``) or a reviewer."""

    Kind = ConflictKind
    Source = ConflictSource

    evaluator = models.ForeignKey(
        Evaluator, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("evaluator")
    )
    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.CASCADE,
        related_name="evaluator_conflicts",
        verbose_name=_("organisation"),
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluator_conflicts",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EXCLUSION)
    source = models.CharField(pgettext_lazy("conflict", "found by"), max_length=20, choices=Source.choices)
    reason = models.TextField(_("reason"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluator conflict")
        verbose_name_plural = _("evaluator conflicts")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "evaluator"], name="evaluator_conflict_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConflictKind.values), name="evaluator_conflict_kind_valid"),
            models.CheckConstraint(
                condition=Q(source__in=ConflictSource.values), name="evaluator_conflict_source_valid"
            ),
            models.UniqueConstraint(
                fields=["evaluator", "organization"],
                condition=Q(source=ConflictSource.AUTOMATIC),
                name="evaluator_conflict_automatic_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} ↔ {self.organization} ({self.get_kind_display()})"


# --- Assignments and scores ---------------------------------------------------------------------


class AssignmentState(models.TextChoices):
    # The evaluator is to score the application (scores may be saved as a draft meanwhile).
    ASSIGNED = "assigned", _("Assigned")
    # The evaluator said no (with a reason); a reviewer reassigns the application.
    DECLINED = "declined", _("Declined")
    # A conflict was found or declared after the assignment: the evaluator no longer sees it.
    CONFLICTED = "conflicted", _("Conflict of interest")
    # The scores are final; they count in the stage's result.
    SUBMITTED = "submitted", _("Scores submitted")
    # Taken away (the deadline passed without a submission) and given to another evaluator.
    REASSIGNED = "reassigned", _("Reassigned")


# States whose assignment holds one of the application's evaluator places.
HOLDING_STATES = (AssignmentState.ASSIGNED, AssignmentState.SUBMITTED)


class Assignment(models.Model):
    """One evaluator scores one application in one stage, before ``due_at``.

    Written by ``services.assignment`` (assigned, reassigned) and by eval-site's services
    (declined, conflicted, submitted). Only an ``assigned`` or ``submitted`` assignment lets the
    evaluator see the application; only a ``submitted`` one counts in the result."""

    State = AssignmentState

    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("stage"))
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="evaluation_assignments",
        verbose_name=_("application"),
    )
    evaluator = models.ForeignKey(
        Evaluator, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("evaluator")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.ASSIGNED, editable=False)
    due_at = models.DateTimeField(_("due"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    submitted_at = models.DateTimeField(
        pgettext_lazy("submitted at", "Submitted"), null=True, blank=True, editable=False
    )
    # The last reminder e-mailed before ``due_at`` (eval-site's beat job), so each is sent once.
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("evaluation assignment")
        verbose_name_plural = _("evaluation assignments")
        ordering = ["stage", "application", "pk"]
        permissions = [("assign_evaluators", _("Can assign evaluators to applications"))]
        indexes = [
            models.Index(fields=["evaluator", "state"], name="assignment_by_evaluator"),
            models.Index(fields=["stage", "application", "state"], name="assignment_by_application"),
            models.Index(fields=["state", "due_at"], name="assignment_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["stage", "application", "evaluator"], name="assignment_once_per_evaluator"),
            models.CheckConstraint(condition=Q(state__in=AssignmentState.values), name="assignment_state_valid"),
            models.CheckConstraint(
                condition=Q(state=AssignmentState.SUBMITTED, submitted_at__isnull=False)
                | (~Q(state=AssignmentState.SUBMITTED) & Q(submitted_at__isnull=True)),
                name="assignment_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} · {self.application_id} · {self.stage}"

    @property
    def is_open(self) -> bool:
        """Assigned and not submitted: the evaluator may still save and submit scores."""
        return self.state == AssignmentState.ASSIGNED

    @property
    def is_submitted(self) -> bool:
        return self.state == AssignmentState.SUBMITTED

    @property
    def is_visible_to_evaluator(self) -> bool:
        return self.state in HOLDING_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and timezone.now() > self.due_at


class AssignmentTransition(Transition):
    """The history of an assignment: who moved it from which state to which, when and why."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("assignment")
    )
    from_state = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=AssignmentState.choices, blank=True
    )
    to_state = models.CharField(pgettext_lazy("status change", "to"), max_length=20, choices=AssignmentState.choices)

    class Meta(Transition.Meta):
        verbose_name = _("assignment change")
        verbose_name_plural = _("assignment changes")
        indexes = [models.Index(fields=["assignment", "created_at"])]


class Score(models.Model):
    """An evaluator's score of one criterion (0 to the stage's scale), with a reason. Saved as
    a draft while the assignment is ``assigned``; final once it is ``submitted``."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="scores", verbose_name=_("assignment")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores", verbose_name=_("criterion")
    )
    value = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    reason = models.TextField(_("reason"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["assignment", "criterion__order", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="score_once_per_criterion"),
            # The upper end is the stage's scale (5 or 100), checked by the scoring service.
            models.CheckConstraint(condition=Q(value__gte=0, value__lte=100), name="score_value_range"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.value}"


class StageResult(models.Model):
    """An application's result in a stage, from the submitted scores (``evaluation.aggregation``):
    how many evaluators scored, the merit (their weighted scores' mean, the highest and lowest
    dropped from five evaluators up), the spread (highest − lowest), the evaluators flagged as
    outliers, and, once the stage closes, whether it passed. Recomputed by
    ``services.ranking.ranking_recompute`` after each submission; the bonus and the final score
    are read live (final = merit + the application's priority score)."""

    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="results", verbose_name=_("stage"))
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="evaluation_results",
        verbose_name=_("application"),
    )
    evaluations = models.PositiveSmallIntegerField(_("evaluators who scored"), default=0)
    merit = models.DecimalField(_("merit score"), max_digits=5, decimal_places=2, null=True, blank=True)
    spread = models.DecimalField(_("spread"), max_digits=5, decimal_places=2, null=True, blank=True)
    outliers = models.PositiveSmallIntegerField(_("outlying scores"), default=0)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("stage result")
        verbose_name_plural = _("stage results")
        ordering = ["stage", "-merit", "application"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "application"], name="stage_result_once"),
            models.CheckConstraint(
                condition=Q(merit__isnull=True) | Q(merit__gte=0, merit__lte=100), name="stage_result_merit_range"
            ),
            models.CheckConstraint(
                condition=Q(evaluations=0, merit__isnull=True) | Q(evaluations__gt=0, merit__isnull=False),
                name="stage_result_merit_when_scored",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} · {self.application_id}: {self.merit}"


# --- Objections ---------------------------------------------------------------------------------


class ObjectionState(models.TextChoices):
    FILED = "filed", _("Objection filed")
    # Decided for the applicant: the application is evaluated again.
    REEVALUATION = "reevaluation", _("Re-evaluation ordered")
    # Decided against: the result stands.
    UPHELD = "upheld", _("Result upheld")


class Objection(models.Model):
    """An applicant's objection (이의신청) to the evaluated decision: once per application, within
    the call's objection period, with a reason and optionally an attachment. A reviewer decides
    it with a written reason (re-evaluation or upheld); eval-site's services write it."""

    State = ObjectionState

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="objection", verbose_name=_("application")
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    reason = models.TextField(_("reason"))
    attachment = models.FileField(
        _("attachment"),
        upload_to=objection_upload_to,
        validators=[validate_evidence_file],
        blank=True,
        max_length=200,
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.FILED, editable=False)
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-filed_at", "-pk"]
        permissions = [("decide_objection", _("Can decide objections"))]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ObjectionState.values), name="objection_state_valid"),
            models.CheckConstraint(
                condition=Q(state=ObjectionState.FILED, decided_at__isnull=True)
                | (~Q(state=ObjectionState.FILED) & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="objection_decided_with_reason",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="objection_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state == ObjectionState.FILED


class ObjectionTransition(Transition):
    """The history of an objection: filed, then decided."""

    objection = models.ForeignKey(
        Objection, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("objection")
    )
    from_state = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=ObjectionState.choices, blank=True
    )
    to_state = models.CharField(pgettext_lazy("status change", "to"), max_length=20, choices=ObjectionState.choices)

    class Meta(Transition.Meta):
        verbose_name = _("objection change")
        verbose_name_plural = _("objection changes")
