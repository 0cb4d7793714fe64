"""选聘流 – runs the personnel-selection procedures of state-owned enterprises as BPMN processes."""

from __future__ import annotations

from flask import Flask

from service.config import Settings
from service.container import Container


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory: one container (database, engine) per app."""
    from service import logs
    from service.api import init_api
    from service.web import init_web

    settings = settings or Settings.from_env()
    logs.configure(settings.log_format)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    container = Container.build(settings)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client address (login throttling, audit) from the proxies' X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.extensions["xuanpin"] = container
    init_api(app)
    init_web(app, settings)
    if settings.scheduler_enabled:
        start_scheduler(container)
    return app


def start_scheduler(container: Container) -> None:
    import atexit

    from service.scheduler import TimerScheduler

    container.scheduler = TimerScheduler(container, container.settings.timer_sweep_seconds)
    container.scheduler.start()
    atexit.register(container.scheduler.shutdown)
