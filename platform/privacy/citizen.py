"""The citizen privacy page's logic: prove control of an email address or phone number with a one-time code,
then see, download, opt out of and ask about what every organisation on the platform holds on it.

Keyword-only, flush, never commit (the page's views answer HTTP). The person belongs to no one organisation,
so the code and the session are place-wide rows (`CitizenCode`); everything the person sees is found
organisation by organisation, in the live world only (a sandbox's people are not real), through the
core's personal-data registry, as a staff subject search finds it.

- The code is six random digits, sent through the steward's Notify service (`PRIVACY_CITIZEN_SENDER`)
  with `notify.send` as secret personalisation (encrypted, cleared once Notify has it); kept here as a
  keyed hash only. It works once, for `PRIVACY_CITIZEN_CODE_MINUTES` and five tries (each try is spent by
  an atomic update before the code is compared, in constant time).
- At most three codes per contact detail and ten per network address (an IPv6 address counts as its /64)
  in fifteen minutes, ten wrong tries per contact detail in a day, and `CODES_PER_HOUR` codes an hour for
  the whole place; the counts are taken under a lock (PostgreSQL) or the write lock (SQLite), so parallel
  requests cannot all pass. A code goes to an email address or a UK mobile number only.
- Whether anything is held is shown only after the code: asking for one answers the same for everyone.
- The session token is random (256 bits), kept as a keyed hash, for `PRIVACY_CITIZEN_SESSION_MINUTES`.
- An email address is one person's; a phone number may be a household's. A record is shown and
  downloaded only when every email address it holds is the one proved (so, signed in with a phone number,
  only records holding no email address): the rest are counted, never named, and the person can ask for
  a copy through the organisations (a subject access request) instead.
- What the person sees or does is in each organisation's audit log, under a pseudonymous actor.
"""
import dataclasses
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import uuid

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app

from civic.core import actions, audit, contact, crypto, db, privacy
from civic.core.auth import Principal
from civic.core.db import session, utcnow
from civic.core.errors import Problem
from civic.core.privacy import Identifiers
from civic.core.tenancy import Tenant, in_world, scoped, tenant_context
from civic.privacy import service
from civic.privacy.models import CLOSED, AccessRequest, CitizenCode

SUBKEY = "privacy-citizen"
CODE_TRIES = 5
WINDOW = dt.timedelta(minutes=15)
CODES_PER_CONTACT, CODES_PER_ADDRESS, WRONG_PER_DAY, CODES_PER_HOUR = 3, 10, 10, 1000
PURPOSE = "privacy_code"
# Asked of an organisation on the person's behalf: a copy, a correction or an erasure, in their words.
ASKS = ("access", "rectification", "erasure")
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
    return "phone", contact.uk_mobile(text)


