"""The citizen privacy page (`/privacy`): server-rendered, no script, GOV.UK Design System look.

HTTP only: each view checks the form's CSRF token first, then calls civic.privacy.citizen. A citizen enters
an email address or mobile number, types the code sent to it, then sees which organisations hold data
linked to it, downloads it, opts out of non-essential contact, and asks organisations for a copy checked
by their staff, a correction or an erasure. The code's id and the session token live in the signed, HttpOnly session cookie.

A wrong code is answered 200 with the form again: its spent try must be kept, and the core rolls back
every answer of 400 or more."""
from flask import Blueprint, current_app, redirect, render_template, request
from flask import session as cookie

from civic.core import contact, forms
from civic.core.auth import public
from civic.privacy import citizen

bp = Blueprint("privacy-pages", __name__, template_folder="templates")
CODE, SESSION = "privacy_code", "privacy_session"
REQUEST_NAMES = {"access": "send you a copy of", "rectification": "correct", "erasure": "delete"}


def _page(template: str, status: int = 200, headers: dict | None = None, **context):
    context.setdefault("error", None)
    body = render_template(f"privacy/{template}", csrf=forms.csrf_token(), **context)
    return forms.html(body, status, headers)


def _stale():
    return _page("start.html", 400, error="Your session expired or the form was sent from elsewhere. Please start again.",
                 field=None)


def _signed_in():
    return citizen.signed_in(cookie.get(SESSION))


def _minutes() -> int:
    return current_app.config["PRIVACY_CITIZEN_CODE_MINUTES"]


def _see_other(path: str):
    return redirect(path, code=303)


@bp.route("/privacy", methods=["GET", "POST"])
@public
def start():
    """Start: enter an email address or mobile number to get a code."""
    if request.method == "GET":
        return _page("start.html", field=None)
    if not forms.csrf_ok():
        return _stale()
    typed = request.form.get("contact", "")
    try:
        row = citizen.start(text=typed, address=request.remote_addr or "")
    except contact.InvalidContact as exc:
        return _page("start.html", 400, error=str(exc), field="contact", typed=typed[:320])
    except citizen.TooMany:
        return _page("start.html", 429, {"Retry-After": "900"}, field=None, typed=typed[:320],
                     error="You have asked for too many codes. Wait 15 minutes, then try again.")
    except citizen.CannotSend:
        return _page("unavailable.html", 503, {"Retry-After": "300"})
    cookie[CODE] = str(row.id)
    return _see_other("/privacy/code")


@bp.route("/privacy/code", methods=["GET", "POST"])
@public
def code():
    """Enter the code that was sent."""
    sent_to = citizen.code_sent_to(cookie.get(CODE)) if cookie.get(CODE) else None
    if sent_to is None:
        cookie.pop(CODE, None)
        if request.method == "GET":
            return _see_other("/privacy")
        return _page("start.html", 400, field=None, error="That code has expired or been used. Ask for a new one.")
    if request.method == "GET":
        return _page("code.html", kind=sent_to[0], sent_to=sent_to[1], minutes=_minutes())
    if not forms.csrf_ok():
        return _stale()
    token, left = citizen.verify(code_id=cookie[CODE], code=request.form.get("code", ""))
    if token is None:
        if left == 0:
            cookie.pop(CODE, None)
            return _page("start.html", field=None, error="That code has been tried too many times. Ask for a new one.")
        return _page("code.html", kind=sent_to[0], sent_to=sent_to[1], minutes=_minutes(),
                     error=f"The code is not right. Check it and try again ({left} {'try' if left == 1 else 'tries'} left).")
    cookie.pop(CODE, None)
    cookie.pop("csrf", None)  # signed in: a new CSRF token from the next page on
    cookie[SESSION] = token
    return _see_other("/privacy/mine")


@bp.get("/privacy/mine")
@public
def mine():
    """Which organisations hold data linked to the email address or phone number."""
    person = _signed_in()
    if person is None:
        return _see_other("/privacy")
    held, withheld = citizen.holders(person)
    citizen.seen(person, held)
    return _page("mine.html", person=person, held=held, withheld=withheld, asked=citizen.requests_of(person))


@bp.get("/privacy/mine.json")
@public
def download():
    """Download everything held, as a JSON file."""
    person = _signed_in()
    if person is None:
        return _see_other("/privacy")
    return forms.html(citizen.download(person), mimetype="application/json",
                      headers={"Content-Disposition": 'attachment; filename="my-data.json"'})


@bp.post("/privacy/mine/opt-out")
@public
def opt_out():
    """Stop non-essential messages from every organisation."""
    person = _signed_in()
    if person is None:
        return _see_other("/privacy")
    if not forms.csrf_ok():
        return _stale()
    return _page("done.html", person=person, opted_out=citizen.opt_out(person), asked=None)


@bp.post("/privacy/mine/requests")
@public
def ask():
    """Ask organisations for a copy, a correction or an erasure of what they hold."""
    person = _signed_in()
    if person is None:
        return _see_other("/privacy")
    if not forms.csrf_ok():
        return _stale()
    kind, details = request.form.get("kind", ""), request.form.get("details", "")
    try:
        asked = citizen.ask(person, kind=kind, details=details, slugs=request.form.getlist("organisation"))
    except ValueError as exc:
        held, withheld = citizen.holders(person)
        return _page("mine.html", 400, person=person, held=held, withheld=withheld, error=str(exc),
                     asked=citizen.requests_of(person),
                     kind=kind, details=details[:citizen.DETAILS_MAX])
    return _page("done.html", person=person, asked=asked, what=REQUEST_NAMES[kind], opted_out=None)


@bp.post("/privacy/sign-out")
@public
def sign_out():
    """Sign out of the privacy page."""
    if forms.csrf_ok():
        citizen.sign_out(cookie.get(SESSION))
        cookie.pop(SESSION, None)
    return _see_other("/privacy")
