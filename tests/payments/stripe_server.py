"""One localstripe per test run, on loopback, started when first asked for (tests in any package may use it)."""
import atexit
import socket
import subprocess
import sys
import time

from tests.conftest import free_port

_started: dict = {}


def url() -> str:
    if "url" not in _started:
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(process.terminate)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        _started["url"] = f"http://127.0.0.1:{port}"
    return _started["url"]
