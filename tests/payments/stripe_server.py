"""One localstripe per test run, on loopback, started when first asked for (tests in any package may use it)."""
import atexit

from bench.payments_bench import start_localstripe

_started: dict = {}


def url() -> str:
    if "url" not in _started:
        _started["url"], process = start_localstripe()
        atexit.register(process.terminate)
    return _started["url"]
