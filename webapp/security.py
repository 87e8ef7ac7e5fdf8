"""Browser protections on every response, and refusal of control characters in any input.

Scripts come only from the app's own static files (no inline script), no site may frame the
app, and no query parameter, form value or path segment may carry a control character other
than tab and newline (a NUL breaks PostgreSQL text; the engine checks task data itself).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import has_control_character

#: Scripts and styles from the app only; bpmn-js draws with inline styles, fonts and images
#: as data URIs.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
def init_app(app: Flask) -> None:
    """Check every request's input first and add the browser headers to every response."""
    app.before_request(refuse_control_characters)
    app.after_request(add_headers)


def refuse_control_characters() -> None:
    """400 for a control character in the path, a query parameter or a form value."""
    pairs = [(k, str(v)) for k, v in (request.view_args or {}).items()]
    for source in (request.args, request.form):
        pairs += [(name, value) for name in source for value in source.getlist(name)]
    bad = next((name for name, value in pairs
                if has_control_character(name) or has_control_character(value)), None)
    if bad is not None:
        abort(400, _("Control characters (such as NUL) are not allowed: %(field)s.",
                     field="".join("?" if has_control_character(c) else c for c in bad)))


def add_headers(response: Response) -> Response:
    """The browser headers, on every response (pages, JSON, files, errors)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
