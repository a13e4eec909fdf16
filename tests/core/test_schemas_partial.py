"""A PATCH leaves out top-level fields only: a nested object it does send is checked whole, on every PATCH."""
import pytest

from civic.core.schemas import CoreSchema
from tests.assurance.catalogue import documented_spec, operations
from tests.assurance.world import World, values_for
from tests.booking.conftest import Org

HOURS = {"monday": [{"start": "09:00", "end": "17:00"}]}


@pytest.mark.parametrize("interval", [{"start": "09:00"}, {"end": "17:00"}, {}])
def test_a_resource_patch_with_an_incomplete_opening_interval_is_a_422(client, make, interval):
    org = Org(make)
    room = org.resource(client, opening_hours=HOURS)
    response = client.patch(f"/v1/booking/resources/{room['id']}", headers=org.both,
                            json={"opening_hours": {"tuesday": [interval]}})
    assert response.status_code == 422 and response.mimetype == "application/problem+json", response.data[:300]
    assert response.json["code"] == "validation_failed" and "opening_hours" in response.json["errors"]
    missing = {"start", "end"} - set(interval)
    assert all(field in str(response.json["errors"]) for field in missing), response.json
    assert client.get(f"/v1/booking/resources/{room['id']}", headers=org.both).json["opening_hours"] == HOURS


def test_a_resource_patch_still_takes_whole_intervals_and_leaves_other_fields_alone(client, make):
    org = Org(make)
    room = org.resource(client, opening_hours=HOURS, capacity=3)
    week = {"tuesday": [{"start": "10:00", "end": "12:00"}]}
    response = client.patch(f"/v1/booking/resources/{room['id']}", json={"opening_hours": week}, headers=org.both)
    assert response.status_code == 200, response.json
    assert response.json["opening_hours"] == week and response.json["capacity"] == 3 and response.json["name"] == room["name"]


def _patch_schemas(app):
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if "PATCH" in rule.methods and view_class is not None:
            for parameter in view_class.patch._apidoc.get("arguments", {}).get("parameters", []):
                if parameter["in"] == "json":
                    yield rule.rule, parameter["schema"]


def test_every_patch_body_is_loaded_by_a_core_schema(app):
    """The core's rule (nested objects whole, dates in range) holds only for schemas built on it."""
    found = list(_patch_schemas(app))
    assert len(found) >= 5
    strays = [path for path, schema in found
              if not (isinstance(schema, CoreSchema) or isinstance(schema, type) and issubclass(schema, CoreSchema))]
    assert strays == []


def _nested_objects(spec, schema: dict, path: tuple = ()):
    """(path, object schema) of every nested object with required fields, in arrays and maps too."""
    for name, prop in (spec.resolve(schema).get("properties") or {}).items():
        prop = spec.resolve(prop)
        if prop.get("readOnly"):
            continue
        yield from _objects_in(spec, prop, path + (name,), prop.get("example"))


def _objects_in(spec, prop: dict, path: tuple, example):
    prop = spec.resolve(prop)
    if "properties" in prop:
        if prop.get("required"):
            yield path, prop
        yield from _nested_objects(spec, prop, path)
    elif prop.get("type") == "array" and "items" in prop:
        yield from _objects_in(spec, prop["items"], path + (0,), None)
    elif isinstance(prop.get("additionalProperties"), dict) and isinstance(example, dict) and example:
        yield from _objects_in(spec, prop["additionalProperties"], path + (next(iter(example)),), None)


def _body_at(path: tuple, value):
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


def test_every_patch_refuses_a_nested_object_missing_a_required_field(app, client, make):
    """Read from the spec, so a PATCH added later with a nested object is checked too."""
    spec, world, checked = documented_spec(), World(client, make), []
    for op in [o for o in operations(app) if o.method == "PATCH"]:
        schema = spec.request_schema(op)
        for path, nested in _nested_objects(spec, schema or {}):
            for required in nested["required"]:
                whole = {k: v.get("example", "x") for k, v in nested["properties"].items() if k in nested["required"]}
                del whole[required]
                response = client.patch(op.url(values_for(world, op)), json=_body_at(path, whole),
                                        headers=world.owner_of(op))
                where = f"{op} {'.'.join(map(str, path))} without {required}"
                assert response.status_code == 422, f"{where}: {response.status_code} {response.data[:300]!r}"
                assert path[0] in response.json["errors"] and required in str(response.json["errors"]), where
                checked.append(where)
    assert any("/v1/booking/resources" in c for c in checked) and any("/v1/reporting/categories" in c for c in checked)
    print(f"partial: {len(checked)} nested required fields on {len({c.split(' ')[1] for c in checked})} PATCH routes")


def test_a_patch_schema_keeps_its_own_partial_fields():
    """A schema that names its optional fields itself (rather than partial=True) keeps exactly those."""
    import marshmallow as ma

    from civic.core.schemas import StrictSchema

    class Inner(StrictSchema):
        a = ma.fields.String(required=True)

    class Outer(StrictSchema):
        name = ma.fields.String(required=True)
        inner = ma.fields.Nested(Inner, required=True)

    assert Outer(partial=True).load({}) == {}
    assert Outer(partial=("name",)).load({"inner": {"a": "x"}}) == {"inner": {"a": "x"}}
    with pytest.raises(ma.ValidationError) as error:
        Outer(partial=True).load({"inner": {}})
    assert error.value.messages == {"inner": {"a": ["Missing data for required field."]}}
    with pytest.raises(ma.ValidationError):
        Outer(partial=("name",)).load({})
