"""The citizen privacy page's logic: prove control of an email address or phone number with a one-time code,
then see, download, opt out of and ask about what every organisation on the platform holds on it.

Keyword-only, flush, never commit (the page's views answer HTTP). The person belongs to no one organisation,
so the code and the session are place-wide rows (`CitizenCode`); everything the person sees is found
organisation by organisation, in the live world only (a sandbox's people are not real), through the
core's personal-data registry, as a staff subject search finds it.

- The code is six random digits, sent through the steward's Notify service (`PRIVACY_CITIZEN_SENDER`)
  with `notify.send` as secret personalisation (encrypted, cleared once Notify has it); kept here as a
  keyed hash only. It works for `PRIVACY_CITIZEN_CODE_MINUTES` and five tries (each try is spent by an
  atomic update before the code is compared, in constant time).
- At most three codes per contact detail and ten per network address in fifteen minutes.
- Whether anything is held is shown only after the code: asking for one answers the same for everyone.
- The session token is random (256 bits), kept as a keyed hash, for `PRIVACY_CITIZEN_SESSION_MINUTES`.
- What the person sees or does is in each organisation's audit log, under a pseudonymous actor.
"""
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app

from civic.core import actions, audit, caching, contact, crypto, privacy
from civic.core.auth import Principal
from civic.core.db import session, utcnow
from civic.core.errors import Problem
from civic.core.privacy import Identifiers
from civic.core.tenancy import Tenant, in_world, tenant_context
from civic.privacy import service
from civic.privacy.models import CitizenCode

SUBKEY = "privacy-citizen"
CODE_TRIES = 5
WINDOW = dt.timedelta(minutes=15)
CODES_PER_CONTACT, CODES_PER_ADDRESS = 3, 10
PURPOSE = "privacy_code"
# Asked of an organisation on the person's behalf: a correction or an erasure, in their words.
ASKS = {"rectification": "correct", "erasure": "erase"}
DETAILS_MAX = 2000


class CannotSend(Exception):
    """No code can be sent now: the page is not set up, or the steward's Notify service refused."""


class TooMany(Exception):
    """Too many codes asked for this contact detail or from this address lately."""


def _keyed(text: str) -> str:
    return hmac.new(crypto.subkeys(SUBKEY)[0], text.encode(), hashlib.sha256).hexdigest()


def read_contact(text: str) -> tuple[str, str]:
    """("email" or "phone", the normalised value); raises contact.InvalidContact with what to fix."""
    text = (text or "").strip()
    if not text:
        raise contact.InvalidContact("Enter your email address or mobile phone number.")
    if len(text) > 320:
        raise contact.InvalidContact("That is too long for an email address or phone number.")
    if "@" in text:
        return "email", contact.email(text)
    return "phone", contact.phone(text)


def _sender() -> Tenant | None:
    slug = current_app.config["PRIVACY_CITIZEN_SENDER"]
    tenant = session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).first() if slug else None
    return tenant if tenant is not None and tenant.active else None


def start(*, text: str, address: str) -> CitizenCode:
    """Send a one-time code to the contact detail; the row that will check it."""
    kind, value = read_contact(text)
    now = utcnow()
    contact_hash, address_hash = _keyed(f"contact:{value}"), _keyed(f"address:{address}")
    recent = sa.select(sa.func.count()).select_from(CitizenCode).where(CitizenCode.created_at > now - WINDOW)
    if (session.scalar(recent.where(CitizenCode.contact_hash == contact_hash)) >= CODES_PER_CONTACT
            or session.scalar(recent.where(CitizenCode.address_hash == address_hash)) >= CODES_PER_ADDRESS):
        raise TooMany()
    sender = _sender()
    if sender is None:
        raise CannotSend("No organisation is set to send the codes (PRIVACY_CITIZEN_SENDER).")
    code = f"{secrets.randbelow(10 ** 6):06d}"
    row = CitizenCode(id=uuid.uuid4(), kind=kind, contact_hash=contact_hash, contact_encrypted=crypto.encrypt(value),
                      address_hash=address_hash, attempts=0, created_at=now,
                      code_expires_at=now + dt.timedelta(minutes=current_app.config["PRIVACY_CITIZEN_CODE_MINUTES"]))
    row.code_hash = _keyed(f"code:{row.id}:{code}")
    session.add(row)
    session.flush()
    settings = current_app.config
    data = {"template": settings["PRIVACY_CITIZEN_EMAIL_TEMPLATE" if kind == "email" else "PRIVACY_CITIZEN_SMS_TEMPLATE"],
            "email_address" if kind == "email" else "phone_number": value, "secret_personalisation": {"code": code},
            "purpose": PURPOSE, "essential": True}
    try:
        with in_world(False):
            actions.run("notify.send", tenant_id=sender.id, data=data)
    except (actions.UnknownAction, Problem, ma.ValidationError) as exc:
        raise CannotSend(f"The steward's Notify service did not take the code: {exc}") from None
    return row


