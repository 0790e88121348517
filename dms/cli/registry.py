"""The `dms` commands defined outside dms/cli/__init__.py, by name, each imported when it is used.

A command run from a shell pays for every module it imports before it does its work, and `dms search` needs
nothing of `dms change`, `dms serve` or `dms plan`. So the root group knows the other commands by name and
where each one is (module:attribute, as an entry point names an object), and imports a command's module only
when that command runs, its help is asked for, or `dms --help` lists every command. The modules themselves
import at their top only what their options need; the work's imports are inside the command functions.

A module that cannot be imported (an optional dependency missing or broken) costs only its own commands:
`dms --help` lists each of them as "(unavailable: the reason)" and running one fails with a ConfigError (exit 2);
every other command works.

To add a command: define it in a module of dms/cli (listed in that module's COMMANDS, if it has that list)
and add its line here. tests/test_startup.py checks the two agree, that every module-level command of dms/cli
is reachable from `dms`, and that `dms search`, `dms trace` and `dms --help` import nothing they do not use.
"""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, str] = {
    "trace": "dms.cli.graph:trace_command",
    "links": "dms.cli.graph:links_command",
    "path": "dms.cli.graph:path_command",
    "timeline": "dms.cli.graph:timeline_command",
    "orphans": "dms.cli.graph:orphans_command",
    "dangling": "dms.cli.graph:dangling_command",
    "stale": "dms.cli.graph:stale_command",
    "link": "dms.cli.graph:link_group",
    "graph": "dms.cli.graph:graph_group",
    "user": "dms.cli.users:user_group",
    "change": "dms.cli.changes:change_group",
    "serve": "dms.cli.web:serve_command",
    "audit": "dms.cli.evidence:audit_group",
    "hold": "dms.cli.evidence:hold_group",
    "edit": "dms.cli.evidence:edit_command",
    "retire": "dms.cli.evidence:retire_command",
    "restore": "dms.cli.evidence:restore_command",
    "purge": "dms.cli.evidence:purge_command",
    "bundle": "dms.cli.evidence:bundle_group",
    "retro": "dms.cli.evidence:retro_command",
    "ocr": "dms.cli.intake:ocr_command",
    "watch": "dms.cli.intake:watch_command",
    "explain": "dms.cli.meta:explain_command",
    "rules": "dms.cli.meta:rules_group",
    "rederive": "dms.cli.meta:rederive_command",
    "review": "dms.cli.meta:review_command",
    "party": "dms.cli.parties:party_group",
    "view": "dms.cli.views:view_group",
    # the plan group of dms.cli.plans, reached through dms.cli.plancheck, which adds `check` and `order-draft` to it
    "plan": "dms.cli.plancheck:plan_group",
    "followup": "dms.cli.followup:followup_group",
    "catalog": "dms.cli.catalog:catalog_group",
}


def load(name: str) -> click.Command:
    """The command `name` of COMMANDS (its module imported now, if it was not yet)."""
    module, _, attribute = COMMANDS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def unavailable(name: str, reason: str) -> click.Command:
    """A stand-in for a command whose module cannot be imported (a dependency missing or broken): listed by
    `dms --help` with the reason, and refusing to run with a ConfigError (the installation, not the call, is at
    fault), so that one broken module costs only its own commands."""
    from dms.errors import ConfigError

    def refuse(args: tuple[str, ...]) -> None:
        raise ConfigError(f"dms {name} is unavailable: {reason}")

    return click.Command(name, callback=refuse, help=f"(unavailable: {reason})", short_help=f"(unavailable: {reason})",
                         params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)], add_help_option=False,
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


class LazyGroup(click.Group):
    """A group that offers, besides its own commands, every command of COMMANDS, loaded on first use. A command
    whose module fails to import is offered as `unavailable` (the reason shown), and the others keep working."""

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            try:
                command = load(cmd_name)
            except ImportError as exc:  # ModuleNotFoundError too: a missing optional dependency
                module = COMMANDS[cmd_name].partition(":")[0]
                command = unavailable(cmd_name, f"{module} cannot be imported ({exc})")
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)
