"""The transparency register: what each organisation holds about people, why, on which lawful basis, for how
long and with whom it is shared, generated from the personal-data registry, the organisation's enabled
components, its retention schedule and its data-sharing agreements (never hand-written); and the steward's
record of processing activities for the whole place (UK GDPR Article 30). Keyword-only, tenant explicit.
"""
import html
import uuid

import sqlalchemy as sa
from civic.core import privacy, problems
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.tenancy import Tenant, tenant_by_slug, tenant_context
from civic.privacy import retention
from civic.privacy.page import STYLE
from flask import current_app

LAWFUL_BASES = {"consent": "Consent (Article 6(1)(a))", "contract": "A contract with the person (Article 6(1)(b))",
                "legal_obligation": "A legal obligation (Article 6(1)(c))",
                "vital_interests": "To protect someone's life (Article 6(1)(d))",
                "public_task": "A task in the public interest or official authority (Article 6(1)(e))",
                "legitimate_interests": "Legitimate interests (Article 6(1)(f))"}
# What the platform itself does to keep every organisation's personal data safe (Article 32), as built.
SECURITY_MEASURES = (
    "Every organisation's records are kept apart: each query is filtered to one organisation, and another "
    "organisation's record answers as if it did not exist.",
    "Access by named staff with roles (viewer, caseworker, admin) and by apps with limited scopes; secrets "
    "and tokens are stored only as hashes.",
    "Subject access requests are encrypted at rest; opt-outs keep only a keyed hash of the address.",
    "Every read and change of personal data is in an audit log that holds ids, never the values.",
    "Personal fields are cleared on a retention schedule, and each run is recorded.",
)


def _component(entry: privacy.PersonalData, tenant_id: uuid.UUID, own: dict[str, int]) -> dict:
    days = own.get(entry.data_class, entry.retention_days) if entry.expire is not None else entry.retention_days
    return {"component": entry.component, "purpose": entry.purpose, "lawful_basis": entry.lawful_basis,
            "lawful_basis_text": LAWFUL_BASES.get(entry.lawful_basis, entry.lawful_basis),
            "categories_of_people": list(entry.categories_of_people),
            "categories_of_data": list(entry.categories_of_data), "fields": list(entry.fields),
            "retention": {"days": days, "from": entry.clock, "applied": entry.expire is not None},
            "shared_with": entry.shared(tenant_id=tenant_id) if entry.shared is not None else []}


def _open_tenant(slug: str) -> Tenant:
    tenant = tenant_by_slug(slug)
    if tenant is None or not tenant.active or not tenant.has_component("privacy"):
        raise not_found("organisation")
    return tenant


def register(*, slug: str) -> dict:
    """One organisation's register, for anyone: only its enabled components."""
    tenant = _open_tenant(slug)
    with tenant_context(tenant.id):
        own = retention.periods(tenant_id=tenant.id)
        entries = [e for e in privacy.registry(current_app) if tenant.has_component(e.component)]
        return {"organisation": {"name": tenant.name, "slug": tenant.slug,
                                 "contact": (tenant.metadata_ or {}).get("privacy_contact")},
                "generated_at": utcnow(), "components": [_component(e, tenant.id, own) for e in entries]}


def _text(value) -> str:
    return html.escape("" if value is None else str(value))


def _list(values) -> str:
    return "<ul class=\"govuk-list govuk-list--bullet\">" + "".join(f"<li>{_text(v)}</li>" for v in values) + "</ul>" \
        if values else "<p>None.</p>"


def page(*, slug: str) -> str:
    """The same register as a page (every value escaped, no script)."""
    found = register(slug=slug)
    name = _text(found["organisation"]["name"])
    parts = [f"<h1>How {name} uses your personal data</h1>",
             f"<p>This page is made from what the platform holds for {name}, as it is today "
             f"({_text(found['generated_at'].date().isoformat())}).</p>"]
    if found["organisation"]["contact"]:
        parts.append(f"<p>To ask about your data, contact {_text(found['organisation']['contact'])}.</p>")
    for c in found["components"]:
        retained = c["retention"]
        kept = (f"{_text(retained['days'])} days from {_text(retained['from'])}" if retained["from"]
                else f"{_text(retained['days'])} days" if retained["days"] else "As long as it is needed")
        shares = [f"{s['with']} ({s['title']}): {', '.join(s['fields'])}; kept {s['retention_days']} days"
                  for s in c["shared_with"]]
        parts += [f"<h2>{_text(c['component'].capitalize())}</h2>",
                  "<table><tbody>",
                  f"<tr><th scope=\"row\">Why we hold it</th><td>{_text(c['purpose'])}</td></tr>",
                  f"<tr><th scope=\"row\">Lawful basis</th><td>{_text(c['lawful_basis_text'])}</td></tr>",
                  f"<tr><th scope=\"row\">About whom</th><td>{_list(c['categories_of_people'])}</td></tr>",
                  f"<tr><th scope=\"row\">What</th><td>{_list(c['categories_of_data'])}</td></tr>",
                  f"<tr><th scope=\"row\">How long</th><td>{kept}</td></tr>",
                  f"<tr><th scope=\"row\">Shared with</th><td>{_list(shares)}</td></tr>",
                  "</tbody></table>"]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Privacy: {name}</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


def processing_record(*, principal) -> dict:
    """The place's record of processing activities (Article 30): per activity (a component) its purposes,
    basis, categories, recipients, transfers, retention and the security measures; and each organisation
    (a controller) with its contact, components, own retention periods and agreements."""
    if principal.components is not None and "privacy" not in principal.components:  # the steward's own organisation runs the privacy component
        raise problems.COMPONENT_DISABLED("The privacy component is not enabled for your organisation.")
    entries = privacy.registry(current_app)
    controllers = []
    for tenant in session.scalars(sa.select(Tenant).order_by(Tenant.slug)):
        with tenant_context(tenant.id):
            own = retention.periods(tenant_id=tenant.id)
            held = [_component(e, tenant.id, own) for e in entries if tenant.has_component(e.component)]
        controllers.append({"name": tenant.name, "slug": tenant.slug, "status": tenant.status,
                            "contact": (tenant.metadata_ or {}).get("privacy_contact"),
                            "components": [c["component"] for c in held],
                            "retention": {c["component"]: c["retention"]["days"] for c in held},
                            "recipients": [s for c in held for s in c["shared_with"]]})
    activities = [{"component": e.component, "purposes": [e.purpose], "lawful_basis": e.lawful_basis,
                   "categories_of_people": list(e.categories_of_people),
                   "categories_of_data": list(e.categories_of_data), "fields": list(e.fields),
                   "recipients": "The organisations named in each controller's data-sharing agreements"
                   if e.shared is not None else "None: used only by the organisation that holds it",
                   "transfers": [], "retention": {"default_days": e.retention_days, "from": e.clock},
                   "security_measures": list(SECURITY_MEASURES)} for e in entries]
    return {"generated_at": utcnow(), "activities": activities, "controllers": controllers}
