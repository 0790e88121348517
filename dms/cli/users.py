"""`dms user add|list|set-role|disable|enable|passwd|reset-password|unlock|locks|token`: accounts for the CLI and
the web UI, their passwords and sign-in lockouts, and API tokens."""

from __future__ import annotations

import sys

import click

from dms import users
from dms.cli.common import as_option, emit, home_option, json_option, open_archive


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
        f"{', temporary password' if r['must_change'] else ''}"
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


@user_group.command("enable")
@click.argument("name")
@home_option
@as_option
@json_option
def user_enable(name, settings, as_json):
    """Enable a disabled user again (admins only). API tokens of theirs that were not revoked work again."""
    from dms.catalog import accounts

    with open_archive(settings) as dms:
        user = users.enable(dms.catalog, name, by=settings.user)
        live = accounts.live_token_count(dms.catalog, name)
    emit(as_json, {"name": user.name, "disabled": user.disabled, "live_api_tokens": live},
         lambda d: click.echo(f"{d['name']} is enabled" + (
             f" ({d['live_api_tokens']} API token(s) work again: `dms user token list {d['name']}`)"
             if d["live_api_tokens"] else "")))


@user_group.command("passwd")
@click.option("--password-stdin", is_flag=True,
              help="Read the current password from the first line of standard input, the new one from the second.")
@home_option
@as_option
@json_option
def user_passwd(password_stdin, settings, as_json):
    """Change your own password (the user of --as / $DMS_USER), giving the current one. Your web sessions end."""
    if password_stdin:
        current, new = sys.stdin.readline().rstrip("\n"), sys.stdin.readline().rstrip("\n")
    else:
        current = click.prompt("Current password", hide_input=True)
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with open_archive(settings) as dms:
        user = users.change_password(dms.catalog, settings.user, current, new)
    emit(as_json, {"name": user.name, "changed": True},
         lambda d: click.echo(f"password of {d['name']} changed; their web sessions have ended"))


@user_group.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the temporary password from the first line of standard "
              "input (else one is made and printed).")
@home_option
@as_option
@json_option
def user_reset_password(name, password_stdin, settings, as_json):
    """Give NAME a temporary password (admins only): printed once, it works for DMS_TEMPORARY_PASSWORD_HOURS and
    must be changed at the next sign-in. NAME's web sessions end and the lockout of the name is lifted."""
    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with open_archive(settings) as dms:
        user, password, until = users.reset_password(dms.catalog, name, settings.user,
                                                     settings.temporary_password_hours, given)
    data = {"name": user.name, "valid_until": until, **({} if given else {"temporary_password": password})}
    emit(as_json, data, lambda d: click.echo(
        f"temporary password of {d['name']} (valid until {d['valid_until']}; to be changed at the next sign-in)"
        + (f":\n{d['temporary_password']}" if "temporary_password" in d else "")))


@user_group.command("unlock")
@click.argument("name", required=False)
@click.option("--client", "address", metavar="ADDR", help="Clear the failed sign-ins from this IP address instead.")
@home_option
@as_option
@json_option
def user_unlock(name, address, settings, as_json):
    """Clear the failed sign-ins of NAME (from anywhere), or of an address (--client ADDR), at once (admins only)."""
    from dms import auth

    with open_archive(settings) as dms:
        cleared = auth.unlock(dms.catalog, settings.user, name=name, address=address)
    emit(as_json, {"unlocked": name or address, "cleared": cleared},
         lambda d: click.echo(f"{d['unlocked']}: {d['cleared']} failed sign-in(s) cleared"))


@user_group.command("locks")
@home_option
@json_option
def user_locks(settings, as_json):
    """Failed sign-ins in the current window, by user name and by address, and which are locked."""
    from dms import auth

    with open_archive(settings) as dms:
        rows = auth.lockouts(dms.catalog, settings)
    emit(as_json, rows, lambda d: [click.echo(line) for line in (
        [f"user    {r['name'] or '(empty)':30} {r['all']:4} failed  last {r['last']}"
         f"{'  LOCKED (dms user unlock ' + r['name'] + ')' if r['locked'] else ''}" for r in d["names"]]
        + [f"address {r['address']:30} {r['unknown']:4} failed  last {r['last']}"
           f"{'  LOCKED (dms user unlock --client ' + r['address'] + ')' if r['locked'] else ''}"
           for r in d["addresses"]] or ["no failed sign-ins in the window"])])


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
