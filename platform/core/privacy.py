"""The personal-data registry.

Each component declares which fields of which models hold personal data, and how to search, export
and erase them for one data subject, named by an `Identifiers` object (every identifier already
normalised by `civic.core.contact`). The privacy component builds subject search and subject access
requests over it; `export_subject` and `erase_subject` are the helpers the components' tests use. Erasure
and rectification (`erase_counts`, `rectify_subject`) go through every registered component, enabled for
the tenant or not, after `holds_subject` (why a component must keep the data now: any reason refuses).
`retention_days` is the default period of the entry's data class (its `component`); an entry with an
`expire` is kept to it, or to the tenant's own period, by the privacy component's retention job: the clock
starts at the moment `clock` names, and `expire(tenant_id=..., before=..., dry_run=...)` clears the personal
fields of every record (both worlds) whose clock started before `before`, returning their ids.

A component that holds no field for an identifier (payments hold no NHS number) returns nothing for it.

A postcode names an address, not a person: a search lists the records it matches (for a person to judge),
but export and erasure follow only the identifiers in `PERSONAL` (email, phone, NHS number, name with date
of birth), so a subject access export never holds a neighbour's records.
"""
import contextlib
import contextvars
import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Mapping

import sqlalchemy as sa

from civic.core import contact

# Each identifier a subject can be searched by, in the order reasons are listed.
IDENTIFIERS = ("email", "phone", "nhs_number", "name_and_date_of_birth", "postcode")
PERSONAL = ("email", "phone", "nhs_number", "name_and_date_of_birth")  # each names one person


def _name(value: str) -> str:
    """A name as compared: surrounding and repeated spaces dropped, case folded."""
    return " ".join(value.split()).casefold()


@dataclasses.dataclass(frozen=True)
class Identifiers:
    """One data subject's identifiers, normalised. Build it with `Identifiers.of(...)`."""

    email: str | None = None
    phone: str | None = None
    nhs_number: str | None = None
    name: str | None = None
    date_of_birth: dt.date | None = None
    postcode: str | None = None

    @classmethod
    def of(cls, *, email=None, phone=None, nhs_number=None, name=None, date_of_birth=None,
           postcode=None) -> "Identifiers":
        """Normalised identifiers; raises `contact.InvalidContact` naming the first one that is not valid."""
        return cls(email=contact.email(email) if email else None,
                   phone=contact.phone(phone) if phone else None,
                   nhs_number=contact.nhs_number(nhs_number) if nhs_number else None,
                   name=_name(name) if name and name.strip() else None, date_of_birth=date_of_birth,
                   postcode=contact.postcode(postcode) if postcode else None)

    @property
    def given(self) -> tuple[str, ...]:
        """The identifiers set (a name counts only with a date of birth, and the other way round)."""
        return tuple(name for name in IDENTIFIERS if self.value(name) is not None)

    def value(self, identifier: str):
        if identifier == "name_and_date_of_birth":
            return (self.name, self.date_of_birth) if self.name and self.date_of_birth else None
        return getattr(self, identifier)

    def as_dict(self) -> dict:
        return {"email": self.email, "phone": self.phone, "nhs_number": self.nhs_number, "name": self.name,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
                "postcode": self.postcode}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Identifiers":
        born = data.get("date_of_birth")
        return cls(**{**data, "date_of_birth": dt.date.fromisoformat(born) if born else None})


@dataclasses.dataclass(frozen=True)
class Match:
    """A record that holds the subject's identifiers: which identifier matched which field (the reasons)."""

    component: str
    type: str
    id: str
    reasons: tuple[tuple[str, str], ...]  # (identifier, field)

    @property
    def personal(self) -> bool:
        """Whether an identifier that names one person matched (else only a postcode did)."""
        return any(identifier in PERSONAL for identifier, _ in self.reasons)


