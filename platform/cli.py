"""The `civic` command. Imports are inside commands so `civic --help` stays fast."""
import json
import os
import sys

import click


def _app():
    from civic.app import create_app

    return create_app()


@click.group(help="Civic Platform: one shared platform for a whole place.")
def main():
    pass


@main.group(help="Database schema.")
def db():
    pass


@db.command("upgrade", help="Bring the database schema up to date (creates it on a new database).")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision):
    from civic.core import migrate

    app = _app()
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(url.removeprefix("sqlite:///")) or ".", exist_ok=True)
    migrate.upgrade(app.extensions["civic.engine"], revision)
    click.echo(f"database is at revision {revision}")


@db.command("revision", help="(Developers) write a part's next migration from its models' changes.")
@click.option("--component", required=True, help="`core` or a component's name: its branch and its tables only.")
@click.option("-m", "--message", required=True)
@click.option("--directory", default=None, help="The migrations folder (default: the installed one).")
def db_revision(component, message, directory):
    from civic.config import ALL_COMPONENTS
    from civic.core import migrate

    if component != migrate.CORE and component not in ALL_COMPONENTS:
        raise click.BadParameter(f"choose core or one of: {', '.join(ALL_COMPONENTS)}", param_hint="--component")
    rev_id = migrate.revision(_app().extensions["civic.engine"], message, component=component,
                              script_location=directory)
    click.echo(f"wrote revision {rev_id} on the {component} branch")


@main.command(help="Serve the platform over HTTP, with background jobs in-process.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="More than one runs gunicorn.")
@click.option("--threads", default=4, show_default=True, type=int)
def serve(host, port, workers, threads):
    from civic import server

    server.run(host=host, port=port, workers=workers, threads=threads)


@main.command(help="Run a standalone job worker (any number may share a PostgreSQL database).")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit.")
def worker(once):
    import signal

    from civic.core.jobs import Worker

    app = _app()
    w = Worker(app)
    if once:
        w.drain()
        return
    signal.signal(signal.SIGTERM, lambda *_: w.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: w.stopping.set())
    w.run_forever()


@main.command(help="Seed a fictional place (idempotent) and print its credentials.")
@click.option("--json", "as_json", is_flag=True)
def demo(as_json):
    from civic.demo import seed

    with _app().app_context():
        result = seed()
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for tenant in result["tenants"]:
        click.echo(f"{tenant['name']} ({tenant['slug']})")
        for client in tenant["clients"]:
            secret = client.get("client_secret") or "(already issued; rotate it to see a new one)"
            click.echo(f"  client_id={client['client_id']}  client_secret={secret}  scopes={' '.join(client['scopes'])}")


@main.group(help="Privacy: erasures kept to be applied again.")
def privacy():
    pass


@privacy.command("reapply-erasures",
                 help="Apply every recorded erasure again (run after restoring a backup); idempotent.")
@click.option("--json", "as_json", is_flag=True)
def privacy_reapply(as_json):
    from flask import g

    from civic.core.db import unit_of_work
    from civic.core.tenancy import place_wide
    from civic.privacy import erasure

    app = _app()
    with app.app_context():
        g.civic_actor = "cli"
        with place_wide("platform.operator"), unit_of_work():
            done = erasure.reapply_all()
    if as_json:
        click.echo(json.dumps(done, indent=2))
        return
    for row in done:
        changed = sum(row["counts"].values())
        click.echo(f"erasure {row['erasure_id']}: {changed} record(s) erased again")
    click.echo(f"{len(done)} erasure(s) applied")


def _register_gateway_commands():
    from civic.gateway.cli import register

    register(main)


_register_gateway_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
