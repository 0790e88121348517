"""Users and roles: hashed passwords, the first admin, only admins manage users (on SQLite and PostgreSQL)."""

import pytest
from conftest import run_dms

from dms import users
from dms.app import Dms
from dms.errors import NotFound, PermissionDenied, UsageError

pytestmark = pytest.mark.both_catalogs


@pytest.fixture
def app(settings):
    with Dms(settings) as dms:
        yield dms


def test_first_user_must_be_an_admin_and_then_only_admins_add_users(app):
    with pytest.raises(UsageError, match="first user of an archive must be an admin"):
        users.add(app.catalog, "anna", "coordinator", "long enough pass", by="anna")
    users.add(app.catalog, "root", "admin", "long enough pass", by="whoever")
    users.add(app.catalog, "anna", "coordinator", "another long pass", by="root")
    with pytest.raises(PermissionDenied, match="anna is a coordinator; this needs a admin"):
        users.add(app.catalog, "eve", "admin", "sneaky long pass", by="anna")
    with pytest.raises(NotFound, match="there is no user 'ghost'"):
        users.add(app.catalog, "eve", "viewer", "sneaky long pass", by="ghost")
    assert [u["name"] for u in users.listing(app.catalog)] == ["anna", "root"]


def test_passwords_are_stored_only_as_argon2_hashes_and_checked(app):
    users.add(app.catalog, "root", "admin", "correct horse battery", by="root")
    (stored,) = app.catalog.conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert users.check_password(app.catalog, "root", "correct horse battery")
    assert not users.check_password(app.catalog, "root", "wrong horse battery")
    assert not users.check_password(app.catalog, "nobody", "correct horse battery")


def test_roles_change_and_disabled_users_cannot_act(app):
    users.add(app.catalog, "root", "admin", "long enough pass", by="root")
    users.add(app.catalog, "marco", "coordinator", "long enough pass", by="root")
    assert users.set_role(app.catalog, "marco", "manager", by="root").role == "manager"
    assert users.acting(app.catalog, "marco", "manager").name == "marco"
    users.disable(app.catalog, "marco", by="root")
    with pytest.raises(PermissionDenied, match="disabled"):
        users.acting(app.catalog, "marco")
    assert not users.check_password(app.catalog, "marco", "long enough pass")
    with pytest.raises(UsageError, match="cannot disable themselves"):
        users.disable(app.catalog, "root", by="root")


@pytest.mark.parametrize("name, role, password, message", [
    ("x", "viewer", "long enough pass", "starts with a letter"),
    ("bob", "superuser", "long enough pass", "unknown role 'superuser'"),
    ("bob", "viewer", "short", "at least 10 characters"),
])
def test_bad_user_is_refused_and_nothing_is_stored(app, name, role, password, message):
    users.add(app.catalog, "root", "admin", "long enough pass", by="root")
    with pytest.raises(UsageError, match=message):
        users.add(app.catalog, name, role, password, by="root")
    assert [u["name"] for u in users.listing(app.catalog)] == ["root"]


def test_user_commands_on_the_command_line(home, settings):
    assert run_dms(home, "user", "add", "root", "--role", "admin", "--password-stdin", "--as", "root",
                   input_text="long enough pass\n").returncode == 0
    denied = run_dms(home, "user", "add", "eve", "--role", "admin", "--password-stdin", "--as", "nobody",
                     input_text="long enough pass\n", check=False)
    assert denied.returncode == 3 and "there is no user 'nobody'" in denied.stderr
    run_dms(home, "user", "add", "anna", "--role", "viewer", "--password-stdin", "--as", "root",
            input_text="another long pass\n")
    not_admin = run_dms(home, "user", "set-role", "root", "viewer", "--as", "anna", check=False)
    assert not_admin.returncode == 6 and "needs a admin" in not_admin.stderr
    with Dms(settings) as app:
        assert [(u["name"], u["role"]) for u in users.listing(app.catalog)] == [("anna", "viewer"), ("root", "admin")]
