"""Tenant-scoped queries, the personal-data registry, and the fields every resource shares."""
import uuid

import pytest

from civic.core import privacy
from civic.core.db import session
from civic.core.errors import Problem
from civic.core.tenancy import get_scoped, place_wide, scoped
from civic.gateway.models import StaffUser
from tests.core.conftest import assert_problem


def test_scoped_queries_only_see_their_own_tenant(app, make):
    food_bank, council = make.tenant("food-bank"), make.tenant("council")
    ours, theirs = make.user(food_bank), make.user(council)
    with app.app_context(), place_wide("tests.inspection"):
        assert [u.id for u in session.scalars(scoped(StaffUser, food_bank.id))] == [ours.id]
        assert get_scoped(StaffUser, food_bank.id, ours.id).id == ours.id
        assert get_scoped(StaffUser, food_bank.id, str(ours.id)).id == ours.id
        for other in (theirs.id, uuid.uuid4(), "not-a-uuid"):
            with pytest.raises(Problem) as refused:
                get_scoped(StaffUser, food_bank.id, other, what="staff user")
            assert (refused.value.status, refused.value.code, refused.value.detail) == (404, "not_found",
                                                                                          "No such staff user.")
        with pytest.raises(ValueError):
            scoped(StaffUser, None)


def test_the_privacy_registry_exports_and_erases_by_component(new_app):
    app = new_app(COMPONENTS=[])  # only the entry registered here
    held = {"alice@example.org": [{"email": "alice@example.org", "note": "needs a ramp"}]}

    def search(*, tenant_id, who):
        return [privacy.Match("booking", "note", "n1", (("email", "email"),))] if who.email in held else []

    def export(*, tenant_id, who):
        return list(held.get(who.email, []))

    def erase(*, tenant_id, who):
        return len(held.pop(who.email, []))

    privacy.register(app, privacy.PersonalData(component="booking", model=object, fields=("email", "note"),
                                               purpose="To run the booking.", search=search, export=export,
                                               erase=erase))
    tenant_id = uuid.uuid4()
    alice = privacy.Identifiers.of(email="Alice@Example.org")
    assert [m.id for m in privacy.search_subject(app, tenant_id=tenant_id, who=alice)] == ["n1"]
    assert privacy.search_subject(app, tenant_id=tenant_id, who=alice, components=["casework"]) == []
    assert privacy.export_subject(app, tenant_id=tenant_id, email="alice@example.org") == {
        "booking": [{"email": "alice@example.org", "note": "needs a ramp"}]}
    assert privacy.export_subject(app, tenant_id=tenant_id, email="bob@example.org") == {}
    assert privacy.erase_subject(app, tenant_id=tenant_id, email="alice@example.org") == 1
    assert privacy.export_subject(app, tenant_id=tenant_id, email="alice@example.org") == {}


@pytest.mark.parametrize("metadata", [{f"k{n}": "v" for n in range(16)}, {"k": 1}, {"k" * 31: "v"}, {"k": "v" * 101}])
def test_metadata_is_a_small_string_map(client, steward, metadata):
    body = assert_problem(client.post("/v1/admin/tenants", json={"slug": "food-bank", "name": "Food Bank",
                                                                 "metadata": metadata}, headers=steward),
                          422, "validation_failed")
    assert list(body["errors"]) == ["metadata"]


def test_reference_and_metadata_are_kept(client, steward):
    created = client.post("/v1/admin/tenants", json={"slug": "food-bank", "name": "Food Bank", "reference": "FB-1",
                                                     "metadata": {"crm": "123"}}, headers=steward).get_json()
    assert created["reference"] == "FB-1" and created["metadata"] == {"crm": "123"}
    assert set(created) >= {"id", "created_at", "updated_at"}
