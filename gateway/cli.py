"""`civic tenants|clients|users ...`: the steward's command line."""
import json
import sys

import click


def _run(fn):
    """Run fn inside an app context and one unit of work; print problems plainly."""
    from civic.app import create_app
    from civic.core.db import unit_of_work
    from civic.core.errors import Problem
    from civic.core.tenancy import place_wide

    app = create_app()
    with app.app_context():
        from flask import g

        g.civic_actor = "cli"
        try:
            with place_wide("platform.operator"), unit_of_work():
                return fn()
        except Problem as problem:
            click.echo(f"error: {problem.detail} ({problem.code})", err=True)
            sys.exit(2)


def _emit(data, as_json: bool, lines) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:
            click.echo(line)


def _tenant_dict(t) -> dict:
    return {"id": str(t.id), "slug": t.slug, "name": t.name, "kind": t.kind, "status": t.status,
            "components": t.components}


def _client_dict(c) -> dict:
    return {"client_id": c.client_id, "tenant": c.tenant, "name": c.name, "scopes": list(c.scopes),
            "sandbox": c.sandbox, "confidential": c.confidential, "status": c.status,
            "redirect_uris": list(c.redirect_uris)}


def register(main: click.Group) -> None:
    @main.group(help="Organisations on the platform.")
    def tenants():
        pass

    @tenants.command("create")
    @click.option("--slug", required=True)
    @click.option("--name", required=True)
    # Literal choices (TENANT_KINDS, ROLES): importing the models here would make `civic --help` load Flask.
    @click.option("--kind", default="other", type=click.Choice(["council", "nhs", "housing", "voluntary", "other"]))
    @click.option("--json", "as_json", is_flag=True)
    def tenants_create(slug, name, kind, as_json):
        from civic.gateway import schemas, service

        errors = schemas.TenantSchema().validate({"slug": slug, "name": name, "kind": kind})
        if errors:
            raise click.UsageError(json.dumps(errors))
        data = _run(lambda: _tenant_dict(service.create_tenant(slug=slug, name=name, kind=kind)))
        _emit(data, as_json, [f"created tenant {data['slug']} ({data['id']})"])

    @tenants.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def tenants_list(as_json):
        from civic.core.db import session
        from civic.core.tenancy import Tenant
        from civic.gateway import service

        data = _run(lambda: [_tenant_dict(t) for t in session.scalars(service.list_tenants().order_by(Tenant.slug))])
        _emit(data, as_json, [f"{t['slug']:24} {t['status']:10} {t['kind']:10} {t['name']}" for t in data])

    def _set_status(slug, status):
        from civic.gateway import service

        data = _run(lambda: _tenant_dict(service.update_tenant(tenant_ref=slug, status=status)))
        click.echo(f"tenant {data['slug']} is {data['status']}")

    @tenants.command("suspend")
    @click.argument("slug")
    def tenants_suspend(slug):
        _set_status(slug, "suspended")

    @tenants.command("reactivate")
    @click.argument("slug")
    def tenants_reactivate(slug):
        _set_status(slug, "active")

    @main.group(help="API clients of organisations.")
    def clients():
        pass

    @clients.command("create")
    @click.option("--tenant", required=True, help="The organisation's slug.")
    @click.option("--name", required=True)
    @click.option("--scopes", required=True, help='Space-separated, e.g. "booking:read booking:write".')
    @click.option("--sandbox", is_flag=True, help="Payments and messages are simulated, never real.")
    @click.option("--with-api-key", is_flag=True, help="Also issue an API key (Open311).")
    @click.option("--redirect-uri", multiple=True, help="Exact redirect URI (repeatable).")
    @click.option("--public", is_flag=True, help="A public client (no secret; PKCE only).")
    @click.option("--introspect", is_flag=True, help="May call /oauth/introspect.")
    @click.option("--json", "as_json", is_flag=True)
    def clients_create(tenant, name, scopes, sandbox, with_api_key, redirect_uri, public, introspect, as_json):
        from civic.gateway import service

        def create():
            t = service.get_tenant(tenant_ref=tenant)
            client, shown = service.create_client(tenant_id=t.id, name=name, scopes=scopes.split(),
                                                  confidential=not public, redirect_uris=list(redirect_uri),
                                                  sandbox=sandbox, with_api_key=with_api_key,
                                                  can_introspect=introspect)
            return {**_client_dict(client), **shown}

        data = _run(create)
        _emit(data, as_json, [f"{k}: {v}" for k, v in data.items()] + ["Store the secret now: it is not shown again."])

    @clients.command("list")
    @click.option("--tenant", default=None)
    @click.option("--json", "as_json", is_flag=True)
    def clients_list(tenant, as_json):
        from civic.core.db import session
        from civic.gateway import service

        def rows():
            tenant_id = service.get_tenant(tenant_ref=tenant).id if tenant else None
            return [_client_dict(c) for c in session.scalars(service.list_clients(tenant_id=tenant_id))]

        data = _run(rows)
        _emit(data, as_json, [f"{c['client_id']:28} {c['tenant']:20} {c['status']:8} {' '.join(c['scopes'])}" for c in data])

    @clients.command("rotate")
    @click.argument("client_id")
    @click.option("--grace-seconds", type=int, default=None, help="How long the old secret still works (default 24 h).")
    @click.option("--json", "as_json", is_flag=True)
    def clients_rotate(client_id, grace_seconds, as_json):
        from civic.gateway import service

        def rotate():
            client = service.get_client(client_ref=client_id, lock=True)
            return {"client_id": client.client_id,
                    "client_secret": service.rotate_client_secret(client=client, grace_seconds=grace_seconds),
                    "previous_secret_expires_at": client.previous_secret_expires_at}

        data = _run(rotate)
        _emit(data, as_json, [f"{k}: {v}" for k, v in data.items()])

    @clients.command("revoke")
    @click.argument("client_id")
    def clients_revoke(client_id):
        from civic.gateway import service

        _run(lambda: service.revoke_client(client=service.get_client(client_ref=client_id, lock=True)))
        click.echo(f"client {client_id} revoked; its tokens no longer work")

    @main.group(help="Staff users who sign in to staff-facing apps.")
    def users():
        pass

    @users.command("create")
    @click.option("--tenant", required=True)
    @click.option("--email", required=True)
    @click.option("--role", required=True, type=click.Choice(["tenant_admin", "caseworker", "viewer"]))
    @click.option("--name", default=None)
    @click.option("--json", "as_json", is_flag=True)
    def users_create(tenant, email, role, name, as_json):
        from civic.gateway import service

        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")

        def create():
            user = service.create_user(tenant_id=service.get_tenant(tenant_ref=tenant).id, email=email,
                                       role=role, password=password, name=name)
            return {"id": str(user.id), "tenant": tenant, "email": user.email, "role": user.role}

        data = _run(create)
        _emit(data, as_json, [f"created {data['role']} {data['email']} in {tenant}"])
