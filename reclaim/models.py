"""Taking back what sits idle (회수): a call's reclaim policy, and the reclaim cases it opens.

A *reclaim policy* (one per call, set by operators) says when an active allocation of the call
is idle enough to be a *candidate*: its utilisation below a threshold over a window, once it has
been in service for a grace period, or no use at all for a number of days. A beat job
(``reclaim.services.reclaim_candidates_mark``) opens a *reclaim case* for each, with what was
measured, and warns the organisation, who may answer before the due date (a reason, a plan, an
exemption request). A reviewer then reduces the allocation, ends it, or keeps it, through the
allocation engine; the freed capacity goes to the call's wait-list (``ReclaimOffer`` records
who got it). A policy may let the job decide by itself, past the due date, when nobody answered.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal import formats
from portal.history import SettingChange, Transition


class AutomaticReclaim(models.TextChoices):
    NEVER = "never", _("Never: a reviewer decides")
    REDUCE = "reduce", _("Reduce to the units used")
    END = "end", _("End the allocation")


class ReclaimPolicy(models.Model):
    """When the active allocations of a call become reclaim candidates, how long the
    organisation has to answer, and whether the portal may reclaim by itself."""

    Automatic = AutomaticReclaim

    call = models.OneToOneField(
        "applications.Call", on_delete=models.CASCADE, related_name="reclaim_policy", verbose_name=_("call")
    )
    enabled = models.BooleanField(
        _("in force"), default=True, help_text=_("Untick to stop marking candidates without losing the settings.")
    )
    threshold_percent = models.PositiveSmallIntegerField(
        _("utilisation threshold (%)"),
        default=30,
        help_text=_("An allocation that used less than this share of its grant over the window is a candidate."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=30, help_text=_("The days over which utilisation is measured.")
    )
    grace_days = models.PositiveSmallIntegerField(
        _("first days of service not measured"),
        default=30,
        help_text=_("The window starts only after this many days of service."),
    )
    idle_days = models.PositiveSmallIntegerField(
        _("days without any use"),
        null=True,
        blank=True,
        default=21,
        help_text=_("An allocation not used at all for this many days is a candidate. Empty: not checked."),
    )
    answer_days = models.PositiveSmallIntegerField(
        _("days to answer"), default=14, help_text=_("How long the organisation has to answer a warning.")
    )
    automatic = models.CharField(
        _("without an answer by the due date"),
        max_length=10,
        choices=Automatic.choices,
        default=Automatic.NEVER,
        help_text=_(
            "Whether the portal reclaims by itself when nobody answered in time. Otherwise a reviewer decides."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reclaim policy")
        verbose_name_plural = _("reclaim policies")
        ordering = ["-call__deadline"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_percent__gte=1, threshold_percent__lte=100), name="reclaim_policy_threshold"
            ),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="reclaim_policy_window_positive"),
            models.CheckConstraint(
                condition=Q(idle_days__isnull=True) | Q(idle_days__gte=1), name="reclaim_policy_idle_positive"
            ),
            models.CheckConstraint(condition=Q(answer_days__gte=1), name="reclaim_policy_answer_positive"),
            models.CheckConstraint(
                condition=Q(automatic__in=AutomaticReclaim.values), name="reclaim_policy_automatic_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(self.call)

    @property
    def is_automatic(self) -> bool:
        return self.automatic != AutomaticReclaim.NEVER

    @property
    def reduces_automatically(self) -> bool:
        return self.automatic == AutomaticReclaim.REDUCE

    @property
    def ends_automatically(self) -> bool:
        return self.automatic == AutomaticReclaim.END

    def settings(self) -> dict[str, int | str]:
        """The policy as "setting: value" pairs, for its change history."""
        return {
            "enabled": int(self.enabled),
            "threshold_percent": self.threshold_percent,
            "window_days": self.window_days,
            "grace_days": self.grace_days,
            "idle_days": self.idle_days or 0,
            "answer_days": self.answer_days,
            "automatic": self.automatic,
        }


class ReclaimPolicyChange(SettingChange):
    """The history of a call's reclaim policy: who changed it, when, from what to what."""

    call = models.ForeignKey(
        "applications.Call", on_delete=models.CASCADE, related_name="reclaim_policy_changes", verbose_name=_("call")
    )

    class Meta(SettingChange.Meta):
        verbose_name = _("reclaim policy change")
        verbose_name_plural = _("reclaim policy changes")

    def __str__(self) -> str:
        return f"{self.call_id} · {formats.moment(self.created_at)}"


class ReclaimState(models.TextChoices):
    CANDIDATE = "candidate", _("Warned, awaiting an answer")
    ANSWERED = "answered", pgettext_lazy("reclaim state", "Answered")
    REDUCED = "reduced", pgettext_lazy("reclaim state", "Reduced")
    ENDED = "ended", pgettext_lazy("reclaim state", "Ended")
    KEPT = "kept", _("Kept (exempted)")
    DISMISSED = "dismissed", pgettext_lazy("reclaim state", "Dismissed")


# A case awaiting a reviewer (or the portal): one per allocation at a time.
OPEN_STATES = (ReclaimState.CANDIDATE, ReclaimState.ANSWERED)
# The decisions that take units back.
RECLAIMING_STATES = (ReclaimState.REDUCED, ReclaimState.ENDED)


class ReclaimTrigger(models.TextChoices):
    LOW_UTILISATION = "low_utilisation", _("Low utilisation")
    UNUSED = "unused", _("No use")


class ReclaimAnswerKind(models.TextChoices):
    REASON = "reason", _("A reason for the low use")
    PLAN = "plan", _("A plan to use the resources")
    EXEMPTION = "exemption", _("An exemption request")


