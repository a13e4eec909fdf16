"""Background jobs of the notify component: sending, following statuses, purging, reacting to events."""

from civic.core import jobs
from civic.notify import delivery, privacy, triggers

SEND_ATTEMPTS = 10


def init_app(app) -> None:
    jobs.register(app, delivery.SEND_JOB, delivery.send, max_attempts=SEND_ATTEMPTS, prepare=delivery.prepare)
    jobs.register(app, "notify.poll", delivery.poll)
    jobs.register(app, "notify.purge", privacy.purge)
    jobs.register(app, triggers.JOB, triggers.on_event)
    jobs.schedule(app, "notify.poll", app.config["NOTIFY_POLL_SECONDS"])
    jobs.schedule(app, "notify.purge", app.config["NOTIFY_PURGE_SECONDS"])
    triggers.subscribe(app)


