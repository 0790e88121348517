"""What every dms command shares: the --home, --json and --as options, output, opening the archive."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from contextlib import contextmanager

import click

from dms.config import load_settings


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


class EngineName(click.ParamType):
    """--engine: a name from the engine registry (dms.index.engines), read only when the option is used or its
    help shown, so that starting a command does not import the search package."""

    name = "engine"

    def get_metavar(self, param, ctx=None) -> str:
        from dms.index.engines import NAMES

        return f"[{'|'.join(NAMES)}]"

    def convert(self, value, param, ctx):
        from dms.errors import ConfigError
        from dms.index.engines import engine

        try:
            return engine(value, setting=None).name
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        from dms.index.engines import NAMES

        return [CompletionItem(n) for n in NAMES if n.startswith(incomplete.lower())]


def home_option(f):
    @click.option("--home", type=click.Path(file_okay=False), envvar="DMS_HOME",
                  help="Data directory (catalog, store, index). Default: $DMS_HOME or ~/.local/share/dms.")
    @click.option("--engine", type=EngineName(), default=None,
                  help="Search engine (default: $DMS_SEARCH_ENGINE, else the first listed). Another engine's index is "
                       "rebuilt from the catalog on first use (or with `dms reindex`).")
    @functools.wraps(f)
    def wrapper(*args, home=None, engine=None, **kwargs):
        settings = load_settings(home=home)
        if engine:
            settings = dataclasses.replace(settings, search_engine=engine)
        return f(*args, settings=settings, **kwargs)

    return wrapper


def emit(as_json: bool, data, human) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        human(data)


@contextmanager
def progress_bar(label: str, as_json: bool):
    """An `on_progress(done, total)` callback drawing a bar on a terminal's stderr (None otherwise)."""
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update if sys.stderr.isatty() and not as_json else None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def open_archive(settings):
    from dms.app import Dms

    return Dms(settings)



def as_option(f):
    @click.option("--as", "as_user", metavar="NAME", help="Act as this user (default: $DMS_USER, else $USER).")
    @functools.wraps(f)
    def wrapper(*args, as_user=None, settings, **kwargs):
        if as_user:
            settings = dataclasses.replace(settings, user=as_user)
        return f(*args, settings=settings, **kwargs)

    return wrapper
