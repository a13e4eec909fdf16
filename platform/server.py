"""`civic serve`: the embedded default (one process, jobs in a thread) or gunicorn workers."""
import ipaddress
import logging

from civic.app import create_app
from civic.core.jobs import start_embedded_worker

log = logging.getLogger("civic.server")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def refuse_public_default_secret(host: str) -> None:
    """The well-known development secret is tolerable on loopback only: anyone could forge sessions."""
    from civic.config import is_default_secret, load

    if not is_loopback(host) and is_default_secret(load()):
        raise SystemExit(f"Refusing to serve on {host} with the well-known default CIVIC_SECRET_KEY: "
                         "set CIVIC_SECRET_KEY (32+ random characters), or serve on 127.0.0.1.")


def run(*, host: str, port: int, workers: int, threads: int) -> None:
    refuse_public_default_secret(host)
    if workers <= 1:
        app = create_app()
        if app.config["EMBEDDED_WORKER"]:
            start_embedded_worker(app)
        log.info("serving", extra={"url": f"http://{host}:{port}", "docs": f"http://{host}:{port}/docs"})
        from werkzeug.serving import run_simple

        run_simple(host, port, app, threaded=True, use_reloader=False)
        return
    _gunicorn(host=host, port=port, workers=workers, threads=threads)


def _gunicorn(*, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("accesslog", None)  # the app logs each request itself, as JSON
            self.cfg.set("logger_class", _json_logger_class())
            self.cfg.set("post_worker_init", _post_worker_init)
            # gunicorn would believe X-Forwarded-Proto and X-Forwarded-Ssl from 127.0.0.1 by default; which
            # proxy headers to trust is the platform's own setting (CIVIC_PROXY_*, werkzeug's ProxyFix).
            self.cfg.set("forwarded_allow_ips", "")
            self.cfg.set("secure_scheme_headers", {})
            if "control_socket_disable" in self.cfg.settings:
                # One shared socket path per user: two servers on a machine would fight over it.
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return create_app()

    Gunicorn().run()


def _json_logger_class():
    from gunicorn.glogging import Logger

    from civic.config import load
    from civic.core.observability import configure_logging

    class JsonLogger(Logger):
        """gunicorn's own messages go through the platform's JSON log, one object per line."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                log.handlers.clear()
                log.propagate = True
            configure_logging(load()["LOG_LEVEL"])

    return JsonLogger


def _post_worker_init(worker) -> None:
    app = worker.wsgi
    if app.config["EMBEDDED_WORKER"]:
        start_embedded_worker(app)
