"""Assurance checks over every route: tenants A, B and C with real objects, and the app's own spec."""
import pytest

from tests.assurance.catalogue import Spec
from tests.assurance.world import World


@pytest.fixture
def world(client, make) -> World:
    return World(client, make)


@pytest.fixture
def spec(client) -> Spec:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return Spec(response.get_json())
