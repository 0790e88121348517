"""`dms plan` commands (issue 16): a thin layer over dms.plans."""

from __future__ import annotations

import click


@click.group("plan")
def plan_group():
    """Lifecycle plans: template, import, list, show, check, order-draft."""


COMMANDS: list = [plan_group]
