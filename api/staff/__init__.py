"""The staff's API (/api/v1/staff/): the review queue, decisions, capacity, the allocations'
changes feed and provisioning reports, evaluation and usage; the same selectors and services as
the admin, behind ``api.permissions.StaffScope`` and the staff role's own permissions."""
