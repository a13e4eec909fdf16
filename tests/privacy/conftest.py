"""Privacy test helpers: an organisation whose person, Sam, is held by booking, reporting and casework."""
import copy
import datetime as dt
import zoneinfo

import pytest
from civic.casework.schemas import SOCIAL_PRESCRIBING

LONDON = zoneinfo.ZoneInfo("Europe/London")
RW = ("privacy:read", "privacy:write")
SAM = {"name": "Sam Citizen", "email": "sam@example.org", "phone": "020 7946 0018"}
SUBJECT = {**SAM, "date_of_birth": "1984-03-14", "nhs_number": "943 476 5919", "postcode": "SW1A 1AA"}
OTHERS = ("booking:read", "booking:write", "reporting:read", "reporting:write", "casework:read", "casework:write")


def slot(days: int) -> str:
    return dt.datetime.combine(dt.date.today() + dt.timedelta(days=days), dt.time(10), tzinfo=LONDON).isoformat()


class Org:
    """An organisation with an admin, a caseworker, a viewer and apps; `seed()` puts Sam in three components."""

    def __init__(self, client, make, **tenant):
        self.http, self.make = client, make
        self.tenant = make.tenant(**tenant)
        self.admin_user = make.user(self.tenant, role="tenant_admin")
        self.admin = make.headers(self.tenant, *RW, *OTHERS, user=self.admin_user)
        self.worker = make.headers(self.tenant, *RW, user=make.user(self.tenant, role="caseworker"))
        self.viewer = make.headers(self.tenant, "privacy:read", user=make.user(self.tenant, role="viewer"))
        self.app = make.headers(self.tenant, *RW)
        self.reader_app = make.headers(self.tenant, "privacy:read")
        self.other_app = make.headers(self.tenant, *OTHERS)

    def post(self, path, body, headers=None, status=201):
        response = self.http.post(path, json=body, headers=headers or self.admin)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def seed(self, subject=SUBJECT, days=3) -> dict:
        """Sam's booking, report and case, made through those components' APIs."""
        resource = self.make.resource(self.tenant)
        booking = self.post("/v1/booking/bookings", {"resource_id": resource["id"], "start": slot(days),
                                                     "attendee": {k: subject[k] for k in SAM}}, self.other_app)
        category = self.make.category(self.tenant)
        report = self.post("/v1/reporting/reports", {"category": category["code"], "description": "Pothole by the gate",
                                                     "lat": 51.5, "long": -0.12,
                                                     "reporter": {"name": subject["name"], "email": subject["email"]}},
                           self.other_app)
        if not self.http.get("/v1/casework/case-types", headers=self.admin).get_json()["items"]:
            self.post("/v1/casework/case-types", copy.deepcopy(SOCIAL_PRESCRIBING))
        case = self.post("/v1/casework/cases", {"case_type": "social-prescribing", "title": "Walking group",
                                                "subject": dict(subject)}, self.other_app)
        return {"booking": booking["id"], "report": report["id"], "case": case["id"]}

    def request(self, status=201, headers=None, **body):
        return self.post("/v1/privacy/requests", {"subject": {"email": SUBJECT["email"]}, **body}, headers, status)

    def move(self, request_id, status=200, headers=None, **body):
        return self.post(f"/v1/privacy/requests/{request_id}/transition", body, headers, status)


@pytest.fixture
def org(client, make) -> Org:
    return Org(client, make)


@pytest.fixture
def other(client, make) -> Org:
    return Org(client, make)