def _open_code(code_id) -> CitizenCode | None:
    try:
        row = session.get(CitizenCode, uuid.UUID(str(code_id)))
    except ValueError:
        return None
    return row if row is not None and row.session_hash is None and row.code_expires_at > utcnow() else None


def code_sent_to(code_id) -> tuple[str, str] | None:
    """(kind, contact detail) the code was sent to, while it can still be used."""
    row = _open_code(code_id)
    return (row.kind, row.contact) if row is not None and row.attempts < CODE_TRIES else None


def verify(*, code_id, code: str) -> tuple[str | None, int]:
    """(a new session token, tries left): a token when the code is right; else None and the tries left
    (0: the code cannot be used any more)."""
    row = _open_code(code_id)
    if row is None:
        return None, 0
    spent = session.execute(sa.update(CitizenCode).where(CitizenCode.id == row.id, CitizenCode.attempts < CODE_TRIES)
                            .values(attempts=CitizenCode.attempts + 1).execution_options(synchronize_session=False))
    session.refresh(row)
    if spent.rowcount != 1:
        return None, 0
    typed = "".join((code or "").split())[:12]
    if not hmac.compare_digest(_keyed(f"code:{row.id}:{typed}"), row.code_hash):
        return None, CODE_TRIES - row.attempts
    token = secrets.token_urlsafe(32)
    row.session_hash = _keyed(f"session:{token}")
    row.session_expires_at = utcnow() + dt.timedelta(minutes=current_app.config["PRIVACY_CITIZEN_SESSION_MINUTES"])
    session.flush()
    return token, CODE_TRIES - row.attempts


@dataclasses.dataclass(frozen=True)
class Citizen:
    """A person signed in to the page: what they proved they control."""

    kind: str
    value: str
    actor: str  # pseudonymous, for the audit log

    @property
    def who(self) -> Identifiers:
        return Identifiers(email=self.value) if self.kind == "email" else Identifiers(phone=self.value)

    @property
    def recipient(self) -> dict:
        return {"email_address" if self.kind == "email" else "phone_number": self.value}


def signed_in(token: str | None) -> Citizen | None:
    if not token or not isinstance(token, str):
        return None
    row = session.scalars(sa.select(CitizenCode).where(CitizenCode.session_hash == _keyed(f"session:{token}"),
                                                       CitizenCode.session_expires_at > utcnow())).first()
    return Citizen(kind=row.kind, value=row.contact, actor=f"citizen:{row.contact_hash[:16]}") if row else None


def sign_out(token: str | None) -> None:
    if token and isinstance(token, str):
        session.execute(sa.update(CitizenCode).where(CitizenCode.session_hash == _keyed(f"session:{token}"))
                        .values(session_hash=None, session_expires_at=None).execution_options(synchronize_session=False))


def _organisations() -> list[Tenant]:
    return list(session.scalars(sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.name)))


def _enabled(tenant: Tenant) -> list[str]:
    facts = caching.tenant(tenant.id)
    return [e.component for e in privacy.registry(current_app) if facts is not None and facts.has_component(e.component)]


def holders(citizen: Citizen) -> list[dict]:
    """Each organisation holding records linked to the person: its name, slug and what kinds (with counts)."""
    found = []
    for tenant in _organisations():
        with tenant_context(tenant.id), in_world(False):
            matches = [m for m in privacy.search_subject(current_app, tenant_id=tenant.id, who=citizen.who,
                                                         components=_enabled(tenant)) if m.personal]
        if matches:
            kinds: dict[str, int] = {}
            for match in matches:
                kinds[f"{match.component}.{match.type}"] = kinds.get(f"{match.component}.{match.type}", 0) + 1
            found.append({"tenant": tenant, "slug": tenant.slug, "name": tenant.name, "kinds": kinds,
                          "ids": {k: [m.id for m in matches if f"{m.component}.{m.type}" == k] for k in kinds}})
    return found


