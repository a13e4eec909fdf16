"""Background jobs of the flows component: fanning each event out to endpoints, and each delivery attempt."""
from civic.core import events, jobs
from civic.flows import deliveries


def init_app(app) -> None:
    # The delivery job schedules its own retries (Svix's schedule), so it succeeds unless the database fails.
    jobs.register(app, deliveries.FAN_OUT_JOB, deliveries.fan_out)
    jobs.register(app, deliveries.DELIVER_JOB, deliveries.deliver)
    events.subscribe(app, "*", deliveries.FAN_OUT_JOB)  # every event, after commit, at least once
