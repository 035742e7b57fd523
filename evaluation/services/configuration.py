"""Operators set how a call selects, its stages and their rubrics; reviewers open and close the
stages. Every change is kept with who made it (``EvaluationPolicyChange``, ``StageTransition``).

Rules held here: a stage's weights sum to 100 (``aggregation.check_weights``) before it opens;
a stage's rubric and rules change only while it is being prepared; a stage opens after the call's
deadline (the applications are in), once the stage before it has closed; a call stops being
evaluated only while none of its stages has opened. Who passes a closing stage is
``services.ranking.stage_close``'s job.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import Call, ClaimKind
from evaluation import aggregation
from evaluation.errors import EvaluationError
from evaluation.models import CallEvaluation, Criterion, EvaluationPolicyChange, Stage, StageTransition
from portal import data_version
from portal.errors import NotAllowed


def _ensure(actor: User | None, permission: str) -> None:
    if actor is None or not actor.has_perm(permission):
        raise NotAllowed(_("You may not change how this call is evaluated."))


def _lock_call(call: Call) -> Call:
    return Call.objects.select_for_update(no_key=True).get(pk=call.pk)


def call_policy(call: Call) -> CallEvaluation:
    """The call's selection policy; a call without one is decided on priority alone (unsaved)."""
    policy = CallEvaluation.objects.filter(call=call).first()
    return policy if policy is not None else CallEvaluation(call=call)


def describe_call(call: Call) -> str:
    """The call's whole evaluation setup as "key: value" lines, for its change history."""
    policy = call_policy(call)
    lines = [
        f"mode: {policy.mode}",
        f"reserved: {policy.reserved_claim or '-'} {policy.reserved_percent}%",
        f"objection_days: {policy.objection_days}",
    ]
    for stage in Stage.objects.filter(call=call).prefetch_related("criteria").order_by("order"):
        rules = (
            f"evaluators {stage.evaluators_per_application}, scale {stage.scale}, "
            f"pass ≥ {stage.pass_threshold if stage.pass_threshold is not None else '-'}, "
            f"top {stage.pass_top or '-'}, deadline {timezone.localtime(stage.deadline):%Y-%m-%d %H:%M}"
        )
        lines.append(f"stage {stage.order}: {stage.name} ({rules})")
        lines.extend(
            f"stage {stage.order} criterion: {criterion.name} {criterion.weight}"
            f"{' (reason)' if criterion.reason_required else ''}"
            for criterion in stage.criteria.all()
        )
    return "\n".join(lines)


def _record(call: Call, actor: User | None, before: str) -> None:
    after = describe_call(call)
    if after != before:
        EvaluationPolicyChange.objects.create(call=call, actor=actor, before=before, after=after)
    data_version.changed()


def policy_problems(
    call: Call, mode: str, reserved_claim: str, reserved_percent: int, objection_days: int
) -> list[str]:
    """What is wrong with a selection policy for ``call``, in the reader's words (the admin's
    form shows them beside its fields; ``call_evaluation_set`` refuses with them)."""
    problems = []
    if mode not in CallEvaluation.Mode.values:
        problems.append(_("Choose how the call selects."))
    if reserved_claim and reserved_claim not in ClaimKind.values:
        problems.append(_("Unknown claim kind: %(kind)s") % {"kind": reserved_claim})
    if not 0 <= reserved_percent <= 100:
        problems.append(_("The reserved share lies between 0 and 100 %."))
    if bool(reserved_claim) != (reserved_percent > 0):
        problems.append(_("A reserved share needs both its priority group and its percentage."))
    if not 1 <= objection_days <= 60:
        problems.append(_("The objection period lies between 1 and 60 days."))
    if (
        mode != CallEvaluation.Mode.EVALUATED
        and call.pk is not None
        and Stage.objects.filter(call=call).exclude(state=Stage.State.PREPARING).exists()
    ):
        problems.append(_("The evaluation of this call has started: it can no longer select on priority alone."))
    return problems


