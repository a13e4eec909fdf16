def test_a_steward_can_onboard_an_organisation(client, steward):
    response = client.post("/v1/admin/tenants", json={"slug": "food-bank", "name": "Food Bank", "kind": "voluntary"},
                           headers=steward)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["slug"] == "food-bank" and body["status"] == "active"
    listed = client.get("/v1/admin/tenants", headers=steward).json
    assert [t["slug"] for t in listed["items"]] == ["steward-council", "food-bank"]
