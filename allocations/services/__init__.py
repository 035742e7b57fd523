"""The allocation engine's services, one module per job:

- ``decisions``: approve (in full, in part, many at once), wait-list, reject an application;
  an approval grants capacity and creates the pending allocations.
- ``filling``: fill a call in rank order, by priority (a reviewer's action) and from the
  wait-list when capacity frees up (the portal's own).
- ``provisioning``: turn pending allocations into quotas in the data center (the backends in
  ``allocations.backends``) and make them active; give up after too many attempts.
- ``release``: end an allocation (expired, revoked, failed) and return its capacity.
- ``changes``: extend or supplement a running allocation.

Lock order, everywhere: applications (by id), allocation, the offering (only to create ledger
days), ledger rows by (offering, day), then the dashboard's usage changes by (offering, day)
(``UsageChange``: the allocation table's trigger upserts them in that order, in the one statement
by which a transaction changes its allocations). Every path that moves the ledger (a grant or a batch, an
expiry, a revocation, a provisioning failure, an extension or supplement, a phase edit) locks
the rows it moves in that order (``pool.capacity.lock_ledger``; a phase edit, all of its
offering's rows in day order) before the statement whose trigger moves them, because the
trigger's own UPDATE visits the rows in the table's physical order, which is not day order.
Rows that a grant's foreign keys point to (an organisation, an offering) are never locked for
update by a path that then waits for the ledger: the grant share-locks them at its commit.
"""
