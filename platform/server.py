"""`civic serve`: the embedded default (one process, jobs in a thread) or gunicorn workers."""
import logging

from civic.app import create_app
from civic.core.jobs import start_embedded_worker

log = logging.getLogger("civic.server")


def run(*, host: str, port: int, workers: int, threads: int) -> None:
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
            self.cfg.set("accesslog", None)
            self.cfg.set("post_worker_init", _post_worker_init)

        def load(self):
            return create_app()

    Gunicorn().run()


def _post_worker_init(worker) -> None:
    app = worker.wsgi
    if app.config["EMBEDDED_WORKER"]:
        start_embedded_worker(app)
