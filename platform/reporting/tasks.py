"""Background jobs: the early-warning check, run periodically by the workers."""
from civic.core import jobs
from civic.core.db import utcnow

DETECT_SPIKES = "reporting.detect_spikes"
REFRESH_COUNTS = "reporting.refresh_counts"


def detect_spikes(payload: dict, job) -> None:
    """Idempotent: an alert is recorded at most once a day per category and area."""
    from civic.reporting import warning

    warning.detect_spikes(now=utcnow())


def refresh_counts(payload: dict, job) -> None:
    """Idempotent: recounts whole weeks from the reports."""
    from civic.reporting import rollup

    rollup.refresh(now=utcnow())


def init_app(app) -> None:
    jobs.register(app, DETECT_SPIKES, detect_spikes)
    jobs.register(app, REFRESH_COUNTS, refresh_counts)
    jobs.schedule(app, REFRESH_COUNTS, int(app.config["REPORTING_ROLLUP_SECONDS"]))
    jobs.schedule(app, DETECT_SPIKES, int(app.config["REPORTING_SPIKE_CHECK_SECONDS"]))
