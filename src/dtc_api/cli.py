"""The ``dtc-api`` command."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import orjson

from dtc_api import logs, metrics
from dtc_api.clock import SystemClock
from dtc_api.config import ConfigError, Settings
from dtc_api.core.errors import DomainError
from dtc_api.process import port_free, run_server
from dtc_api.store.db import Database
from dtc_api.store.migrate import upgrade

DEMO_PASSWORD_POLICY = {"DTC_PASSWORD_MIN_LENGTH": "6", "DTC_PASSWORD_REJECT_COMMON": "false"}


def _settings(ctx: click.Context) -> Settings:
    try:
        return Settings.from_env(database_url=ctx.obj["database_url"])
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except DomainError as error:
        _refused(error)


def _refused(error: DomainError) -> NoReturn:
    from dtc_api.shop.imports import describe

    lines = [describe(e) for e in error.errors[:20]]
    more = len(error.errors) - len(lines)
    raise click.ClickException("nothing was written:\n  " + "\n  ".join(lines)
                               + (f"\n  … and {more} more" if more > 0 else "")
                               if len(error.errors) > 1 or error.errors[0].path
                               else str(error)) from None


def _with_db(ctx: click.Context, use_case: Any) -> Any:
    """Run ``use_case(db)`` (one use case) on the migrated database."""
    settings = _settings(ctx)

    async def run() -> Any:
        db = Database(settings.database_url, pool_size=2)
        try:
            await upgrade(db)
            return await use_case(db)
        finally:
            await db.dispose()

    return _run(run())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", metavar="URL",
              help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
                   "(default: $DTC_DATABASE_URL or sqlite:///./dtc-api.db).")
@click.version_option(package_name="dtc-api")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """dtc-api: a storefront GraphQL API for customer accounts, compatible with Centra's DTC API.

    Settings come from DTC_* environment variables; options given here win.
    """
    ctx.obj = {"database_url": database_url}


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url, pool_size=2)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def _demo(settings: Settings) -> Any:
    from dtc_api import demo

    db = Database(settings.database_url, pool_size=2)
    try:
        await upgrade(db)
        return await demo.load(db, SystemClock())
    finally:
        await db.dispose()


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending database migrations, then exit."""
    settings = _settings(ctx)
    _run(_migrate(settings))
    click.echo("database is up to date", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True,
              help="Print the demo client's credentials as JSON.")
@click.pass_context
def demo(ctx: click.Context, as_json: bool) -> None:
    """Load the demo data (idempotent) and print fresh tokens for the API client 'demo'."""
    credentials = _run(_demo(_settings(ctx)))
    if as_json:
        click.echo(orjson.dumps(credentials.as_json()).decode())
    else:
        _print_credentials(credentials)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (one per core is a good start).")
@click.option("--demo", "with_demo", is_flag=True,
              help="Load the demo data and print the demo client's tokens.")
