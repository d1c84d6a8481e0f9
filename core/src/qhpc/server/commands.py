"""The server's commands of the ``qhpc`` CLI: ``serve``, ``admin``, ``jobs``, ``job``, and what
``qhpc run --server URL`` does. Importing this module imports click only; the server, the store and
the client load when a command runs.

Tokens never appear on a command line: clients read ``$QHPC_TOKEN`` or ``[client] token_file``;
``qhpc admin token create`` prints the new token once, on standard output only.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import click

from ..errors import JobCancelledError, JobFailedError, QhpcError

CONFIG_HELP = "The site configuration file (default: /etc/qhpc/site.toml and the user's, or $QHPC_CONFIG)."


def _settings(config: str | None) -> Any:
    from ..config import load_settings

    return load_settings(config)


def _when(value: str | None, option: str) -> float | None:
    """Seconds since the epoch from a number of seconds or an ISO date/time (UTC unless it says)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither seconds since the epoch nor an ISO date", param_hint=option) \
            from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment.timestamp()


def _stamp(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


# -- serve ------------------------------------------------------------------------------------------


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help=CONFIG_HELP)
@click.option("--host", default=None, help="Address to listen on (default: [server] host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: [server] port).")
def serve(config_path: str | None, host: str | None, port: int | None) -> None:
    """Run the access server: the REST API, its job store and the executor that runs the jobs."""
    if config_path is not None:
        config_path = os.path.abspath(config_path)
        if not os.path.exists(config_path):
            raise QhpcError(f"{config_path}: configuration file not found")
        os.environ["QHPC_CONFIG"] = config_path  # plugins (remote peers) and the executor read the same file
    settings = _settings(config_path)
    from .app import serve as run_server

    run_server(settings, config_path, host=host, port=port)


# -- admin ----------------------------------------------------------------------------------------


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help=CONFIG_HELP)
@click.pass_context
def admin(ctx: click.Context, config_path: str | None) -> None:
    """Administer the server's store: users, tokens, accounting, schema (run on the server's host).
    Every command first brings the database schema up to date."""
    ctx.obj = config_path


def _store(ctx: click.Context) -> Any:
    from ..store import Store

    settings = _settings(ctx.obj)
    return Store(settings.service.server.database)


@admin.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database schema to the newest version and print it."""
    from ..store import Database, redacted
    from ..store.migrate import upgrade

    settings = _settings(ctx.obj)
    db = Database(settings.service.server.database)
    try:
        before, after = upgrade(db)
    finally:
        db.dispose()
    where = redacted(str(db.url))
    click.echo(f"{where}: schema version {after}" + ("" if before == after else f" (was {before or 'empty'})"))


@admin.group()
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="An administrator (accounting, metrics).")
@click.pass_context
def user_add(ctx: click.Context, name: str, is_admin: bool) -> None:
    """Add a user NAME."""
    with _store(ctx) as store:
        store.users.add(name, admin=is_admin)
    click.echo(f"user {name} added" + (" (administrator)" if is_admin else ""))


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List users."""
    with _store(ctx) as store:
        users = store.users.all()
    if as_json:
        click.echo(json.dumps(users, indent=2))
        return
    for u in users:
        flags = ", ".join(f for f, on in (("admin", u["is_admin"]), ("disabled", u["disabled"])) if on)
        click.echo(f"{u['name']:<24} {u['tokens']} active token(s){'  [' + flags + ']' if flags else ''}")


@user.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx: click.Context, name: str) -> None:
    """Disable NAME: its tokens stop working (within [server] auth_cache_seconds)."""
    with _store(ctx) as store:
        store.users.set_disabled(name, True)
    click.echo(f"user {name} disabled")


@admin.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--expires", type=click.FloatRange(min=0, min_open=True), default=None, metavar="DAYS",
              help="Days until the token expires (default: never).")
