"""One link shape between components: `{"type": "<component>.<record>", "id": "<uuid>"}`, the component one that runs."""
import uuid
import warnings

import marshmallow as ma
import pytest

from civic.core.schemas import LinkSchema
from tests.conftest import config_for

ID = str(uuid.uuid4())


def test_a_link_loads_its_type_and_a_uuid(app):
    with app.app_context():
        assert LinkSchema().load({"type": "booking.hold", "id": ID}) == {"type": "booking.hold", "id": uuid.UUID(ID)}
        assert LinkSchema().load(LinkSchema.Meta.example)["type"] == "booking.hold"


@pytest.mark.parametrize("link, field", [
    ({"type": "booking", "id": ID}, "type"), ({"type": "Booking.Hold", "id": ID}, "type"),
    ({"type": "booking.hold.x", "id": ID}, "type"), ({"type": "booking.hold", "id": "42"}, "id"),
    ({"type": "booking.hold"}, "id"), ({"id": ID}, "type"), ({"type": "booking.hold", "id": ID, "component": "x"}, "component"),
])
def test_a_malformed_link_is_refused(app, link, field):
    with app.app_context(), pytest.raises(ma.ValidationError) as refused:
        LinkSchema().load(link)
    assert field in refused.value.messages


def test_a_link_names_a_component_that_runs_here(app):
    with app.app_context():
        with pytest.raises(ma.ValidationError) as refused:
            LinkSchema().load({"type": "library.loan", "id": ID})
        assert "No component called 'library' runs here" in refused.value.messages["type"][0]
        app.config["COMPONENTS"] = [c for c in app.config["COMPONENTS"] if c != "booking"]
        with pytest.raises(ma.ValidationError):
            LinkSchema().load({"type": "booking.hold", "id": ID})


def test_the_api_spec_has_one_link_schema_and_no_name_clash(database_url):
    from civic.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        application = create_app(config_for(database_url))
        spec = application.test_client().get("/openapi.json").get_json()
    application.extensions["civic.engine"].dispose()
    schemas = spec["components"]["schemas"]
    assert [name for name in schemas if name.startswith("Link")] == ["Link"]
    assert set(schemas["Link"]["properties"]) == {"type", "id"}
