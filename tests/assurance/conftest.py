"""Assurance checks over every route: tenants A, B and C with real objects, and the app's own spec.

The components that talk to outside services get real ones: a Notify-compatible server and localstripe."""
import pytest

from tests.assurance.catalogue import Spec
from tests.assurance.world import World
from tests.payments import stripe_server


@pytest.fixture
def services(fake_notify) -> dict:
    """The settings that point notify and payments at the servers the tests start (merged into app_config)."""
    return {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0,
            "PAYMENTS_STRIPE_API_BASE": stripe_server.url(), "PAYMENTS_STRIPE_TIMEOUT_SECONDS": 10.0,
            "PAYMENTS_STRIPE_RETRIES": 0}


@pytest.fixture
def app_config(services):
    return services


@pytest.fixture
def world(client, make, fake_notify) -> World:
    return World(client, make, fake_notify)


@pytest.fixture
def spec(client) -> Spec:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return Spec(response.get_json())
