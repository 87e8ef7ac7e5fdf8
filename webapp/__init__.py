"""Anjie's web app: `create_app(settings=None)` builds the Flask app around one engine facade."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Settings
from webapp.services import ENGINE_KEY, SETTINGS_KEY

if TYPE_CHECKING:
    from engine import Engine

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the app. `settings` overrides the ANJIE_* environment (tests pass their own);
    `engine` lets a caller share an already-open engine (tests, the demo, the benchmark)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or _secret_key(settings.secret_key_file),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="anjie_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_lifetime_hours),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1_000_000,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
    )
    if engine is None:
        from engine import Engine

        engine = Engine.open(settings=settings)
    app.extensions[ENGINE_KEY] = engine
    app.extensions[SETTINGS_KEY] = settings

    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops,  # type: ignore[method-assign]
                                x_proto=settings.proxy_hops)
    csrf.init_app(app)
    from webapp import (
        api,
        auth,
        campaigns,
        case_audit,
        cases,
        dashboard,
        deployments,
        designer,
        designer_api,
        errors,
        external_api,
        heatmap,
        i18n,
        inbox,
        instance_api,
        labels,
        ledger,
        ledger_import,
        messages_api,
        notices,
        operation_log,
        reminders,
        report_api,
        reports,
        security,
        tasks,
        tokens,
        users,
    )

    security.init_app(app)

    i18n.init_app(app)
    app.jinja_env.globals["event_label"] = labels.event_label
    app.jinja_env.globals["status_label"] = labels.status_label
    app.jinja_env.globals["role_label"] = labels.role_label
    app.jinja_env.filters["problem"] = labels.problem_text
    app.jinja_env.globals["process_label"] = labels.process_label
    app.jinja_env.globals["computed_label"] = labels.computed_label
    app.jinja_env.globals["person_label"] = labels.person_label
    app.jinja_env.filters["roles"] = labels.role_labels
    app.jinja_env.globals["notice_offers"] = notices.offers
    reminders.init_app(app)
    operation_log.init_app(app)  # before the login check, which names the actor
    auth.init_app(app)
    errors.init_app(app)
    for module in (auth, inbox, tasks, cases, case_audit, heatmap, ledger, ledger_import, deployments, designer, users,
                   tokens, errors, i18n, operation_log, notices, reminders, reports, campaigns, dashboard):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # the API takes bearer tokens only, never the session cookie
    app.register_blueprint(api.bp)
    for integration in (external_api, messages_api, instance_api, designer_api, report_api):
        csrf.exempt(integration.bp)  # bearer tokens only, as for the API
        app.register_blueprint(integration.bp)
    return app


def _secret_key(path: Path) -> str:
    """The SECRET_KEY kept in the instance folder, made on first start (never committed),
    readable by the owner only."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key