@click.option("--no-worker", is_flag=True,
              help="Do not run the background jobs in this process (run `dtc-api worker`).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, with_demo: bool,
          no_worker: bool) -> None:
    """Migrate the database, then serve the storefront API at /graphql."""
    import uvicorn

    settings = _settings(ctx)
    logs.setup(settings.log_format, settings.log_level)
    refused = port_free(host, port)
    if refused is not None:
        raise click.ClickException(f"cannot listen on {host}:{port}: "
                                   f"{refused.strerror or refused}")
    if with_demo:
        credentials = _run(_demo(settings))
    else:
        _run(_migrate(settings))
    url = f"http://{host}:{port}/graphql"
    click.echo(f"dtc-api serves the storefront API at {url}")
    # Worker processes build their settings from the environment.
    os.environ["DTC_DATABASE_URL"] = settings.database_url
    explorer = settings.explorer
    if with_demo:
        # The explorer (GraphiQL) is on in the demo unless DTC_EXPLORER says otherwise.
        explorer = "DTC_EXPLORER" not in os.environ or settings.explorer
        os.environ["DTC_EXPLORER"] = "true" if explorer else "false"
        _print_credentials(credentials, url, explorer)
        # The documented examples use the password "secret"; outside the demo it would be
        # refused as too short and too common.
        for name, value in DEMO_PASSWORD_POLICY.items():
            if os.environ.setdefault(name, value) == value:
                click.echo(f"demo: {name}={value}")
    elif explorer:
        click.echo(f"explorer: open {url} in a browser")
    sys.stdout.flush()
    os.environ["DTC_RUN_JOBS"] = "true" if settings.run_jobs and not no_worker else "false"
    # Every worker writes its metrics where any of them can read them all for /metrics
    # (unless the operator named that directory).
    metrics_dir = None
    if settings.metrics and not os.environ.get(metrics.MULTIPROC_DIR):
        metrics_dir = metrics.prepare_multiprocess()
    config = uvicorn.Config(
        "dtc_api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="on",
        # dtc-api decides the client address itself (DTC_TRUSTED_PROXIES): uvicorn must not
        # rewrite it from X-Forwarded-For, nor the scheme from X-Forwarded-Proto.
        proxy_headers=False,
        server_header=False,
    )
    try:
        run_server(config)
    finally:
        if metrics_dir is not None:
            metrics.remove_multiprocess(metrics_dir)


def _print_credentials(credentials: Any, url: str = "http://127.0.0.1:8080/graphql",
                       explorer: bool = False) -> None:
    click.echo(f"demo client session token:    {credentials.session_token}")
    click.echo(f"demo client no-session token: {credentials.no_session_token}")
    click.echo(f"demo client shared secret:    {credentials.shared_secret}")
    if explorer:
        # In the fragment, which a browser keeps to itself: the page reads it from there.
        click.echo(f"explorer (open in a browser): {url}#token={credentials.session_token}")
    click.echo("try it (the answer's extensions.token is your shopper session token):")
    click.echo(
        f"  curl -s {url} -H 'content-type: application/json' "
        f"-H 'authorization: Bearer {credentials.session_token}' "
        "-d '{\"query\":\"{ session { country { code name } market { name } "
        "pricelist { currency { code } } } }\"}'"
    )


@main.command()
@click.option("--once", is_flag=True,
              help="Run every job and deliver due mail once, say what each did, then exit "
                   "(status 1 if a job failed).")
@click.option("--json", "as_json", is_flag=True,
              help="With --once: print what each job did as one JSON object.")