@dataclasses.dataclass(frozen=True)
class PersonalData:
    component: str
    model: type
    fields: tuple[str, ...]
    purpose: str
    # search(tenant_id=..., who=Identifiers) -> list[Match]: the records holding any of them, with reasons;
    # export(tenant_id=..., who=...) -> list[dict]: everything held in those records; erase(...) -> rows changed
    search: Callable[..., list[Match]]
    export: Callable[..., list[dict]]
    erase: Callable[..., int]
    retention_days: int | None = None
    # rectify(tenant_id=..., who=..., to=Identifiers) -> rows changed: each held identifier equal to `who`'s
    # replaced by `to`'s (None: the component holds no identifier it can correct).
    rectify: Callable[..., int] | None = None
    # holds(tenant_id=..., who=...) -> [reason]: why this person's data must not be erased now (None or []:
    # nothing held back). shared_with(...) -> [{"tenant_id", "referral_id"}]: who else received it.
    holds: Callable[..., list[str]] | None = None
    shared_with: Callable[..., list[dict]] | None = None
    # expire(tenant_id=..., before=datetime, dry_run=bool) -> list[str]: the ids cleared (or that would be)
    expire: Callable[..., list[str]] | None = None
    clock: str | None = None  # in plain words, the moment the retention clock starts ("the booking's end")
    # For the transparency register and the record of processing (UK GDPR Articles 13, 14 and 30):
    lawful_basis: str = ""  # Article 6(1): "contract", "legal_obligation", "public_task", "legitimate_interests" ...
    categories_of_people: tuple[str, ...] = ()
    categories_of_data: tuple[str, ...] = ()
    # shared(tenant_id=...) -> list[dict]: the organisations this data goes to (the data-sharing agreements)
    shared: Callable[..., list[dict]] | None = None

    @property
    def data_class(self) -> str:
        return self.component


# --- helpers for a component's search -------------------------------------------------------
def _condition(column, identifier: str, value):
    if identifier == "name_and_date_of_birth":
        name_column, born_column = column
        return sa.and_(sa.func.lower(name_column) == value[0], born_column == value[1])
    return sa.func.lower(column) == value if identifier == "email" else column == value


def conditions(model, who: Identifiers, fields: Mapping[str, str | tuple[str, str] | Iterable], *,
               only: Iterable[str] = IDENTIFIERS):
    """`(identifier, field, condition)` for each identifier given that this model can hold.

    `fields` maps an identifier to the field holding it (`"email": "attendee_email"`), to several, or for
    `name_and_date_of_birth` to a pair (`("subject_name", "subject_date_of_birth")`)."""
    found = []
    for identifier in (name for name in who.given if name in only):
        spec = fields.get(identifier)
        if spec is None:
            continue
        names = [spec] if isinstance(spec, str) or identifier == "name_and_date_of_birth" else list(spec)
        for name in names:
            column = tuple(getattr(model, n) for n in name) if isinstance(name, tuple) else getattr(model, name)
            label = "+".join(name) if isinstance(name, tuple) else name
            found.append((identifier, label, _condition(column, identifier, who.value(identifier))))
    return found


_MADE_BEFORE: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("civic_privacy_made_before",
                                                                                  default=None)


@contextlib.contextmanager
def made_before(moment: dt.datetime):
    """Within the block, `matching` finds only records made before `moment`: re-applying an erasure after a
    restore erases what it erased then, never what the person gave since (they came back and booked again)."""
    token = _MADE_BEFORE.set(moment)
    try:
        yield
    finally:
        _MADE_BEFORE.reset(token)


def matching(query: sa.Select, model, who: Identifiers, fields) -> sa.Select:
    """`query` narrowed to the rows holding any identifier that names the person (for export and erasure)."""
    found = conditions(model, who, fields, only=PERSONAL)
    query = query.where(sa.or_(*(c for _, _, c in found)) if found else sa.false())
    moment = _MADE_BEFORE.get()
    return query if moment is None else query.where(model.created_at < moment)


