"""`dms serve`: the web UI and JSON API on a local address."""

from __future__ import annotations

import click

from dms.cli.common import emit, home_option, json_option


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (127.0.0.1: this machine "
              "only; 0.0.0.0: the network).")
@click.option("--port", default=8000, show_default=True)
@click.option("--access-log", metavar="FILE", help="Write one line per request to FILE (appended to), or to standard "
              "error with `-`: time, client, user, method, path, status, bytes, ms. No passwords, tokens or cookies.")
@home_option
@json_option
def serve_command(host, port, access_log, settings, as_json):
    """Serve the web UI and the JSON API (/api/v1, docs at /docs). Sign in as a user from `dms user add`."""
    import uvicorn

    from dms import users
    from dms.app import Dms
    from dms.web import create_app

    with Dms(settings) as archive:
        archive.ensure_index()
        if not users.listing(archive.catalog):
            click.echo("No users yet: add the first one with `dms user add NAME --role admin`.", err=True)
    write_log = None
    if access_log:
        from dms.web.accesslog import line_writer

        try:
            write_log = line_writer(access_log)
        except OSError as exc:
            raise click.ClickException(f"cannot write the access log {access_log}: {exc.strerror}") from None
    url = f"http://{host}:{port}/"
    emit(as_json, {"url": url, "api": url + "api/v1/", "docs": url + "docs", "home": str(settings.home)},
         lambda d: click.echo(f"dms is serving {d['home']} at {d['url']}  (API docs: {d['docs']})"))
    # X-Forwarded-For names the client only when the peer is a proxy named in DMS_TRUSTED_PROXIES: otherwise
    # anyone could pick the address sign-in limits count failures against (uvicorn's default trusts 127.0.0.1).
    trusted = list(settings.trusted_proxies)
    app = create_app(settings)
    if write_log:
        from dms.web.accesslog import AccessLog

        app = AccessLog(app, write_log)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)


COMMANDS = [serve_command]
