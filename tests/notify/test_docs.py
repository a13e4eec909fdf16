"""Every notify schema's example is from the demo place's world and valid: request examples load."""
import pytest

from civic.notify import notify_api, schemas

REQUESTS = ("ConfigSchema", "TemplateSchema", "PreviewInSchema", "SendSchema", "BatchInSchema", "OptOutInSchema",
            "CallbackSchema")
ANSWERS = ("PreviewSchema", "MessageSchema", "BatchSchema", "OptOutSchema", "UnsubscribeSchema")


@pytest.mark.parametrize("name", REQUESTS)
def test_request_examples_load(name):
    schema = getattr(schemas, name)
    assert schema().load(schema.Meta.example)


@pytest.mark.parametrize("name", ANSWERS)
def test_answer_examples_fit_their_schema(name):
    schema = getattr(schemas, name)
    assert schema().validate(schema.Meta.example) == {}


def test_the_example_key_has_notifys_form():
    assert notify_api.parse_key(schemas.ConfigSchema.Meta.example["api_key"])["key_name"] == "riverside_live"


def test_every_operation_has_a_summary(app):
    spec = app.test_client().get("/openapi.json").json
    operations = [(path, method, op) for path, item in spec["paths"].items() if path.startswith("/v1/notify")
                  for method, op in item.items() if method in ("get", "post", "put", "delete")]
    assert len(operations) >= 20
    assert [(p, m) for p, m, op in operations if not op.get("summary")] == []
