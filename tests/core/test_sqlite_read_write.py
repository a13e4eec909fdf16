"""A read that records an audit entry succeeds while other requests write (SQLite's one-writer rule)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask.views import MethodView
from civic.core.tenancy import place_wide



def test_a_read_that_audits_succeeds_while_another_request_writes(app_with_route, make):
    from civic.core import audit
    from civic.core.auth import require
    from civic.core.db import session

    looked, go_on = threading.Event(), threading.Event()

    class PersonalRead(MethodView):
        @require("platform:admin")
        def get(self):
            tenants = session.scalar(sa.text("SELECT count(*) FROM tenant"))
            looked.set()
            go_on.wait(30)
            audit.record("test.personal_data_read", tenant_id=None, subject_type="test")
            return {"tenants": tenants}

    app = app_with_route("/v1/personal-read", PersonalRead)
    headers = make.headers(make.tenant("council"), "platform:admin")
    client = app.test_client()
    with ThreadPoolExecutor(2) as pool:
        read = pool.submit(client.get, "/v1/personal-read", headers=headers)
        assert looked.wait(30)
        write = pool.submit(client.post, "/v1/admin/tenants", json={"slug": "food-bank", "name": "Food Bank"},
                            headers=headers)
        try:  # let the write commit in the middle of the read if it can (on SQLite it must wait its turn)
            write.result(timeout=1)
        except TimeoutError:
            pass
        go_on.set()
        read, write = read.result(60), write.result(60)
    assert write.status_code == 201, write.get_json()
    assert read.status_code == 200, read.get_json()
    with app.app_context(), place_wide("tests.inspection"):
        assert session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEntry)
                              .where(audit.AuditEntry.action == "test.personal_data_read")) == 1
