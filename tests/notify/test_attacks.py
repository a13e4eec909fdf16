"""What an attacker (or a careless spreadsheet) sends to Notify's routes: a problem, never a 500."""
import pytest

from tests.notify.test_batches import ready  # noqa: F401  (the fixture: an organisation with a template)


@pytest.mark.parametrize("body", [
    "phone number,date\n07711 000001,\"" + "x" * 200_000 + "\"\n",  # a field larger than the csv module takes
])
def test_a_malformed_csv_upload_is_a_problem_not_a_500(ready, body):  # noqa: F811
    response = ready.client.post("/v1/notify/batches", headers=ready.headers,
                                 json={"template": "collection_reminder", "csv": body, "validate_only": True})
    assert response.status_code == 422 and response.json["code"] == "batch_invalid", response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("column", ["address line x", "Address_Line_1a", "address line 99999999999999999999"])
def test_a_column_that_only_looks_like_an_address_line_is_personalisation(ready, column):  # noqa: F811
    body = f"phone number,date,{column}\n07711 000001,Friday,a\n"
    response = ready.client.post("/v1/notify/batches", headers=ready.headers,
                                 json={"template": "collection_reminder", "csv": body, "validate_only": True})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]  # validate_only: nothing created
    assert response.json["status"] == "validated" and response.json["total"] == 1