@transaction.atomic
def call_evaluation_set(
    *,
    actor: User | None,
    call: Call,
    mode: str,
    reserved_claim: str = "",
    reserved_percent: int = 0,
    objection_days: int = 7,
) -> CallEvaluation:
    """Set how ``call`` selects: ``mode`` (priority only or evaluated), the reserved share of the
    selections for a priority group (a claim kind and a percentage, both or neither), and the
    objection period. A call leaves evaluation only while none of its stages has opened.
    Idempotent; a change is recorded with the setup before and after."""
    _ensure(actor, "evaluation.change_callevaluation")
    call = _lock_call(call)
    problems = policy_problems(call, mode, reserved_claim, reserved_percent, objection_days)
    if problems:
        raise EvaluationError(" ".join(problems))
    before = describe_call(call)
    policy = call_policy(call)
    policy.mode, policy.reserved_claim, policy.reserved_percent = mode, reserved_claim, reserved_percent
    policy.objection_days = objection_days
    policy.save()
    _record(call, actor, before)
    return policy


@dataclass(frozen=True)
class StageRules:
    name: str
    deadline: datetime
    evaluators_per_application: int = 3
    scale: int = Stage.Scale.HUNDRED
    pass_threshold: Decimal | None = None
    pass_top: int | None = None


def rules_problems(rules: StageRules) -> list[str]:
    """What is wrong with a stage's rules, in the reader's words."""
    problems = []
    if not rules.name.strip():
        problems.append(_("Name the stage."))
    if rules.scale not in Stage.Scale.values:
        problems.append(_("The scale is 0 to 5 or 0 to 100."))
    if not 1 <= rules.evaluators_per_application <= 15:
        problems.append(_("Between 1 and 15 evaluators score each application."))
    if rules.pass_threshold is not None and not Decimal(0) <= rules.pass_threshold <= Decimal(100):
        problems.append(_("The pass mark lies between 0 and 100."))
    if rules.pass_top is not None and rules.pass_top < 1:
        problems.append(_("At least one application passes."))
    return problems


def _check_rules(rules: StageRules) -> None:
    problems = rules_problems(rules)
    if problems:
        raise EvaluationError(" ".join(problems))


@transaction.atomic
def stage_save(*, actor: User | None, call: Call, rules: StageRules, stage: Stage | None = None) -> Stage:
    """Add a stage to ``call`` (after its last one) or change ``stage``'s rules while it is
    being prepared. Recorded with the setup before and after."""
    _ensure(actor, "evaluation.change_stage" if stage is not None else "evaluation.add_stage")
    _check_rules(rules)
    call = _lock_call(call)
    before = describe_call(call)
    if stage is None:
        last = Stage.objects.filter(call=call).order_by("-order").values_list("order", flat=True).first()
        stage = Stage(call=call, order=(last or 0) + 1)
    else:
        stage = Stage.objects.select_for_update().get(pk=stage.pk, call=call)
        if not stage.is_preparing:
            raise EvaluationError(_("A stage's rules change only while it is being prepared."))
    stage.name = rules.name.strip()
    stage.deadline = rules.deadline
    stage.evaluators_per_application = rules.evaluators_per_application
    stage.scale = rules.scale
    stage.pass_threshold = rules.pass_threshold
    stage.pass_top = rules.pass_top
    stage.save()
    _record(call, actor, before)
    return stage


@transaction.atomic
def stage_delete(*, actor: User | None, stage: Stage) -> None:
    """Remove a stage that is still being prepared (its criteria go with it); the later stages
    move up one place."""
    _ensure(actor, "evaluation.delete_stage")
    call = _lock_call(stage.call)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if not stage.is_preparing:
        raise EvaluationError(_("Only a stage that is being prepared can be removed."))
    before = describe_call(call)
    order = stage.order
    stage.delete()
    for later in Stage.objects.filter(call=call, order__gt=order).order_by("order"):
        later.order -= 1
        later.save(update_fields=["order"])
    _record(call, actor, before)