def _address(address: str) -> str:
    """The network address as counted: an IPv6 address as its /64, which one machine usually holds whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _sender() -> Tenant | None:
    slug = current_app.config["PRIVACY_CITIZEN_SENDER"]
    tenant = session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).first() if slug else None
    return tenant if tenant is not None and tenant.active else None


def start(*, text: str, address: str) -> CitizenCode:
    """Send a one-time code to the contact detail; the row that will check it."""
    kind, value = read_contact(text)
    contact_hash, address_hash = _keyed(f"contact:{value}"), _keyed(f"address:{_address(address)}")
    db.lock_keys(contact_hash, address_hash, "privacy-citizen-place")
    now = utcnow()
    since = sa.select(sa.func.count()).select_from(CitizenCode).where
    wrong = sa.select(sa.func.coalesce(sa.func.sum(CitizenCode.attempts), 0)).where(
        CitizenCode.contact_hash == contact_hash, CitizenCode.session_hash.is_(None),
        CitizenCode.created_at > now - dt.timedelta(days=1))
    if (session.scalar(since(CitizenCode.created_at > now - WINDOW, CitizenCode.contact_hash == contact_hash))
            >= CODES_PER_CONTACT
            or session.scalar(since(CitizenCode.created_at > now - WINDOW, CitizenCode.address_hash == address_hash))
            >= CODES_PER_ADDRESS
            or session.scalar(since(CitizenCode.created_at > now - dt.timedelta(hours=1))) >= CODES_PER_HOUR
            or session.scalar(wrong) >= WRONG_PER_DAY):
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
    except Problem as exc:
        if exc.code == "invalid_recipient":  # Notify's own rule for where a message can go
            raise contact.InvalidContact("We cannot send a code there. Check it, or use another email address "
                                         "or mobile number.") from None
        raise CannotSend(f"The steward's Notify service did not take the code: {exc}") from None
    except (actions.UnknownAction, ma.ValidationError) as exc:
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
    row.code_expires_at = utcnow()  # used: it never opens another session
    row.session_hash = _keyed(f"session:{token}")
    row.session_expires_at = utcnow() + dt.timedelta(minutes=current_app.config["PRIVACY_CITIZEN_SESSION_MINUTES"])
    session.flush()
    return token, CODE_TRIES - row.attempts


@dataclasses.dataclass(frozen=True)
class Citizen:
    """A person signed in to the page: what they proved they control."""

    kind: str
    value: str
    key: str  # the keyed hash of the contact detail: pseudonymous

    @property
    def actor(self) -> str:  # for the audit log
        return f"citizen:{self.key[:16]}"

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
    return Citizen(kind=row.kind, value=row.contact, key=row.contact_hash) if row else None


def sign_out(token: str | None) -> None:
    if token and isinstance(token, str):
        session.execute(sa.update(CitizenCode).where(CitizenCode.session_hash == _keyed(f"session:{token}"))
                        .values(session_expires_at=utcnow()).execution_options(synchronize_session=False))


def _organisations() -> list[Tenant]:
    return list(session.scalars(sa.select(Tenant).where(Tenant.status == "active").order_by(Tenant.name)))


def _emails(value, key: str = ""):
    """Every email address a record holds (its fields named for email, however nested)."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _emails(inner, str(name))
    elif isinstance(value, list):
        for inner in value:
            yield from _emails(inner, key)
    elif isinstance(value, str) and "email" in key.lower() and "@" in value:
        yield value.strip().lower()


def _theirs(row: dict, citizen: Citizen) -> bool:
    """The record is the person's to see: every email address it holds is the one they proved."""
    proved = citizen.value if citizen.kind == "email" else None
    return all(email == proved for email in _emails(row))


def holders(citizen: Citizen) -> tuple[list[dict], int]:
    """([each organisation holding the person's records: its name, slug, the records by kind], how many
    other records are linked to the contact detail but hold an email address not proved here)."""
    found, withheld = [], 0
    for tenant in _organisations():
        with tenant_context(tenant.id), in_world(False):
            held = privacy.export_subject(current_app, tenant_id=tenant.id, who=citizen.who,
                                          components=service.enabled_components(tenant.id))
        records: dict[str, list[dict]] = {}
        for component, rows in held.items():
            for row in rows:
                if _theirs(row, citizen):
                    records.setdefault(component, []).append(row)
                else:
                    withheld += 1
        if records:
            kinds: dict[str, int] = {}
            for component, rows in records.items():
                for row in rows:
                    kind = f"{component}.{row.get('type', component)}"
                    kinds[kind] = kinds.get(kind, 0) + 1
            found.append({"tenant": tenant, "slug": tenant.slug, "name": tenant.name, "kinds": kinds,
                          "records": records, "ids": {c: [r.get("id") for r in rows] for c, rows in records.items()}})
    return found, withheld


def _audit(tenant_id, action: str, citizen: Citizen, detail: dict) -> None:
    audit.record(action, tenant_id=tenant_id, subject_type="data_subject", detail=detail, actor=citizen.actor)


