"""Casework test helpers: an organisation with an admin, a caseworker and a viewer, and the demo case type."""
import copy

import pytest

from civic.casework.schemas import SOCIAL_PRESCRIBING

RW = ("casework:read", "casework:write")
SUBJECT = {"name": "Alex Rivers", "email": "alex@example.org", "phone": "020 7946 0018",
           "date_of_birth": "1950-04-02", "nhs_number": "943 476 5919"}


def case_type(**overrides) -> dict:
    body = copy.deepcopy(SOCIAL_PRESCRIBING)
    body.update(overrides)
    return body


class Org:
    """An organisation and its people's headers: `admin`, `worker`, `viewer` (persons) and `app` (no person)."""

    def __init__(self, make, slug=None):
        self.make = make
        self.tenant = make.tenant(slug)
        self.admin_user = make.user(self.tenant, role="tenant_admin")
        self.worker_user = make.user(self.tenant, role="caseworker")
        self.viewer_user = make.user(self.tenant, role="viewer")
        self.admin = make.headers(self.tenant, *RW, user=self.admin_user)
        self.worker = make.headers(self.tenant, *RW, user=self.worker_user)
        self.viewer = make.headers(self.tenant, "casework:read", user=self.viewer_user)
        self.app = make.headers(self.tenant, *RW)

    def define(self, client, **overrides) -> dict:
        response = client.post("/v1/casework/case-types", json=case_type(**overrides), headers=self.admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def open_case(self, client, **overrides):
        body = {"case_type": "social-prescribing", "title": "Walking group", "subject": dict(SUBJECT), **overrides}
        return client.post("/v1/casework/cases", json=body, headers=self.worker)

    def case(self, client, **overrides) -> dict:
        response = self.open_case(client, **overrides)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def move(self, client, case_id, to, headers=None, **kwargs):
        return client.post(f"/v1/casework/cases/{case_id}/transition", json={"to": to},
                           headers={**(headers or self.worker), **kwargs.pop("extra", {})}, **kwargs)


@pytest.fixture
def org(make) -> Org:
    return Org(make)


@pytest.fixture
def other(make) -> Org:
    return Org(make)