def matching_every(query: sa.Select, model, who: Identifiers, fields) -> sa.Select:
    """`query` narrowed to the rows of this person only (for rectification): holding an identifier that names
    them, and no identifier of theirs that disagrees (each is theirs or empty). A household phone given with
    an email matches the rows with that email, not another member's rows holding only the phone."""
    found = conditions(model, who, fields, only=PERSONAL)
    if not found:
        return query.where(sa.false())
    agree = [sa.or_(condition, getattr(model, field.split("+")[0]).is_(None)) for _, field, condition in found]
    return query.where(sa.or_(*(c for _, _, c in found)), *agree)


REDACTED = "[removed]"
_GAP = r"[\s\-.()]*"  # what people put between the digits of a number they write out


def _digits(digits: str) -> str:
    return _GAP.join(re.escape(d) for d in digits)


def _mentions(who: Identifiers, names: Iterable[str | None]) -> re.Pattern | None:
    """One pattern for every way free text may name the person: their email, their phone number however spaced
    (international or, for a UK number, national), their NHS number, and each name (whole words, any case)."""
    parts = []
    if who.email:
        parts.append(re.escape(who.email))
    if who.phone:
        digits = who.phone.lstrip("+")
        parts.append(r"(?<!\d)(?:\+|00)?" + _digits(digits) + r"(?!\d)")
        if digits.startswith("44"):
            parts.append(r"(?<!\d)0" + _GAP + _digits(digits[2:]) + r"(?!\d)")
    if who.nhs_number:
        parts.append(r"(?<!\d)" + _digits(who.nhs_number) + r"(?!\d)")
    for name in {" ".join(n.split()) for n in (who.name, *names) if n and len(n.strip()) > 1}:
        parts.append(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in name.split()) + r"(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def redact(text: str | None, who: Identifiers, *names: str | None) -> str | None:
    """`text` with every mention of the person replaced by "[removed]": for free text that an erasure keeps (a
    report's description, a note, a payment's description), so that the record stays and the person goes.
    `names` adds the names a record holds for them (the reporter's name as typed), beside `who.name`."""
    pattern = _mentions(who, names) if text else None
    return pattern.sub(REDACTED, text) if pattern else text


def search_rows(session, query: sa.Select, model, who: Identifiers, fields, *, component: str,
                type: str) -> list[Match]:
    """The matches of `query`'s rows, one query per identifier and field, in the order first found."""
    reasons: dict = {}
    for identifier, field, condition in conditions(model, who, fields):
        for row_id in session.scalars(query.where(condition).with_only_columns(model.id).order_by(model.created_at)):
            reasons.setdefault(row_id, []).append((identifier, field))
    return [Match(component=component, type=type, id=str(row_id), reasons=tuple(why)) for row_id, why in reasons.items()]


def rectify_rows(session, query: sa.Select, model, who: Identifiers, to: Identifiers, fields, *,
                 tenant_id: uuid.UUID, component: str, type: str, name_field: str | None = None) -> int:
    """Write `to`'s identifiers on `query`'s rows that are the person's (`matching_every`):
    each into the field(s) `fields` gives for it; a name into `name_field` too (a record holding a name but
    no date of birth). An identifier `to` does not give stays as it is. Returns the rows changed."""
    values: dict = {}
    for identifier in ("email", "phone", "nhs_number", "postcode"):
        spec, new = fields.get(identifier), getattr(to, identifier)
        if spec and new is not None:
            values.update(dict.fromkeys([spec] if isinstance(spec, str) else spec, new))
    name, born = fields.get("name_and_date_of_birth") or (name_field, None)
    if name and to.name:
        values[name] = to.name
    if born and to.date_of_birth:
        values[born] = to.date_of_birth
    if not values:
        return 0
    ids = list(session.scalars(matching_every(query, model, who, fields).with_only_columns(model.id)))
    if ids:
        from civic.core import audit  # the audit imports the database layer, this registry does not

        audit.personal_data_changed(component=component, subject_type=type, ids=ids, tenant_id=tenant_id)
        session.execute(sa.update(model).where(model.id.in_(ids)).values(values)
                        .execution_options(synchronize_session="fetch"))
    return len(ids)


