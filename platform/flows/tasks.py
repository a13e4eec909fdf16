"""Background jobs of the flows component: fanning each event out (to endpoints, automations and waiting
submissions), each delivery attempt, each automation's run, and each submission's time-out."""
from civic.core import caching, events, jobs
from civic.flows import automations, composed, deliveries
from civic.flows.models import Automation, ComposedService, Endpoint


def init_app(app) -> None:
    # The delivery job schedules its own retries (Svix's schedule), so it succeeds unless the database fails.
    jobs.register(app, deliveries.FAN_OUT_JOB, deliveries.fan_out)
    jobs.register(app, deliveries.DELIVER_JOB, deliveries.deliver, alone=True)  # waits on the receiver
    # Every event of an organisation with an endpoint for it, after commit, at least once.
    events.subscribe(app, "*", deliveries.FAN_OUT_JOB, when=deliveries.listens)
    jobs.register(app, automations.AUTOMATE_JOB, automations.automate)
    caching.watch(Endpoint, inserts=True)  # `listens` caches each organisation's endpoint types
    caching.watch(Automation, inserts=True)  # and its automations' triggers
    jobs.register(app, composed.TIMEOUT_JOB, composed.time_out)
    caching.watch(ComposedService, inserts=True)  # and its services' waits
