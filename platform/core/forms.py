"""Server-rendered pages with forms (the staff sign-in, the citizen privacy page): one way to do them.

Every form carries the browser's CSRF token (`csrf_token()`, kept in the signed session cookie) and every
POST checks it first (`csrf_ok()`); every page is sent by `html()`: no script, no framing, no caching, and
forms may post only to this site (and to the origins named, such as an OAuth client's redirect)."""
import hmac
import secrets

from flask import current_app, request
from flask import session as cookie


def csrf_token() -> str:
    if "csrf" not in cookie:
        cookie["csrf"] = secrets.token_urlsafe(32)
    return cookie["csrf"]


def csrf_ok() -> bool:
    """The form's token matches the one in this browser's cookie; no cookie, no match."""
    expected = cookie.get("csrf")
    return bool(expected) and hmac.compare_digest(request.form.get("csrf", "").encode(), expected.encode())


def html(body: str, status: int = 200, headers: dict | None = None, form_origins=(), mimetype: str = "text/html"):
    return current_app.response_class(body, status=status, mimetype=mimetype, headers={
        "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; "
                                   f"form-action 'self'{''.join(' ' + o for o in form_origins)}",
        "X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        **(headers or {})})
