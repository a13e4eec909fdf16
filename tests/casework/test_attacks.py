"""What an attacker (or an ordinary caller with an unusual file name) tries against casework."""
import base64

import pytest


@pytest.fixture
def app_config(tmp_path):
    return {"CASEWORK_FILES_DIR": str(tmp_path / "files")}


@pytest.mark.parametrize("name", ["Café menu.txt", "会议记录.txt", "notes\r\nSet-Cookie: a=b.txt", "a;b=c.txt"])
def test_an_attachment_with_any_printable_name_downloads_with_a_safe_header(client, org, name):
    org.define(client)
    case = org.case(client)
    url = f"/v1/casework/cases/{case['id']}/attachments"
    made = client.post(url, headers=org.worker,
                       json={"filename": name, "content_base64": base64.b64encode(b"Called Alex").decode()})
    assert made.status_code == 201, made.get_json()
    content = client.get(f"{url}/{made.get_json()['id']}/content", headers=org.viewer)
    assert content.status_code == 200 and content.data == b"Called Alex"
    disposition = content.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a WSGI server can only send latin-1 header values
    assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition
    assert content.headers["X-Content-Type-Options"] == "nosniff"


def test_the_unicode_name_travels_exactly_in_filename_star(client, org):
    org.define(client)
    case = org.case(client)
    url = f"/v1/casework/cases/{case['id']}/attachments"
    made = client.post(url, headers=org.worker,
                       json={"filename": "Café.txt", "content_base64": base64.b64encode(b"Called Alex").decode()})
    content = client.get(f"{url}/{made.get_json()['id']}/content", headers=org.viewer)
    assert content.headers["Content-Disposition"] == "attachment; filename=\"Caf_.txt\"; filename*=UTF-8''Caf%C3%A9.txt"
