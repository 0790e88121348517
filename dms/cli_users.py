"""`dms user add|list|set-role|disable|token`: accounts for the CLI and the web UI, and API tokens."""

from __future__ import annotations

import sys

import click

from dms import users
from dms.cli_common import as_option, emit, home_option, json_option, open_archive


@click.group("user")
def user_group():
    """Users and their roles: viewer, coordinator, manager, admin."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--email", help="Where notices to this user go (default: NAME@localhost).")
@home_option
@as_option
@json_option
def user_add(name, role, password_stdin, email, settings, as_json):
    """Add a user (only an admin may, except for the archive's first user, who must be an admin)."""
    password = _password(password_stdin)
    with open_archive(settings) as dms:
        user = users.add(dms.catalog, name, role, password, by=settings.user, email=email)
    emit(as_json, {"name": user.name, "role": user.role, "email": user.email},
         lambda d: click.echo(f"added {d['name']} ({d['role']})"))


@user_group.command("set-email")
@click.argument("name")
@click.argument("email")
@home_option
@as_option
@json_option
def user_set_email(name, email, settings, as_json):
    """Set where notices to NAME go (your own, or anyone's if you are an admin); "" removes it."""
    with open_archive(settings) as dms:
        user = users.set_email(dms.catalog, name, email, by=settings.user)
    emit(as_json, {"name": user.name, "email": user.email},
         lambda d: click.echo(f"{d['name']}: {d['email'] or 'no e-mail address (notices go to NAME@localhost)'}"))


@user_group.command("list")
@home_option
@json_option
def user_list(settings, as_json):
    """Every user with role, state and who added them."""
    with open_archive(settings) as dms:
        rows = users.listing(dms.catalog)
    emit(as_json, {"users": rows}, lambda d: [click.echo(
        f"{r['name']:20} {r['role']:12} {r['email'] or '-':30} "
        f"{'disabled ' + r['disabled_at'][:10] if r['disabled_at'] else 'active'}"
        f"  (added by {r['created_by']} {r['created_at'][:10]})") for r in d["users"]])


@user_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(users.ROLES))
@home_option
@as_option
@json_option
def user_set_role(name, role, settings, as_json):
    """Give a user another role (admins only)."""
    with open_archive(settings) as dms:
        user = users.set_role(dms.catalog, name, role, by=settings.user)
    emit(as_json, {"name": user.name, "role": user.role}, lambda d: click.echo(f"{d['name']} is now {d['role']}"))


@user_group.command("disable")
@click.argument("name")
@home_option
@as_option
@json_option
def user_disable(name, settings, as_json):
    """Disable a user (admins only); the account stays on record for the history it signed."""
    with open_archive(settings) as dms:
        user = users.disable(dms.catalog, name, by=settings.user)
    emit(as_json, {"name": user.name, "disabled": user.disabled}, lambda d: click.echo(f"{d['name']} is disabled"))


@user_group.group("token")
def token_group():
    """API tokens for scripts calling the JSON API (Authorization: Bearer <token>)."""


@token_group.command("create")
@click.argument("name")
@click.option("--label", required=True, help="What uses the token (kept with it).")
@home_option
@as_option
@json_option
def token_create(name, label, settings, as_json):
    """Create an API token for NAME (yourself, or anyone if you are an admin). The token is printed once."""
    from dms import auth

    with open_archive(settings) as dms:
        token_id, secret = auth.create_token(dms.catalog, name, label, settings.user)
    emit(as_json, {"id": token_id, "user": name, "label": label, "token": secret},
         lambda d: click.echo(f"token {d['id']} for {d['user']} (shown only now):\n{d['token']}"))


@token_group.command("list")
@click.argument("name", required=False)
@home_option
@json_option
def token_list(name, settings, as_json):
    """API tokens (of NAME, or of everyone), without their secrets."""
    from dms import auth

    with open_archive(settings) as dms:
        rows = auth.tokens(dms.catalog, name)
    emit(as_json, {"total": len(rows), "tokens": rows}, lambda d: [click.echo(
        f"{t['id']:4} {t['user']:12} {t['label']:30} created {t['created_at'][:10]}, last used "
        f"{(t['last_used_at'] or 'never')[:10]}{'  REVOKED' if t['revoked_at'] else ''}") for t in d["tokens"]])


@token_group.command("revoke")
@click.argument("token_id", type=int)
@home_option
@as_option
@json_option
def token_revoke(token_id, settings, as_json):
    """Revoke an API token (your own, or anyone's if you are an admin)."""
    from dms import auth

    with open_archive(settings) as dms:
        auth.revoke_token(dms.catalog, token_id, settings.user)
    emit(as_json, {"id": token_id, "revoked": True}, lambda d: click.echo(f"token {d['id']} revoked"))
