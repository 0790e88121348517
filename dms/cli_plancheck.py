"""`dms plan check` and `dms plan order-draft` (issue 16), added to the `plan` group of dms.cli_plans."""

from __future__ import annotations

from dms.cli_plans import plan_group  # noqa: F401 - the commands below attach to it
