"""Serving with gunicorn from the `xuanpin serve` command, not from a config file."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

from service import metrics

log = logging.getLogger(__name__)


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        import gc

        from service import create_app
        from service.services.interruptions import recover_interrupted

        app = create_app()
        # A worker starts where one was killed: settle the case that worker was advancing.
        try:
            recover_interrupted(app.extensions["xuanpin"])
        except Exception:
            log.exception("recovering interrupted work failed")
        # Move the start-up objects (modules, ORM, specs) out of the collector's way: full
        # collections otherwise rescan ~200k objects and dominate the p95 of large instances.
        gc.collect()
        gc.freeze()
        return app


def _metrics_directory() -> str:
    """Where the workers' metric files go (service/metrics.py): an operator's own
    PROMETHEUS_MULTIPROC_DIR, emptied, or a fresh temporary directory removed at exit. Set before
    the workers fork, so each imports prometheus_client in multiprocess mode."""
    chosen = os.environ.get(metrics.MULTIPROC_ENV)
    if chosen:
        os.makedirs(chosen, exist_ok=True)
        for name in os.listdir(chosen):  # samples of an earlier run would be added in
            if name.endswith(".db"):
                os.unlink(os.path.join(chosen, name))
        return chosen
    chosen = tempfile.mkdtemp(prefix="xuanpin-metrics-")
    atexit.register(shutil.rmtree, chosen, ignore_errors=True)
    os.environ[metrics.MULTIPROC_ENV] = chosen
    return chosen


def _child_exit(_server: Any, worker: Any) -> None:
    metrics.mark_worker_gone(worker.pid)


def run(host: str, port: int, workers: int, timeout: int, log_format: str = "text") -> None:
    directory = _metrics_directory()
    log.info("metrics of all workers in %s", directory)
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 8,
        "timeout": timeout,
        "graceful_timeout": 20,
        "child_exit": _child_exit,
        "accesslog": "-",
        # Never log query strings or headers: tokens may travel there.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    }
    if log_format == "json":
        # The app writes its own access line as JSON, with the request id and actor (service/logs.py).
        options["accesslog"] = None
    _Server(options).run()
