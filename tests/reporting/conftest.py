"""Reporting test helpers: organisations with categories, and a quick way to make reports."""
import pytest

from tests.builders import create_category, create_report

POTHOLE = {"code": "pothole", "name": "Pothole", "group": "Roads", "keywords": ["road", "hole"],
           "description": "A hole in the road or pavement.", "lgsl_code": "1193",
           "attributes": [
               {"code": "depth", "datatype": "singlevaluelist", "required": True, "order": 1,
                "description": "How deep is it?",
                "values": [{"key": "shallow", "name": "Under 5 cm"}, {"key": "deep", "name": "5 cm or more"}]},
               {"code": "width_cm", "datatype": "number", "required": False, "order": 2,
                "description": "About how wide, in centimetres?"},
               {"code": "hazards", "datatype": "multivaluelist", "required": False, "order": 3,
                "description": "Anything nearby?",
                "values": [{"key": "school", "name": "A school"}, {"key": "bus", "name": "A bus stop"}]},
               {"code": "seen_at", "datatype": "datetime", "required": False, "order": 4,
                "description": "When did you see it?"},
               {"code": "landmark", "datatype": "string", "required": False, "order": 5,
                "description": "Nearest landmark"}]}
FLY_TIPPING = {"code": "fly-tipping", "name": "Fly-tipping", "group": "Street cleaning", "keywords": ["rubbish"]}
DAMP = {"code": "damp-mould", "name": "Damp and mould in a rented home", "group": "Housing", "public": False}
HELP = {"code": "needs-help", "name": "Someone needs help", "group": "Welfare", "public": False}
WHERE = {"lat": 51.5072, "long": -0.1276}
REPORTER = {"name": "Ada Lovelace", "email": "Ada@Example.org", "phone": "07911 123456"}


class Place:
    """Two organisations: a council (potholes, fly-tipping) and a housing association (damp)."""

    def __init__(self, client, make):
        self.client, self.make = client, make
        self.council = make.tenant("borough-council", kind="council")
        self.homes = make.tenant("riverside-homes", kind="housing")
        self.council_rw = make.headers(self.council, "reporting:read", "reporting:write")
        self.homes_rw = make.headers(self.homes, "reporting:read", "reporting:write")
        for body in (POTHOLE, FLY_TIPPING):
            self.category(self.council_rw, body)
        self.category(self.homes_rw, DAMP)

    def category(self, headers, body):
        return create_category(self.client, headers, **body)

    def report(self, headers=None, **overrides):
        """Fly-tipping at WHERE unless overridden (the shared builder's defaults)."""
        return create_report(self.client, headers or self.council_rw, **overrides)

    def api_key(self, tenant, scopes=("reporting:read", "reporting:write"), **overrides) -> str:
        _, shown = self.make.client(tenant, scopes, with_api_key=True, **overrides)
        return shown["api_key"]


@pytest.fixture
def place(client, make):
    return Place(client, make)

