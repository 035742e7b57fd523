"""The evaluation's refusals: one class, so every edge reports them the same way."""

from portal.errors import DomainError


class EvaluationError(DomainError):
    """A rule of the evaluation refused the action; ``str(error)`` says why, in the user's language."""


class ConflictFound(EvaluationError):
    """The evaluator may not evaluate the application: a conflict of interest (recorded when found)."""
