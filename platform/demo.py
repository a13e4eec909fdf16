"""`civic demo`: a fictional place with four organisations, each with a client (idempotent).

Demo credentials are fixed and public (they are in the README), so the demo
refuses to run in production. The organisations' clients are sandbox clients, and the
components' demo hooks run in the sandbox world: they work on test records only. The
steward's client is live: a sandbox client is never the steward.
"""
from flask import current_app

from civic.core.db import unit_of_work
from civic.core.errors import Problem
from civic.core.tenancy import in_world, place_wide, tenant_by_slug
from civic.gateway import service

PLACE = [
    ("borough-council", "Riverside Borough Council", "council",
     ["booking:read", "booking:write", "reporting:read", "reporting:write", "casework:read", "casework:write",
      "payments:read", "payments:write", "notify:read", "notify:write", "flows:read", "flows:write",
      "privacy:read", "privacy:write", "clients:manage"]),
    ("food-bank", "Riverside Food Bank", "voluntary", ["booking:read", "booking:write", "reporting:read", "reporting:write"]),
    ("community-health", "Riverside Community Health Service", "nhs",
     ["booking:read", "booking:write", "casework:read", "casework:write", "notify:read", "notify:write"]),
    ("riverside-homes", "Riverside Homes Housing Association", "housing",
     ["reporting:read", "reporting:write", "casework:read", "casework:write"]),
]
STEWARD = ("platform-steward", "Riverside Platform Steward", "council", ["platform:admin"])


def seed() -> dict:
    """Create the demo place if missing; return every demo tenant and its credentials."""
    if current_app.config["ENV"] == "production":
        raise RuntimeError("the demo place has public credentials: it is never seeded in production")
    result = []
    with place_wide("platform.operator"), unit_of_work():
        for slug, name, kind, scopes in [*PLACE, STEWARD]:
            tenant = tenant_by_slug(slug) or service.create_tenant(slug=slug, name=name, kind=kind)
            client_id, secret = f"demo-{slug}", f"demo-{slug}-secret"
            try:
                client = service.get_client(client_ref=client_id)
            except Problem:
                client, _ = service.create_client(tenant_id=tenant.id, name=f"{name} demo app", scopes=[
                    s for s in scopes if s in service.KNOWN_SCOPES],  # components not built yet have none
                                                  client_id=client_id, secret=secret, can_introspect=True,
                                                  sandbox=slug != STEWARD[0])
            result.append({"slug": slug, "name": name, "kind": kind, "clients": [
                {"client_id": client.client_id, "client_secret": secret, "scopes": list(client.scopes),
                 "sandbox": client.sandbox}]})
        # The demo clients are sandboxed, so what is seeded for them to use is in the sandbox world; a hook
        # seeding the place's public (live) data says so itself (see civic.reporting.demo).
        with in_world(True):
            for hook in current_app.extensions.get("civic.demo_hooks", []):
                hook({t["slug"]: tenant_by_slug(t["slug"]).id for t in result})
    return {"tenants": result}
