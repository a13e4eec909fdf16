"""A Notify-compatible server on loopback for the tests: the platform's simulator behind a real socket.

The simulator (civic.notify.simulator) answers Notify's endpoints in Notify's shapes, checks the JWT as
Notify does and enforces a per-minute limit; here it is served by a threaded werkzeug server so that the
real `notifications-python-client` talks HTTP to it, and tests can make it answer 400/403/429/500, accept
a message and then time out, or post callbacks.
"""
import threading
import uuid

from werkzeug.serving import make_server

from civic.notify.simulator import Simulator


class FakeNotify(Simulator):
    def __init__(self, *, per_minute: int = 3000):
        super().__init__(per_minute=per_minute)
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.base_url = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def new_key(self, key_type: str = "live", name: str = "riverside_live") -> str:
        """A key Notify would issue: `{key name}-{service id}-{secret}`, known to this server."""
        service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
        self.add_key(service_id, secret, key_type)
        return f"{name}-{service_id}-{secret}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SlowFakeNotify(FakeNotify):
    """Takes `delay` seconds over each send, so that a test can stop a worker in the middle of a batch."""

    delay = 0.02

    def send(self, service_id, channel, body):
        import time

        time.sleep(self.delay)
        return super().send(service_id, channel, body)
