"""Notes and attachments: limits, content checked by its bytes, and what is stored."""
import base64

import pytest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def app_config(tmp_path):
    return {"CASEWORK_ATTACHMENT_MAX_BYTES": 2000, "CASEWORK_NOTE_MAX_CHARS": 100,
            "CASEWORK_FILES_DIR": str(tmp_path / "files")}


def _upload(client, headers, case_id, data, name):
    return client.post(f"/v1/casework/cases/{case_id}/attachments", headers=headers,
                       json={"filename": name, "content_base64": base64.b64encode(data).decode()})


def test_notes_are_internal_or_shareable_and_limited(client, org):
    org.define(client)
    case = org.case(client)
    note = client.post(f"/v1/casework/cases/{case['id']}/notes", json={"body": "Called Alex", "shareable": True},
                       headers=org.worker)
    assert note.status_code == 201 and note.get_json()["shareable"] is True
    too_long = client.post(f"/v1/casework/cases/{case['id']}/notes", json={"body": "x" * 101}, headers=org.worker)
    assert too_long.status_code == 422 and too_long.get_json()["code"] == "note_too_large"
    notes = client.get(f"/v1/casework/cases/{case['id']}/notes", headers=org.viewer).get_json()["items"]
    assert [n["body"] for n in notes] == ["Called Alex"]
    assert client.post(f"/v1/casework/cases/{case['id']}/notes", json={"body": "x"}, headers=org.viewer).status_code == 403


def test_attachments_are_recognised_by_their_content_not_their_name(client, org, tmp_path):
    org.define(client)
    case = org.case(client)
    for data, name, kind in ((PDF, "form.pdf", "application/pdf"), (PNG, "x.png", "image/png"),
                             (JPEG, "photo.jpg", "image/jpeg"), ("Notes: café\n".encode(), "n.txt", "text/plain"),
                             (PDF, "misnamed.exe", "application/pdf")):
        response = _upload(client, org.worker, case["id"], data, name)
        assert response.status_code == 201 and response.get_json()["content_type"] == kind, name
    for data, name in ((b"MZ\x90\x00\x03" + b"\x00" * 20, "report.pdf"), (b"\x00\x01\x02binary", "notes.txt"),
                       (b"GIF89a" + b"\x00" * 10, "a.png")):
        response = _upload(client, org.worker, case["id"], data, name)
        assert response.status_code == 415 and response.get_json()["code"] == "attachment_type_not_allowed", name
    big = _upload(client, org.worker, case["id"], b"%PDF-" + b"a" * 2000, "big.pdf")
    assert big.status_code == 413 and big.get_json()["code"] == "attachment_too_large"
    listed = client.get(f"/v1/casework/cases/{case['id']}/attachments", headers=org.viewer).get_json()["items"]
    assert len(listed) == 5
    first = listed[0]
    content = client.get(f"/v1/casework/cases/{case['id']}/attachments/{first['id']}/content", headers=org.viewer)
    assert content.status_code == 200 and content.data == PDF and content.mimetype == "application/pdf"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    stored = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(stored) == 4  # the same PDF twice is stored once
    assert not [p for p in stored if "form" in p.name or "exe" in p.name]


def test_a_missing_or_broken_file_is_refused(client, org):
    org.define(client)
    case = org.case(client)
    url = f"/v1/casework/cases/{case['id']}/attachments"
    missing = client.post(url, json={"filename": "a.txt"}, headers=org.worker)
    assert missing.status_code == 422 and missing.get_json()["code"] == "validation_failed"
    broken = client.post(url, json={"filename": "a.txt", "content_base64": "not base64!"}, headers=org.worker)
    assert broken.status_code == 422 and broken.get_json()["code"] == "attachment_not_base64"
    long = client.post(url, json={"filename": "a.pdf", "content_base64": "A" * 4000}, headers=org.worker)
    assert long.status_code == 413 and long.get_json()["code"] == "attachment_too_large"
    assert client.get(url, headers=org.worker).get_json()["items"] == []
