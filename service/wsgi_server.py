"""Serving with gunicorn from the `xuanpin serve` command, not from a config file."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


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

        app = create_app()
        # Move the start-up objects (modules, ORM, specs) out of the collector's way: full
        # collections otherwise rescan ~200k objects and dominate the p95 of large instances.
        gc.collect()
        gc.freeze()
        return app


def run(host: str, port: int, workers: int) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 8,
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": "-",
            # Never log query strings or headers: tokens may travel there.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        }
    ).run()
