"""`dms followup` commands (issue 16): a thin layer over dms.followup."""

from __future__ import annotations

COMMANDS: list = []
