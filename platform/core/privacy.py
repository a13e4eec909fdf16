"""The personal-data registry.

Each component declares which fields of which models hold personal data, and
how to export and erase them for one data subject. What exists today: the
registry and two helpers over it, `export_subject` and `erase_subject`, which
the components' tests exercise. No route, command or job calls them yet, and
`retention_days` is recorded but nothing enforces it: subject access requests,
erasure and retention are still to be built (the privacy issue), over this
registry rather than hand-written lists.
"""
import dataclasses
import uuid
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class PersonalData:
    component: str
    model: type
    fields: tuple[str, ...]
    purpose: str
    # export(tenant_id=..., email=..., phone=...) -> list[dict]; erase(...) -> int rows changed
    export: Callable[..., list[dict]]
    erase: Callable[..., int]
    retention_days: int | None = None


def register(app, entry: PersonalData) -> None:
    app.extensions.setdefault("civic.privacy", []).append(entry)


def registry(app) -> list[PersonalData]:
    return list(app.extensions.get("civic.privacy", []))


def export_subject(app, *, tenant_id: uuid.UUID, email: str | None = None, phone: str | None = None) -> dict:
    """Everything the platform holds about one person for one tenant, by component."""
    result: dict[str, list[dict]] = {}
    for entry in registry(app):
        rows = entry.export(tenant_id=tenant_id, email=email, phone=phone)
        if rows:
            result.setdefault(entry.component, []).extend(rows)
    return result


def erase_subject(app, *, tenant_id: uuid.UUID, email: str | None = None, phone: str | None = None) -> int:
    """Erase one person's data for one tenant in every registered component; returns rows changed."""
    return sum(entry.erase(tenant_id=tenant_id, email=email, phone=phone) for entry in registry(app))