@click.pass_context
def token_create(ctx: click.Context, name: str, expires: float | None) -> None:
    """Create a token for user NAME. It is printed once, on standard output; only its hash is kept."""
    with _store(ctx) as store:
        token_id, secret = store.users.create_token(name, expires_days=expires)
    click.echo(f"token {token_id} for {name}" + (f", expires in {expires:g} days" if expires else "")
               + " (shown once; store it in a file only its owner can read):", err=True)
    click.echo(secret)


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke token ID (it stops working within [server] auth_cache_seconds)."""
    with _store(ctx) as store:
        store.users.revoke_token(token_id)
    click.echo(f"token {token_id} revoked")


@token.command("list")
@click.option("--user", "name", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def token_list(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """List tokens (ids, owners, expiry; never the tokens themselves)."""
    with _store(ctx) as store:
        tokens = store.users.tokens(name)
    if as_json:
        click.echo(json.dumps(tokens, indent=2))
        return
    now = time.time()
    for t in tokens:
        state = ("revoked" if t["revoked_at"] else
                 "expired" if t["expires_at"] is not None and t["expires_at"] <= now else "active")
        click.echo(f"{t['id']}  {t['user']:<20} {state:<8} created {_stamp(t['created_at'])}  "
                   f"expires {_stamp(t['expires_at']) if t['expires_at'] else 'never'}")


@admin.command()
@click.option("--since", default=None, help="Seconds since the epoch, or an ISO date (UTC).")
@click.option("--until", default=None, help="Seconds since the epoch, or an ISO date (UTC).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def accounting(ctx: click.Context, since: str | None, until: str | None, as_json: bool) -> None:
    """Seconds of QPU and emulator time per user and backend."""
    with _store(ctx) as store:
        usage = store.accounting.usage(_when(since, "--since"), _when(until, "--until"))
    if as_json:
        click.echo(json.dumps(usage, indent=2))
        return
    if not usage:
        click.echo("no usage recorded")
    for row in usage:
        click.echo(f"{row['user']:<20} {row['backend']:<32} {row['device']:<9} {row['seconds']:>12.3f} s "
                   f"{row['runs']:>7} run(s)")


# -- client commands ------------------------------------------------------------------------------

SERVER_HELP = "The server's URL (default: $QHPC_SERVER or [client] url); the token comes from $QHPC_TOKEN or " \
              "[client] token_file."


def _client(server: str | None) -> Any:
    from ..client import Client

    return Client(server)


@click.command()
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--status", "statuses", multiple=True, help="Only jobs in this state (repeatable).")
@click.option("--backend", "backends", multiple=True, help="Only jobs on this backend (repeatable).")
@click.option("--since", default=None, help="Created at or after (seconds since the epoch, or an ISO date).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
def jobs(server: str | None, statuses: Sequence[str], backends: Sequence[str], since: str | None, limit: int,
         as_json: bool) -> None:
    """Your jobs on a server, newest first."""
    with _client(server) as client:
        found = client.jobs(status=list(statuses), backend=list(backends), since=_when(since, "--since"), limit=limit)
    if as_json:
        click.echo(json.dumps([j.info for j in found], indent=2))
        return
    if not found:
        click.echo("no jobs")
    for j in found:
        info = j.info
        state = info["status"] + (f" ({info['substate']})" if info.get("substate") else "")
        click.echo(f"{info['id']}  {state:<22} {info['backend']:<28} {info['shots']:>8} shots  "
                   f"{_stamp(info['created_at'])}" + (f"  {info['error']}" if info.get("error") else ""))


@click.command()
@click.argument("job_id", metavar="ID")
@click.option("--server", default=None, help=SERVER_HELP)
@click.option("--events", is_flag=True, help="Also show the job's event log.")
@click.option("--cancel", is_flag=True, help="Cancel the job.")
@click.option("--wait", "wait_for", is_flag=True, help="Wait for the job to finish and show its result.")
@click.option("--json", "as_json", is_flag=True)
def job(job_id: str, server: str | None, events: bool, cancel: bool, wait_for: bool, as_json: bool) -> None:
    """One job on a server: its state, optionally its events and result; or cancel it."""
    with _client(server) as client:
        remote = client.job(job_id)
        if cancel:
            cancelled = remote.cancel()
            click.echo(f"job {job_id} " + ("cancelled" if cancelled else f"is {remote.info['status']} already"))
            return
        result = None
        if wait_for or remote.info["status"] == "DONE":
            try:
                result = remote.result()
            except (JobFailedError, JobCancelledError):
                remote.refresh()
        log = [e if isinstance(e, dict) else {**e.to_dict(), "kind": str(e.kind)} for e in remote.events] if events \
            else None
    if as_json:
        doc: dict[str, Any] = {"job": remote.info}
        if result is not None:
            doc["result"] = result.to_dict()
        if log is not None:
            doc["events"] = log
        click.echo(json.dumps(doc, indent=2))
        return
    info = remote.info
    click.echo(f"job {info['id']}: {info['status']}" + (f" ({info['substate']})" if info.get("substate") else "")
               + f" on {info['backend']}, {info['shots']} shots, attempt {info['attempt']}")
    if info.get("error"):
        click.echo(f"  {info['error']}")
    for event in log or []:
        extra = f" {event['stage']} {event['seconds'] * 1000:.2f} ms" if event.get("stage") else ""
        click.echo(f"  {_stamp(event['time'])}.{int(event['time'] % 1 * 1000):03d}  {event['kind']}{extra}"
                   + (f"  {event['detail']}" if event.get("detail") else ""))
    if result is not None:
        from ..cli import _print_result

        _print_result(f"job {info['id']}", result, 0.0, 16)


#: Options of ``qhpc run`` that act on the local integrator and cannot travel to a server.
LOCAL_ONLY = {"compiler": "--compiler", "noise": "--noise", "qaoa_depth": "--qaoa-depth"}


def run_remote(server: str | None, program: str, *, backend: str, shots: int, seed: int | None,
               parameters: dict[str, float], memory: bool, time_limit: float | None, as_json: bool,
               top: int, given: dict[str, Any] | None = None) -> None:
    """``qhpc run FILE --server URL``: submit to the server, wait, print as a local run prints."""
    local = [flag for key, flag in LOCAL_ONLY.items() if (given or {}).get(key)]
    if local:
        raise click.UsageError(f"{', '.join(local)} cannot be used with --server (the server compiles and runs)")
    from .. import get_integrator
    from ..cli import _print_result
    from ..programs import load_program

    start = time.perf_counter()
    obj, fmt = load_program(get_integrator(), program)
    load_seconds = time.perf_counter() - start
    with _client(server) as client:
        remote = client.submit(obj, backend=backend, shots=shots, seed=seed, memory=memory,
                               parameters=parameters or None, time_limit=time_limit, source_format=fmt)
        click.echo(f"job {remote.id} submitted to {client.url}", err=True)
        result = remote.result()
    if as_json:
        doc = result.to_dict()
        doc["program"] = program
        doc["server"] = client.url
        print(json.dumps(doc, indent=2))
        return
    _print_result(program, result, load_seconds, top)
    sys.stdout.flush()
