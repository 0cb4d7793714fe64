"""The web workspace for people in the roles, candidates and the public (zh-CN).

Server-rendered pages (Jinja) over the same services and authorisation as the REST API, with a
little JavaScript where a page needs it (adding table rows, the case diagram). Front-end packages
come from npm at build time (service/web/package.json, `make vendor`) into static/vendor; nothing
runs on Node at run time and nothing loads from outside the server's own origin.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from service.config import Settings
from service.domain import intake
from service.services import organisations
from service.services.authorization import may_design
from service.web import present, uploads
from service.web.auth import csrf_token, current_principal
from service.web.secret import session_key


def init_web(app: Flask, settings: Settings) -> None:
    from service.web import (  # noqa: F401  (their routes join the blueprint)
        admin_pages,
        designer_pages,
        file_pages,
        operations,
        public_pages,
        signer_pages,
    )
    from service.web.views import bp

    app.config.update(
        SECRET_KEY=session_key(settings.secret_key),
        SESSION_COOKIE_NAME="xuanpin_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.token_ttl_hours),
    )
    app.register_blueprint(bp)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_principal=current_principal)
    app.jinja_env.filters.update(
        beijing=present.beijing,
        case_status=present.case_status,
        day_text=present.day_text,
        value_text=present.value_text,
        organisation_name=lambda org_id: organisations.name_of(app.extensions["xuanpin"].db, org_id),
    )
    app.jinja_env.globals.update(
        due_text=present.due_text,
        file_slot=uploads.file_slot,
        file_list_slot=uploads.file_list_slot,
        max_upload_bytes=lambda: settings.max_upload_bytes,
        application_outcome=intake.outcome,
        may_design=lambda principal: may_design(principal, settings.designer_roles),
    )