@click.pass_context
def worker(ctx: click.Context, once: bool, as_json: bool) -> None:
    """Run the background jobs (purges; mail and notifications as they arrive) without HTTP."""
    from dtc_api.jobs import loop
    from dtc_api.runtime import Runtime

    if as_json and not once:
        raise click.UsageError("--json goes with --once")
    settings = _settings(ctx)
    logs.setup(settings.log_format, settings.log_level)

    async def run() -> loop.Turn | None:
        runtime = Runtime.build(settings, SystemClock())
        try:
            await upgrade(runtime.db)
            if once:
                return await loop.turn(runtime)
            await loop.run_forever(runtime)
            return None
        finally:
            await runtime.db.dispose()

    try:
        done = _run(run())
    except KeyboardInterrupt:
        return
    if done is not None:
        click.echo(orjson.dumps(done.as_json()).decode() if as_json
                   else "\n".join(done.lines()))
        if done.failed:
            ctx.exit(1)


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, destination: Path) -> None:
    """Copy the live SQLite database to DESTINATION, consistently, without stopping writes.

    For PostgreSQL use pg_dump (see the README)."""
    from dtc_api.store.backup import BackupError, backup_sqlite

    settings = _settings(ctx)
    try:
        size = backup_sqlite(settings.database_url, destination)
    except (BackupError, sqlite3.Error, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {destination} ({size:,} bytes, integrity checked)")


@main.command()
def schema() -> None:
    """Print the storefront API's schema (SDL)."""
    from dtc_api.storefront import sdl

    click.echo(sdl())


@main.command()
@click.option("--output", "-o", default="docs/operations.md", show_default=True,
              metavar="PATH", help="Where to write it; - for stdout.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit with status 1 if PATH differs from what would be "
                   "written.")
def docs(output: str, check: bool) -> None:
    """Write the operations reference (Markdown) from both APIs' SDL: every query and
    mutation with its modes, arguments, return type and errors."""
    from dtc_api import reference

    text = reference.render()
    if output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    if check:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{path} is out of date: run `dtc-api docs -o {path}`")
        click.echo(f"{path} is up to date")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")


@main.group()
def clients() -> None:
    """Manage API clients (Centra "plugins") and their tokens."""


@clients.command("create")
@click.option("--name", required=True, help="A unique name for the client.")
@click.option("--frontend-url", metavar="URL",
              help="Base URL of the shop front-end (password-reset links start with it).")
@click.option("--retain-session-after-logout", is_flag=True,
              help="Keep the selection with the session when a customer logs out.")
@click.option("--default-country", metavar="CODE", help="Country of new sessions (ISO 3166).")
@click.option("--default-language", metavar="CODE", help="Language of new sessions.")
@click.option("--allowed-origin", "allowed_origins", metavar="ORIGIN", multiple=True,
              help="A browser origin allowed to call the API besides the frontend URL's, "
                   "e.g. https://shop.example (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as JSON.")
@click.pass_context
def clients_create(ctx: click.Context, name: str, frontend_url: str | None,
                   retain_session_after_logout: bool, default_country: str | None,
                   default_language: str | None, allowed_origins: tuple[str, ...],
                   as_json: bool) -> None:
    """Create an API client and print its tokens (shown only this once)."""
    from dtc_api.access import usecases

    credentials = _with_db(ctx, lambda db: usecases.create_client(
        db, name, SystemClock().now(), frontend_url=frontend_url,
        retain_session_after_logout=retain_session_after_logout,
        default_country_code=default_country.upper() if default_country else None,
        default_language_code=default_language, allowed_origins=list(allowed_origins),
    )).credentials
    if as_json:
        click.echo(orjson.dumps(credentials.as_json()).decode())
    else:
        for key, value in credentials.as_json().items():
            click.echo(f"{key}: {value}")


@clients.command("set-origins")
@click.option("--name", required=True, help="The API client.")
@click.argument("allowed_origins", metavar="[ORIGIN]...", nargs=-1)
@click.pass_context
def clients_set_origins(ctx: click.Context, name: str, allowed_origins: tuple[str, ...]) -> None:
    """Replace the browser origins allowed besides the frontend URL's (none: clear them)."""
    from dtc_api.access import origins, usecases

    change = _with_db(ctx, lambda db: usecases.update_client(
        db, name, allowed_origins=list(allowed_origins)))
    click.echo(" ".join(sorted(origins.of_client(change.client))) or "(no origin allowed)")


@main.group("integration-keys")
def integration_keys_group() -> None:
    """Keys of the back-office API (POST /integration/graphql)."""


@integration_keys_group.command("create")
@click.option("--name", required=True, help="A unique name, e.g. the system that uses it.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="write",
              show_default=True, help="read: queries only; write: queries and mutations.")
@click.option("--json", "as_json", is_flag=True, help='Print {"name", "key"} as JSON.')
@click.pass_context
def integration_keys_create(ctx: click.Context, name: str, scope: str, as_json: bool) -> None:
    """Create a key and print it (shown only this once; only its hash is kept)."""
    from dtc_api.access import usecases

    key = _with_db(ctx, lambda db: usecases.create_integration_key(db, name, scope,
                                                                   SystemClock().now()))
    if as_json:
        click.echo(orjson.dumps({"name": name, "key": key}).decode())
    else:
        click.echo(f"{name} ({scope}): {key}")


@integration_keys_group.command("list")
@click.pass_context
def integration_keys_list(ctx: click.Context) -> None:
    """List the keys (names, scopes, dates; never the keys)."""
    from dtc_api.access import usecases

    for key in _with_db(ctx, usecases.list_integration_keys):
        state = f"revoked {key['revoked_at']:%Y-%m-%d}" if key["revoked_at"] else "active"
        click.echo(f"{key['name']}\t{key['scope']}\tcreated {key['created_at']:%Y-%m-%d}"
                   f"\t{state}")


@integration_keys_group.command("revoke")
@click.argument("name")
@click.pass_context
def integration_keys_revoke(ctx: click.Context, name: str) -> None:
    """Revoke a key: it answers Unauthorized from now on."""
    from dtc_api.access import usecases

    _with_db(ctx, lambda db: usecases.revoke_integration_key(db, name, SystemClock().now()))
    click.echo(f"{name} revoked")


@main.group()
def stock() -> None:
    """Stock levels (the back-office API writes through the same service)."""


@stock.command("set")
@click.argument("item")
@click.argument("quantity", type=int)
@click.option("--warehouse", default="main", show_default=True, help="The warehouse's key.")
@click.pass_context
def stock_set(ctx: click.Context, item: str, quantity: int, warehouse: str) -> None:
    """Set ITEM's stock in a warehouse to QUANTITY; back-in-stock e-mails follow."""
    from dtc_api.shop import usecases

    queued = _with_db(ctx, lambda db: usecases.set_stock(
        db, None, item, warehouse, quantity, SystemClock().now())).notifications_queued
    click.echo(f"{item} in {warehouse}: {quantity}; {queued} back-in-stock e-mails queued")


IMPORT_LIMIT = 20 * 1024 * 1024


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_file(ctx: click.Context, file: Path) -> None:
    """Load catalogue, stock and orders from FILE.json in one transaction (all or nothing).

    Sections: currencies, languages, markets, pricelists, countries, warehouses,
    displayItems, stock, orders — records as in the back-office API's inputs. Progress,
    records per section, goes to stderr (a line rewritten in place on a terminal); the
    records written, to stdout.
    """
    from dtc_api.shop import usecases

    size = file.stat().st_size
    if size > IMPORT_LIMIT:
        raise click.ClickException(
            f"{file} is {size / 1024 / 1024:.0f} MiB; an import may be at most "
            f"{IMPORT_LIMIT // 1024 // 1024} MiB. Split it into smaller files (each one is "
            "loaded in one transaction).")
    try:
        document = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as error:
        raise click.ClickException(f"{file} is not valid JSON: {error}") from None

    from dtc_api.backoffice.imports import coerced
    from dtc_api.terminal import progress_on

    progress = progress_on(sys.stderr)
    try:
        try:
            document = coerced(document, progress)
        except DomainError as refused:
            _refused(refused)
        counts = _with_db(ctx, lambda db: usecases.import_document(
            db, document, SystemClock().now(), progress))
    finally:
        progress.close()
    click.echo(", ".join(f"{section}: {count}" for section, count in counts.items()))


@main.group("newsletter")
def newsletter_group() -> None:
    """Newsletter subscriptions."""


@newsletter_group.command("unsubscribe-link")
@click.argument("email")
@click.option("--client", "client_name", default="demo", show_default=True,
              help="The API client whose frontend URL the link starts with.")
@click.pass_context
def unsubscribe_link(ctx: click.Context, email: str, client_name: str) -> None:
    """Print the signed unsubscribe link of EMAIL, for the shop's mailer."""
    from dtc_api.marketing import usecases

    click.echo(_with_db(ctx, lambda db: usecases.newsletter_unsubscribe_link(
        db, email, client_name, SystemClock().now())))


if __name__ == "__main__":
    main()
