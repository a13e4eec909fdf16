"""Small helpers several test packages share (builders live in tests/builders.py)."""
import threading
from concurrent.futures import ThreadPoolExecutor


def together(*calls):
    """Run every call at once (released by one barrier); their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def check_payloads(app, stored) -> set[str]:
    """Each stored event's data loads cleanly with its declared schema; returns the types seen."""
    from civic.core import events

    for event in stored:
        declared = events.DECLARED[event.type]
        assert declared.schema().validate(event.data) == {}, (event.type, event.data)
        assert event.source == f"/civic/{declared.component}"
    return {event.type for event in stored}