def seen(citizen: Citizen, held: list[dict]) -> None:
    for entry in held:
        _audit(entry["tenant"].id, "privacy.citizen_viewed", citizen, {"found": entry["ids"]})


def download(citizen: Citizen) -> str:
    """Everything every organisation holds that is the person's, as JSON (the page's download)."""
    held, withheld = holders(citizen)
    for entry in held:
        _audit(entry["tenant"].id, "privacy.citizen_downloaded", citizen, {"found": entry["ids"]})
    return json.dumps({"generated_at": utcnow().isoformat(), "contact": {citizen.kind: citizen.value},
                       "organisations": [{"organisation": e["name"], "slug": e["slug"], "records": e["records"]}
                                         for e in held],
                       "not_included": withheld}, indent=2, ensure_ascii=False, default=str)


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
    """A request (a copy, a correction or an erasure) to each chosen organisation holding data linked to the
    person, on the statutory clock; [{name, due_on}]; one open request of a kind per organisation (asking
    again names the one open). Raises ValueError with what to fix."""
    if kind not in ASKS:
        raise ValueError("Choose whether you want a copy, a correction or your information deleted.")
    details = (details or "").strip()
    if kind == "rectification" and not details:
        raise ValueError("Say what is wrong and what it should be.")
    if len(details) > DETAILS_MAX:
        raise ValueError(f"Use at most {DETAILS_MAX} characters.")
    chosen = [entry["tenant"] for entry in holders(citizen)[0] if entry["slug"] in set(slugs)]
    if not chosen:
        raise ValueError("Choose at least one organisation.")
    made = []
    for tenant in chosen:
        principal = Principal(tenant_id=tenant.id, client_id="citizen-privacy-page", scopes=frozenset())
        with tenant_context(tenant.id), in_world(False):
            request = _open_request(tenant.id, kind, citizen) or service.create_request(
                tenant_id=tenant.id, principal=principal, subject={citizen.kind: citizen.value},
                region="england-and-wales", kind=kind, details=details or None, citizen_key=citizen.key, metadata_={
                    "channel": "citizen_privacy_page",
                    "identity": f"{'email address' if citizen.kind == 'email' else 'mobile number'} proved by a one-time code"})
        _audit(tenant.id, "privacy.citizen_asked", citizen, {"kind": kind, "request_id": str(request.id)})
        made.append({"name": tenant.name, "due_on": request.due_on})
    return made


def _open_request(tenant_id, kind: str, citizen: Citizen) -> AccessRequest | None:
    """The person's request of this kind from the page still open there, if any."""
    return session.scalars(scoped(AccessRequest, tenant_id).where(
        AccessRequest.citizen_key == citizen.key, AccessRequest.kind == kind,
        AccessRequest.state.not_in(CLOSED))).first()


def requests_of(citizen: Citizen) -> list[dict]:
    """The requests the person made on the page, in every organisation: what, when due, and where it stands."""
    found = []
    for tenant in _organisations():
        with tenant_context(tenant.id), in_world(False):
            for request in session.scalars(scoped(AccessRequest, tenant.id).where(
                    AccessRequest.citizen_key == citizen.key).order_by(AccessRequest.created_at)):
                found.append({"name": tenant.name, "kind": request.kind, "received_on": request.received_on,
                              "due_on": request.due_on, "state": request.state, "closed_on": request.closed_on,
                              "refusal_reason": request.refusal_reason})
    return found


def clear_old() -> None:
    """Delete codes and sessions that ended (an hour after the longest could): in the hourly retention run."""
    settings = current_app.config
    longest = settings["PRIVACY_CITIZEN_CODE_MINUTES"] + settings["PRIVACY_CITIZEN_SESSION_MINUTES"]
    session.execute(sa.delete(CitizenCode).where(CitizenCode.created_at < utcnow() - dt.timedelta(minutes=longest + 60)))