@dataclass(frozen=True)
class CriterionInput:
    name: str
    weight: int
    description: str = ""
    reason_required: bool = True


def check_rubric(criteria: Sequence[CriterionInput]) -> None:
    """The rubric's rules in the reader's words: named criteria, each once, weights summing to 100."""
    names = [criterion.name.strip() for criterion in criteria]
    if any(not name for name in names):
        raise EvaluationError(_("Name every criterion."))
    if len(set(names)) != len(names):
        raise EvaluationError(_("Each criterion appears once."))
    total = sum(criterion.weight for criterion in criteria)
    try:
        aggregation.check_weights({index: criterion.weight for index, criterion in enumerate(criteria)})
    except aggregation.RubricError:
        raise EvaluationError(
            _("The weights must sum to 100 (each between 1 and 100); they sum to %(total)s.") % {"total": total}
        ) from None


@transaction.atomic
def rubric_set(*, actor: User | None, stage: Stage, criteria: Sequence[CriterionInput]) -> list[Criterion]:
    """Replace ``stage``'s rubric as a whole while it is being prepared. The weights must sum
    to 100. Idempotent; recorded with the setup before and after."""
    _ensure(actor, "evaluation.change_criterion")
    check_rubric(criteria)
    call = _lock_call(stage.call)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if not stage.is_preparing:
        raise EvaluationError(_("A stage's rubric changes only while it is being prepared."))
    before = describe_call(call)
    Criterion.objects.filter(stage=stage).delete()
    try:
        created = Criterion.objects.bulk_create(
            Criterion(
                stage=stage,
                order=index,
                name=criterion.name.strip(),
                description=criterion.description.strip(),
                weight=criterion.weight,
                reason_required=criterion.reason_required,
            )
            for index, criterion in enumerate(criteria, start=1)
        )
    except IntegrityError:
        raise EvaluationError(_("Each criterion appears once.")) from None
    _record(call, actor, before)
    return created


def stage_rubric_problems(stage: Stage) -> list[str]:
    """What keeps ``stage`` from opening, in the reader's words (empty: it can open)."""
    problems = []
    weights = dict(stage.criteria.values_list("pk", "weight"))
    try:
        aggregation.check_weights(weights)
    except aggregation.RubricError:
        problems.append(
            _("The weights of the stage's criteria must sum to 100; they sum to %(total)s.")
            % {"total": sum(weights.values())}
        )
    return problems


def _transition(stage: Stage, actor: User | None, from_state: str, reason: str = "") -> None:
    StageTransition.objects.create(stage=stage, actor=actor, from_state=from_state, to_state=stage.state, reason=reason)
    data_version.changed()


@transaction.atomic
def stage_open(*, actor: User | None, stage: Stage) -> Stage:
    """Open ``stage`` for scoring: its call is evaluated and past its deadline, the stage before
    it (if any) is closed, and its weights sum to 100. From now on its rubric is fixed and
    evaluators may be assigned. Idempotent (an open stage stays open)."""
    _ensure(actor, "evaluation.run_stage")
    call = _lock_call(stage.call)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if stage.is_scoring:
        return stage
    if not stage.is_preparing:
        raise EvaluationError(_("This stage is closed."))
    if not call_policy(call).is_evaluated:
        raise EvaluationError(_("This call selects on priority alone: set it to be evaluated first."))
    if timezone.now() <= call.deadline:
        raise EvaluationError(_("The call is still open: scoring starts after its deadline."))
    previous = Stage.objects.filter(call=call, order__lt=stage.order).exclude(state=Stage.State.CLOSED)
    if previous.exists():
        raise EvaluationError(_("Close the earlier stages first."))
    problems = stage_rubric_problems(stage)
    if problems:
        raise EvaluationError(" ".join(problems))
    stage.state, stage.opened_at = Stage.State.SCORING, timezone.now()
    stage.save(update_fields=["state", "opened_at"])
    _transition(stage, actor, Stage.State.PREPARING)
    return stage
