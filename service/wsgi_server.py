"""Serving with gunicorn from the `xuanpin serve` command, not from a config file."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

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


def run(host: str, port: int, workers: int, timeout: int) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 8,
            "timeout": timeout,
            "graceful_timeout": 20,
            "accesslog": "-",
            # Never log query strings or headers: tokens may travel there.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        }
    ).run()
