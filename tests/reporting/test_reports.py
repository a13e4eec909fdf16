"""Staff API: categories and reports of the caller's own organisation."""
from tests.reporting.conftest import POTHOLE, REPORTER, WHERE


def test_a_council_records_a_report_with_answers_and_reads_it_back(client, place):
    created = place.report(category="pothole", attributes={"depth": "deep", "width_cm": "40", "hazards": ["bus"]},
                           reporter=REPORTER, reference="CRM-1")
    assert created["status"] == "open" and created["category"] == "pothole"
    assert created["attributes"] == {"depth": "deep", "width_cm": 40, "hazards": ["bus"]}
    assert created["reporter"] == {"name": "Ada Lovelace", "email": "ada@example.org", "phone": "+447700900123"}
    got = client.get(f"/v1/reporting/reports/{created['id']}", headers=place.council_rw).json
    assert got == created
