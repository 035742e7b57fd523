"""The domain's errors: one root, so that every edge (a view, an admin page, a task, the API)
reports a refusal the same way.

A ``DomainError`` is a rule refusing an action; ``str(error)`` says why, in the user's language,
and nothing has changed. Each app subclasses it for its own refusals (``ApplicationError``,
``DoesNotFit``, ``AftercareError``…).
"""


class DomainError(Exception):
    """A domain rule refused the action; ``str(error)`` says why, in the user's language."""


class NotAllowed(DomainError):
    """The actor may not do this (not a member, not the owner, no right to decide…)."""


class RetryLater(Exception):  # not "…Error": a request to the caller, not a failure
    """A service could not finish now (a backend or mail server that did not answer) and wants
    to be run again after ``countdown`` seconds; its task re-queues itself. The service has
    recorded the attempt and decided that it is worth another one: when to give up is the
    service's rule, not the task's."""

    def __init__(self, message: str, *, countdown: int):
        super().__init__(message)
        self.countdown = countdown
