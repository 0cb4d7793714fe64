"""选聘流 – runs the personnel-selection procedures of state-owned enterprises as BPMN processes."""

from __future__ import annotations

from flask import Flask

from service.config import Settings
from service.container import Container


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory: one container (database, engine) per app."""
    from service.api import init_api

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["xuanpin"] = Container.build(settings)
    init_api(app)
    return app
