"""Every flows event, emitted by the real flows, carries the payload its declaration describes."""
import sqlalchemy as sa

from civic.core import events
from civic.core.db import session
from civic.core.events import Event
from civic.core.tenancy import place_wide
from tests.helpers import check_payloads


def test_every_flows_event_is_emitted_with_its_declared_payload(org, receiver, worker, app, make, client):
    from tests.flows.test_composed import DECLINED, Council

    endpoint = org.subscribe(receiver.url)
    assert org.post(f"/v1/flows/webhooks/{endpoint['id']}/test").status_code == 202
    assert org.post("/v1/flows/automations", json={"name": "Tell", "trigger": "civic.booking.created", "steps": [
        {"action": "flows.call_webhook", "input": {"endpoint_id": endpoint["id"], "values": {"k": "v"}}}]}).status_code == 201
    org.book()
    receiver.answer(410)
    council = Council(make, client)  # a composed service: one submission completed, one failed
    for card in (DECLINED, "4242424242424242"):
        council.pay(council.submit(), card)
        worker.drain()
    with app.app_context(), place_wide("tests.inspection"):
        stored = list(session.scalars(sa.select(Event).where(Event.tenant_id.in_([org.tenant.id, council.tenant.id]),
                                                             Event.type.like("civic.flows.%"))))
    assert check_payloads(app, stored) == {e.type for e in events.declared(app) if e.component == "flows"}
    disabled = next(e for e in stored if e.type == "civic.flows.endpoint_disabled")
    assert disabled.subject == endpoint["id"] and disabled.data["cause"] == "gone"