class ReclaimCase(models.Model):
    """An active allocation found idle under its call's policy: what was measured, the warning,
    the organisation's answer and the decision. Changed only by ``reclaim.services``."""

    State = ReclaimState
    Trigger = ReclaimTrigger
    AnswerKind = ReclaimAnswerKind

    allocation = models.ForeignKey(
        "allocations.Allocation", on_delete=models.PROTECT, related_name="reclaim_cases", verbose_name=_("allocation")
    )
    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.PROTECT,
        related_name="reclaim_cases",
        verbose_name=_("organisation"),
    )
    call = models.ForeignKey(
        "applications.Call", on_delete=models.PROTECT, related_name="reclaim_cases", verbose_name=_("call")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.CANDIDATE, editable=False)
    trigger = models.CharField(_("found by"), max_length=20, choices=Trigger.choices)
    # What was measured when the case was opened, so that the case reads on its own later.
    window_starts_on = models.DateField(_("measured from"))
    window_ends_on = models.DateField(_("measured until"))
    used = models.DecimalField(_("used"), max_digits=16, decimal_places=3)
    granted = models.DecimalField(pgettext_lazy("reclaim", "granted"), max_digits=16, decimal_places=3)
    utilisation_percent = models.DecimalField(_("utilisation (%)"), max_digits=6, decimal_places=1)
    last_used_on = models.DateField(_("last day used"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("units when found"))
    idle_units = models.PositiveIntegerField(_("idle units"))
    flagged_on = models.DateField(_("found on"))
    due_on = models.DateField(_("answer due on"))
    answer_kind = models.CharField(
        pgettext_lazy("reclaim", "answer"), max_length=20, choices=AnswerKind.choices, blank=True
    )
    answer = models.TextField(_("the organisation's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reclaimed_units = models.PositiveIntegerField(_("units reclaimed"), default=0)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # When the freed units were offered to the call's wait-list (once, after the decision).
    offered_at = models.DateTimeField(_("offered to the wait-list"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("reclaim case")
        verbose_name_plural = _("reclaim cases")
        ordering = ["-idle_units", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ReclaimState.values), name="reclaim_case_state_valid"),
            models.CheckConstraint(condition=Q(trigger__in=ReclaimTrigger.values), name="reclaim_case_trigger_valid"),
            models.CheckConstraint(
                condition=Q(answer_kind="") | Q(answer_kind__in=ReclaimAnswerKind.values),
                name="reclaim_case_answer_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(window_starts_on__lte=F("window_ends_on")), name="reclaim_case_window_ordered"
            ),
            models.CheckConstraint(condition=Q(flagged_on__lte=F("due_on")), name="reclaim_case_due_after_found"),
            models.CheckConstraint(
                condition=~Q(state=ReclaimState.ANSWERED) | Q(answered_at__isnull=False),
                name="reclaim_case_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=Q(state__in=OPEN_STATES) | Q(decided_at__isnull=False), name="reclaim_case_decided_has_time"
            ),
            models.CheckConstraint(
                condition=Q(state__in=RECLAIMING_STATES) | Q(reclaimed_units=0),
                name="reclaim_case_units_only_when_reclaimed",
            ),
            # One open case per allocation, whatever two runs of the job do at once.
            models.UniqueConstraint(
                fields=["allocation"], condition=Q(state__in=OPEN_STATES), name="reclaim_case_one_open"
            ),
        ]
        indexes = [
            # The reviewer's queue: open cases, the most idle units first.
            models.Index(fields=["state", "-idle_units", "due_on"], name="reclaim_case_queue"),
            models.Index(fields=["allocation", "-decided_at"], name="reclaim_case_last_decision"),
        ]

    def __str__(self) -> str:
        return _("Reclaim case #%(number)s") % {"number": self.pk}

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_answered(self) -> bool:
        return bool(self.answered_at)

    @property
    def is_reduced(self) -> bool:
        return self.state == ReclaimState.REDUCED

    @property
    def is_ended(self) -> bool:
        return self.state == ReclaimState.ENDED

    @property
    def is_kept(self) -> bool:
        return self.state == ReclaimState.KEPT

    def may_answer(self, today=None) -> bool:
        """Answers are taken while the case awaits one, until the end of the due date."""
        today = today or timezone.localdate()
        return self.state == ReclaimState.CANDIDATE and today <= self.due_on


class ReclaimCaseTransition(Transition):
    """The history of a reclaim case: who moved it from which state to which, when and why."""

    case = models.ForeignKey(
        ReclaimCase, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("reclaim case")
    )
    from_state = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=ReclaimState.choices, blank=True
    )
    to_state = models.CharField(pgettext_lazy("status change", "to"), max_length=20, choices=ReclaimState.choices)

    class Meta(Transition.Meta):
        verbose_name = _("reclaim case state change")
        verbose_name_plural = _("reclaim case state changes")

    def __str__(self) -> str:
        return f"{self.get_from_state_display() or '—'} → {self.get_to_state_display()}"


class ReclaimOffer(models.Model):
    """Where reclaimed units went: a wait-listed application approved when a case's freed
    capacity was offered to its call's wait-list, and the units of the case's offering it got."""

    case = models.ForeignKey(
        ReclaimCase, on_delete=models.PROTECT, related_name="offers", verbose_name=_("reclaim case")
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="reclaim_offers",
        verbose_name=_("application"),
    )
    units = models.PositiveIntegerField(_("units of the offering"))
    created_at = models.DateTimeField(pgettext_lazy("reclaim", "approved"), default=timezone.now)

    class Meta:
        verbose_name = _("reclaimed capacity offered")
        verbose_name_plural = _("reclaimed capacity offered")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "application"], name="reclaim_offer_once")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.application_id}"
