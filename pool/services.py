"""Changes to the pool: an offering's capacity phases, replaced as a whole by an operator."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from pool import capacity
from pool.models import CapacityChange, CapacityLedger, CapacityPhase, Offering
from portal import data_version, formats
from portal.errors import DomainError


class PhaseConflictError(DomainError):
    """The new phases would leave less capacity than is already allocated on some day."""


# Larger than any real pool; a phase holds it only for a moment inside capacity_phases_set.
_UNBOUNDED = 2_147_483_647

PhaseInput = tuple[date, int, bool, str]  # start date, units, modelled?, note


@transaction.atomic
def capacity_phases_set(*, actor: User | None, offering: Offering, phases: list[PhaseInput], reason: str = "") -> bool:
    """Replace an offering's capacity phases: (start date, units, modelled?, note) each.

    Precondition: none; the offering's ledger rows are locked in day order (the order every
    writer of the ledger takes) before anything is checked, so that no grant or release can
    change what is allocated between the check and the write. Refused with
    ``PhaseConflictError``, naming the first conflicting day, when the new capacity would fall
    below what is already allocated; nothing changes then. Effect: the phases are replaced and
    the ledger's capacity follows them by trigger, in an order in which the capacity never dips
    below the final figures (existing phases are first raised to an unbounded figure, new ones
    inserted unbounded, dropped ones deleted, then each lowered to its final figure); a
    ``CapacityChange`` records who changed what. Idempotent: the same phases again change
    nothing and record nothing (returns False).
    """
    Offering.objects.select_for_update(no_key=True).filter(pk=offering.pk).exists()
    list(CapacityLedger.objects.filter(offering=offering).select_for_update().order_by("day").values_list("pk"))
    wanted = {start: (units, modelled, note) for start, units, modelled, note in phases}
    current = CapacityPhase.objects.filter(offering=offering)
    before = {phase.starts_on: (phase.units, phase.is_modelled, phase.note) for phase in current.order_by("starts_on")}
    if before == wanted:
        return False
    conflicts = capacity.phase_conflicts(offering.pk, [(start, units) for start, (units, *_rest) in wanted.items()])
    if conflicts:
        raise PhaseConflictError(phase_conflict_message(offering, conflicts))
    current.update(units=_UNBOUNDED)
    for start in sorted(set(wanted) - set(before)):
        CapacityPhase.objects.create(offering=offering, starts_on=start, units=_UNBOUNDED)
    current.exclude(starts_on__in=list(wanted)).delete()
    for start in sorted(wanted):
        units, modelled, note = wanted[start]
        CapacityPhase.objects.filter(offering=offering, starts_on=start).update(
            units=units, is_modelled=modelled, note=note
        )
    data_version.changed()
    CapacityChange.objects.create(
        offering=offering,
        actor=actor,
        before=CapacityChange.described({start.isoformat(): units for start, (units, *_rest) in before.items()}),
        after=CapacityChange.described({start.isoformat(): units for start, (units, *_rest) in wanted.items()}),
        reason=reason,
    )
    return True


def phase_conflict_message(offering: Offering, conflicts: list[capacity.PhaseConflict]) -> str:
    first = conflicts[0]
    return _(
        "%(offering)s: from %(day)s, %(reserved)s %(unit)s are already allocated but the capacity would be "
        "%(capacity)s (%(count)s conflicting period(s)). Revoke or shorten allocations first."
    ) % {
        "offering": offering.name,
        "day": formats.day(first.day),
        "reserved": formats.figure(first.reserved),
        "unit": offering.get_unit_display(),
        "capacity": formats.figure(first.capacity),
        "count": len(conflicts),
    }
