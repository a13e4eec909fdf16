"""Background jobs: the early-warning check and the weekly counts, run by the workers."""
import datetime as dt

from flask import current_app

from civic.core import jobs
from civic.core.db import session, utcnow
from civic.reporting import events

DETECT_SPIKES = "reporting.detect_spikes"
REFRESH_COUNTS = "reporting.refresh_counts"
COUNTS_FOLLOW_REPORTS = "reporting.counts_follow_reports"


def detect_spikes(payload: dict, job) -> None:
    """Idempotent: an alert is recorded at most once a day per category and area."""
    from civic.reporting import warning

    warning.detect_spikes(now=utcnow())


def refresh_counts(payload: dict, job) -> None:
    """Idempotent: recounts whole weeks from the reports."""
    from civic.reporting import rollup

    _lock_counts()
    rollup.refresh(now=utcnow())


def _lock_counts():
    """The rollup's state, locked: two recounts of the same weeks at once would collide on their rows."""
    from civic.reporting import rollup
    from civic.reporting.models import RollupState

    return session.get(RollupState, rollup.STATE, with_for_update=True, populate_existing=True)


def counts_follow_reports(payload: dict, job) -> None:
    """After a report is made, changes status or moves: recount its weeks now, not at the next periodic run.

    Idempotent, and one recount serves a burst: runs wait for each other on the rollup's row, and a run
    that finds a recount started after its own job was claimed (so after the report's change committed,
    as the job was queued with it) has nothing left to do.
    """
    from civic.reporting import rollup

    state = _lock_counts()
    claimed_at = job.locked_until - dt.timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    if state is not None and state.refreshed_at > claimed_at:
        return
    rollup.refresh(now=utcnow())


def init_app(app) -> None:
    jobs.register(app, DETECT_SPIKES, detect_spikes)
    jobs.register(app, REFRESH_COUNTS, refresh_counts)
    jobs.register(app, COUNTS_FOLLOW_REPORTS, counts_follow_reports)
    for event in (events.REPORT_CREATED, events.STATUS_CHANGED, events.TRANSFERRED):
        event.subscribe(app, COUNTS_FOLLOW_REPORTS)
    jobs.schedule(app, REFRESH_COUNTS, int(app.config["REPORTING_ROLLUP_SECONDS"]))
    jobs.schedule(app, DETECT_SPIKES, int(app.config["REPORTING_SPIKE_CHECK_SECONDS"]))
