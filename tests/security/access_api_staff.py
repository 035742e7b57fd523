"""The access table's rows for the staff's API endpoints (/api/v1/staff/): see access_table.py
(which imports this module at its end, after the words below are defined)."""

from tests.security.access_table import Entry

# fmt: off
API_STAFF_ACCESS: dict[str, Entry] = {}
# fmt: on