# --- the registry --------------------------------------------------------------------------
def register(app, entry: PersonalData) -> None:
    app.extensions.setdefault("civic.privacy", []).append(entry)


def registry(app, components: Iterable[str] | None = None) -> list[PersonalData]:
    """Every entry, or only those of `components` (the ones enabled for a tenant)."""
    entries = list(app.extensions.get("civic.privacy", []))
    return entries if components is None else [e for e in entries if e.component in set(components)]


def retained(app, components: Iterable[str] | None = None) -> list[PersonalData]:
    """The entries kept to a retention period (those with an `expire`), of `components` if given."""
    return [e for e in registry(app, components) if e.expire is not None and e.retention_days]


def _who(who: Identifiers | None, email: str | None, phone: str | None) -> Identifiers:
    # The helpers' old keywords: a look-up by stored form, as the components' tests call them.
    return who or Identifiers(email=email.strip().lower() if email else None,
                              phone=contact.lookup_phone(phone) if phone else None)


def search_subject(app, *, tenant_id: uuid.UUID, who: Identifiers, components=None) -> list[Match]:
    """Every record of one tenant holding the identifiers, component by component, with the reasons."""
    return [match for entry in registry(app, components) for match in entry.search(tenant_id=tenant_id, who=who)]


def export_subject(app, *, tenant_id: uuid.UUID, email: str | None = None, phone: str | None = None,
                   who: Identifiers | None = None, components=None) -> dict:
    """Everything the platform holds about one person for one tenant, by component."""
    who = _who(who, email, phone)
    result: dict[str, list[dict]] = {}
    for entry in registry(app, components):
        rows = entry.export(tenant_id=tenant_id, who=who)
        if rows:
            result.setdefault(entry.component, []).extend(rows)
    return result


def holds_subject(app, *, tenant_id: uuid.UUID, who: Identifiers) -> dict[str, list[str]]:
    """Why each component must keep this person's data now (components with no reason are left out)."""
    found = {}
    for entry in registry(app):
        reasons = entry.holds(tenant_id=tenant_id, who=who) if entry.holds else []
        if reasons:
            found.setdefault(entry.component, []).extend(reasons)
    return found


def shared_subject(app, *, tenant_id: uuid.UUID, who: Identifiers) -> list[dict]:
    """The organisations each component passed this person's data to (referrals), as ids."""
    return [row for entry in registry(app) if entry.shared_with for row in entry.shared_with(tenant_id=tenant_id, who=who)]


def erase_counts(app, *, tenant_id: uuid.UUID, who: Identifiers) -> dict[str, int]:
    """Erase through every registered component (enabled for the tenant or not: their tables still hold
    data); rows changed per component."""
    counts: dict[str, int] = {}
    for entry in registry(app):
        counts[entry.component] = counts.get(entry.component, 0) + entry.erase(tenant_id=tenant_id, who=who)
    return counts


def rectify_subject(app, *, tenant_id: uuid.UUID, who: Identifiers, to: Identifiers) -> dict[str, int]:
    """Correct the identifiers everywhere they are held; rows changed per component."""
    counts: dict[str, int] = {}
    for entry in registry(app):
        if entry.rectify:
            counts[entry.component] = counts.get(entry.component, 0) + entry.rectify(tenant_id=tenant_id, who=who, to=to)
    return counts


def erase_subject(app, *, tenant_id: uuid.UUID, email: str | None = None, phone: str | None = None,
                  who: Identifiers | None = None) -> int:
    """Erase one person's data for one tenant in every registered component; returns rows changed."""
    who = _who(who, email, phone)
    return sum(entry.erase(tenant_id=tenant_id, who=who) for entry in registry(app))