def _audit(tenant_id, action: str, citizen: Citizen, detail: dict) -> None:
    audit.record(action, tenant_id=tenant_id, subject_type="data_subject", detail=detail, actor=citizen.actor)


def seen(citizen: Citizen, held: list[dict]) -> None:
    for entry in held:
        _audit(entry["tenant"].id, "privacy.citizen_viewed", citizen, {"found": entry["ids"]})


def download(citizen: Citizen) -> str:
    """Everything every organisation holds linked to the person, as JSON (the page's download)."""
    organisations = []
    for entry in holders(citizen):
        tenant = entry["tenant"]
        with tenant_context(tenant.id), in_world(False):
            records = privacy.export_subject(current_app, tenant_id=tenant.id, who=citizen.who,
                                             components=_enabled(tenant))
        _audit(tenant.id, "privacy.citizen_downloaded", citizen, {"found": entry["ids"]})
        organisations.append({"organisation": tenant.name, "slug": tenant.slug, "records": records})
    return json.dumps({"generated_at": utcnow().isoformat(), "contact": {citizen.kind: citizen.value},
                       "organisations": organisations}, indent=2, ensure_ascii=False, default=str)


def opt_out(citizen: Citizen) -> list[str]:
    """No non-essential messages from any organisation to this contact detail (every purpose); the names of
    the organisations that send messages on the platform."""
    channel = "email" if citizen.kind == "email" else "sms"
    told = []
    for tenant in _organisations():
        data = {"channel": channel, "purpose": "*", "source": "citizen", **citizen.recipient}
        try:
            with in_world(False):
                actions.run("notify.opt_out", tenant_id=tenant.id, data=data)
        except actions.UnknownAction:  # this organisation does not send messages on the platform
            continue
        _audit(tenant.id, "privacy.citizen_opted_out", citizen, {"channel": channel, "purpose": "*"})
        told.append(tenant.name)
    return told


def ask(citizen: Citizen, *, kind: str, details: str, slugs: list[str]) -> list[dict]:
    """A request for correction or erasure to each chosen organisation holding the person's data, on the
    statutory clock; [{name, due_on}]. Raises ValueError with what to fix."""
    if kind not in ASKS:
        raise ValueError("Choose whether you want your information corrected or deleted.")
    details = (details or "").strip()
    if kind == "rectification" and not details:
        raise ValueError("Say what is wrong and what it should be.")
    if len(details) > DETAILS_MAX:
        raise ValueError(f"Use at most {DETAILS_MAX} characters.")
    chosen = [entry for entry in holders(citizen) if entry["slug"] in set(slugs)]
    if not chosen:
        raise ValueError("Choose at least one organisation.")
    made = []
    for entry in chosen:
        tenant = entry["tenant"]
        principal = Principal(tenant_id=tenant.id, client_id="citizen-privacy-page", scopes=frozenset())
        with tenant_context(tenant.id), in_world(False):
            request = service.create_request(tenant_id=tenant.id, principal=principal,
                                             subject={citizen.kind: citizen.value}, region="england-and-wales",
                                             kind=kind, details=details or None,
                                             metadata_={"channel": "citizen_privacy_page"})
        _audit(tenant.id, "privacy.citizen_asked", citizen, {"kind": kind, "request_id": str(request.id)})
        made.append({"name": tenant.name, "due_on": request.due_on})
    return made


def clear_old(payload: dict, job) -> None:
    """`privacy.citizen_codes`: delete codes and sessions that ended (an hour after the longest could)."""
    settings = current_app.config
    longest = settings["PRIVACY_CITIZEN_CODE_MINUTES"] + settings["PRIVACY_CITIZEN_SESSION_MINUTES"]
    session.execute(sa.delete(CitizenCode).where(CitizenCode.created_at < utcnow() - dt.timedelta(minutes=longest + 60)))
