"""A Notify-compatible API, in process: what sandbox clients send through, and what tests serve on loopback.

It answers the endpoints `notifications-python-client` calls (`POST /v2/notifications/{email,sms,letter}`,
`GET /v2/notifications/{id}`, `GET /v2/notifications` by `reference`, `status`, `template_type` and
`older_than`, `GET /v2/template/{id}`, `POST /v2/template/{id}/preview`), in Notify's shapes and its error
format (`{"errors": [{"error": ..., "message": ...}], "status_code": 400}`). It checks the JWT as Notify
does (HS256, `iss` the service id, signed with the key's secret, `iat` within 30 seconds) and a
per-minute limit per key. A test key's messages end as Notify's documented simulated recipients say:
`temp-fail@simulator.notify` and `07700900003` a temporary failure, `perm-fail@simulator.notify` and
`07700900002` a permanent failure, anything else delivered (letters: received).
"""
import datetime as dt
import json
import re
import threading
import time
import uuid

import requests
from notifications_python_client import authentication as notify_jwt
from notifications_python_client.errors import TokenError
from werkzeug.test import Client as WsgiClient
from werkzeug.wrappers import Request, Response

PLACEHOLDER = re.compile(r"\(\(([^)(]+?)(?:\?\?[^)]*)?\)\)")
TEMP_FAIL = {"temp-fail@simulator.notify", "+447700900003", "07700900003"}
PERM_FAIL = {"perm-fail@simulator.notify", "+447700900002", "07700900002"}
SIMULATED_URL = "http://notify.simulator.invalid"
PAGE = 250

# Templates every simulated service has (the demo's), so a sandbox client can try sending at once.
DEMO_TEMPLATES = {
    "6f9bd7a3-5d2c-4b8e-9a41-0c5a7e3b1d01": {
        "name": "Booking confirmation", "type": "email", "subject": "Your booking: ((resource))",
        "body": "Hello ((name)),\n\nYou are booked for ((resource)) on ((start)).\n\nReference: ((booking_reference))"},
    "6f9bd7a3-5d2c-4b8e-9a41-0c5a7e3b1d02": {
        "name": "Collection reminder", "type": "sms", "subject": None,
        "body": "Reminder: your bulky waste collection is on ((date)). Put items out by 7am."},
    "6f9bd7a3-5d2c-4b8e-9a41-0c5a7e3b1d03": {
        "name": "Pothole repaired letter", "type": "letter", "subject": "The pothole you reported",
        "body": "Dear ((name)),\n\nThe pothole at ((location)) has been repaired."},
}


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def placeholders(*texts: str | None) -> list[str]:
    found: dict[str, None] = {}
    for text in texts:
        for name in PLACEHOLDER.findall(text or ""):
            found[name.strip()] = None
    return list(found)


def _fill(text: str | None, values: dict) -> str | None:
    if text is None:
        return None
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1).strip(), m.group(0))), text)


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def error_response(status: int, error: str, message: str) -> Response:
    return Response(json.dumps({"errors": [{"error": error, "message": message}], "status_code": status}),
                    status=status, mimetype="application/json")


class Simulator:
    """Notify's API in memory. Thread-safe; `app` is its WSGI application."""

    def __init__(self, *, per_minute: int = 3000, base_url: str = SIMULATED_URL):
        self.lock = threading.RLock()
        self.base_url = base_url
        self.per_minute = per_minute
        self.keys: dict[str, dict] = {}  # service id -> {"secret", "key_type", "name"}
        self.templates: dict[str, dict] = {tid: {**t, "version": 1} for tid, t in DEMO_TEMPLATES.items()}
        self.notifications: dict[str, dict] = {}
        self.window: dict[str, list[float]] = {}
        self.faults: list[tuple[str, object]] = []  # ("status", 500) / ("timeout", seconds), consumed in order
        self.callback: dict[str, str] | None = None  # {"url", "token"}
        self.requests: list[tuple[str, str]] = []  # (method, path): what the client asked, in order

    # --- set-up -------------------------------------------------------------------------
    def add_key(self, service_id: str, secret: str, key_type: str = "live") -> None:
        with self.lock:
            self.keys[service_id] = {"secret": secret, "key_type": key_type}

    def add_template(self, template_type: str, body: str, *, subject: str | None = None, name: str = "Template",
                     template_id: str | None = None) -> str:
        template_id = template_id or str(uuid.uuid4())
        with self.lock:
            self.templates[template_id] = {"name": name, "type": template_type, "subject": subject, "body": body,
                                           "version": 1}
        return template_id

    def fail_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([("status", status)] * times)

    def timeout_next(self, seconds: float, times: int = 1) -> None:
        """The next sends are accepted (stored) and answered only after `seconds`."""
        with self.lock:
            self.faults.extend([("timeout", seconds)] * times)

    def set_status(self, notification_id: str, status: str, *, post_callback: bool = True) -> None:
        with self.lock:
            note = self.notifications[notification_id]
            note["status"] = status
            note["completed_at"] = now_iso() if status not in ("created", "sending", "pending", "accepted") else None
            body = self.callback_body(note)
            callback = dict(self.callback) if self.callback else None
        if post_callback and callback:
            requests.post(callback["url"], json=body, timeout=10,
                          headers={"Authorization": f"Bearer {callback['token']}"})

    @staticmethod
    def callback_body(note: dict) -> dict:
        """Notify's delivery-receipt callback body."""
        return {"id": note["id"], "reference": note["reference"], "to": note["to"], "status": note["status"],
                "created_at": note["created_at"], "completed_at": note["completed_at"], "sent_at": note["sent_at"],
                "notification_type": note["type"], "template_id": note["template"]["id"],
                "template_version": note["template"]["version"]}

    def sent(self, reference: str | None = None) -> list[dict]:
        with self.lock:
            return [n for n in self.notifications.values() if reference is None or n["reference"] == reference]

    # --- WSGI ----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except NotifyError as exc:
            response = error_response(exc.status, exc.error, exc.message)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.method, request.path))
        service_id = self.authenticate(request)
        self.limit(service_id)
        path, method = request.path.rstrip("/"), request.method
        match = re.fullmatch(r"/v2/notifications/(email|sms|letter)", path)
        if match and method == "POST":
            return self.send(service_id, match.group(1), request.get_json(force=True, silent=True) or {})
        if path == "/v2/notifications" and method == "GET":
            return self.list(service_id, request.args)
        match = re.fullmatch(r"/v2/notifications/([^/]+)", path)
        if match and method == "GET":
            return self.json(self.find(service_id, match.group(1)))
        match = re.fullmatch(r"/v2/template/([^/]+)(/preview)?", path)
        if match and (method == "GET" and not match.group(2) or method == "POST" and match.group(2)):
            template_id, template = self.template(match.group(1))
            if match.group(2):
                return self.preview(template_id, template, request.get_json(force=True, silent=True) or {})
            return self.json(self.template_body(template_id, template))
        raise NotifyError(404, "NotFound", "The requested URL was not found on the server.")

    @staticmethod
    def json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def authenticate(self, request: Request) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotifyError(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            service_id = notify_jwt.get_token_issuer(token)
        except TokenError:
            raise NotifyError(403, "AuthError", "Invalid token: signature, api token not found") from None
        key = self.keys.get(service_id)
        if key is None:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        try:
            notify_jwt.decode_jwt_token(token, key["secret"])
        except TokenError as exc:
            if "expired" in exc.message.lower() or "future" in exc.message.lower() or "iat" in exc.message.lower():
                raise NotifyError(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds") from None
            raise NotifyError(403, "AuthError", "Invalid token: API key not found") from None
        return service_id

    def limit(self, service_id: str) -> None:
        with self.lock:
            stamps = [t for t in self.window.get(service_id, []) if t > time.monotonic() - 60]
            if len(stamps) >= self.per_minute:
                self.window[service_id] = stamps
                kind = self.keys[service_id]["key_type"].upper()
                raise NotifyError(429, "RateLimitError",
                                  f"Exceeded rate limit for key type {kind} of {self.per_minute} requests per 60 seconds")
            stamps.append(time.monotonic())
            self.window[service_id] = stamps

    def template(self, template_id: str) -> tuple[str, dict]:
        try:
            template_id = str(uuid.UUID(template_id))
        except ValueError:
            raise NotifyError(400, "ValidationError", "template_id is not a valid UUID") from None
        with self.lock:
            template = self.templates.get(template_id)
        if template is None:
            raise NotifyError(404, "NoResultFound", "No result found")
        return template_id, template

    def template_body(self, template_id: str, template: dict) -> dict:
        fields = placeholders(template["subject"], template["body"])
        if template["type"] == "letter":
            fields = [f"address_line_{n}" for n in range(1, 8)] + fields
        return {"id": template_id, "name": template["name"], "type": template["type"],
                "created_at": "2026-01-05T10:00:00.000000Z", "updated_at": None, "created_by": "staff@example.org",
                "version": template["version"], "body": template["body"], "subject": template["subject"],
                "letter_contact_block": None, "postage": "second" if template["type"] == "letter" else None,
                "personalisation": {name: {"required": not name.startswith("address_line_") or name in (
                    "address_line_1", "address_line_2", "address_line_3")} for name in fields}}

    @staticmethod
    def _missing(template: dict, personalisation: dict) -> list[str]:
        return [f for f in placeholders(template["subject"], template["body"]) if f not in personalisation]

    def preview(self, template_id: str, template: dict, body: dict) -> Response:
        values = body.get("personalisation") or {}
        missing = self._missing(template, values)
        if missing:
            raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        return self.json({"id": template_id, "type": template["type"], "version": template["version"],
                          "body": _fill(template["body"], values), "subject": _fill(template["subject"], values),
                          "html": None, "postage": None})

    def _recipient(self, channel: str, body: dict) -> str:
        if channel == "email":
            address = str(body.get("email_address") or "")
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
            return address
        if channel == "sms":
            number = re.sub(r"[\s()-]", "", str(body.get("phone_number") or ""))
            if not re.fullmatch(r"(\+44|0)7\d{9}|\+\d{8,15}", number):
                raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
            return number
        lines = [body.get("personalisation", {}).get(f"address_line_{n}") for n in range(1, 8)]
        lines = [str(line) for line in lines if line]
        if len(lines) < 3:
            raise NotifyError(400, "ValidationError", "Address must be at least 3 lines")
        if not re.fullmatch(r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}", lines[-1].strip()):
            raise NotifyError(400, "ValidationError", "Last line of address must be a real UK postcode or another country")
        return lines[0]

    def send(self, service_id: str, channel: str, body: dict) -> Response:
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault and fault[0] == "status":
            raise self._fault_error(fault[1])
        delay = fault[1] if fault else None
        template_id, template = self.template(str(body.get("template_id") or ""))
        if template["type"] != channel:
            raise NotifyError(400, "BadRequestError", f"{channel} template is not suitable for {template['type']} notification")
        values = body.get("personalisation") or {}
        missing = self._missing(template, values)
        if missing:
            raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        to = self._recipient(channel, body)
        key_type = self.keys[service_id]["key_type"]
        note_id = str(uuid.uuid4())
        status = "accepted" if channel == "letter" else "created"
        if key_type == "test":
            status = "received" if channel == "letter" else (
                "temporary-failure" if to in TEMP_FAIL else "permanent-failure" if to in PERM_FAIL else "delivered")
        note = {"id": note_id, "service_id": service_id, "reference": body.get("reference"), "type": channel,
                "status": status, "to": to, "template": {"id": template_id, "version": template["version"],
                                                          "uri": f"{self.base_url}/v2/template/{template_id}"},
                "body": _fill(template["body"], values), "subject": _fill(template["subject"], values),
                "created_at": now_iso(), "sent_at": None, "completed_at": None,
                "postage": body.get("postage") if channel == "letter" else None,
                "one_click_unsubscribe_url": body.get("one_click_unsubscribe_url")}
        with self.lock:
            self.notifications[note_id] = note
        if delay:
            time.sleep(delay)  # accepted, but the caller has given up waiting by now
        content = {"body": note["body"]}
        if channel == "email":
            content.update(subject=note["subject"], from_email="riverside@notifications.service.gov.uk",
                           one_click_unsubscribe_url=note["one_click_unsubscribe_url"])
        elif channel == "sms":
            content["from_number"] = "Riverside"
        else:
            content["subject"] = note["subject"]
        answer = {"id": note_id, "reference": note["reference"], "content": content,
                  "uri": f"{self.base_url}/v2/notifications/{note_id}", "template": note["template"]}
        if channel == "letter":
            answer["scheduled_for"] = None
        return self.json(answer, 201)

    @staticmethod
    def _fault_error(status: int) -> NotifyError:
        return {400: NotifyError(400, "BadRequestError", "Can't send to this recipient using a team-only API key"),
                403: NotifyError(403, "AuthError", "Invalid token: API key not found"),
                429: NotifyError(429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
                }.get(status, NotifyError(status, "Exception", "Internal server error"))

    def public(self, note: dict) -> dict:
        line = {"email": "email_address", "sms": "phone_number"}
        body = {"id": note["id"], "reference": note["reference"], "email_address": None, "phone_number": None,
                "type": note["type"], "status": note["status"], "template": note["template"], "body": note["body"],
                "subject": note["subject"], "created_at": note["created_at"], "created_by_name": None,
                "sent_at": note["sent_at"], "completed_at": note["completed_at"], "scheduled_for": None,
                "postage": note["postage"], "one_click_unsubscribe_url": note["one_click_unsubscribe_url"]}
        if note["type"] in line:
            body[line[note["type"]]] = note["to"]
        return body

    def find(self, service_id: str, notification_id: str) -> dict:
        try:
            notification_id = str(uuid.UUID(notification_id))
        except ValueError:
            raise NotifyError(400, "ValidationError", "notification_id is not a valid UUID") from None
        with self.lock:
            note = self.notifications.get(notification_id)
        if note is None or note["service_id"] != service_id:
            raise NotifyError(404, "NoResultFound", "No result found")
        return self.public(note)

    def list(self, service_id: str, args) -> Response:
        with self.lock:
            notes = [n for n in reversed(list(self.notifications.values())) if n["service_id"] == service_id]
        for name, key in (("reference", "reference"), ("status", "status"), ("template_type", "type")):
            if args.get(name):
                notes = [n for n in notes if n[key] == args[name]]
        if args.get("older_than"):
            ids = [n["id"] for n in notes]
            notes = notes[ids.index(args["older_than"]) + 1:] if args["older_than"] in ids else []
        page = notes[:PAGE]
        links = {"current": f"{self.base_url}/v2/notifications"}
        if len(notes) > PAGE:
            links["next"] = f"{self.base_url}/v2/notifications?older_than={page[-1]['id']}"
        return self.json({"notifications": [self.public(n) for n in page], "links": links})


class InProcessAdapter(requests.adapters.BaseAdapter):
    """A `requests` transport that hands each call to a WSGI app in this process (no socket)."""

    def __init__(self, wsgi_app):
        super().__init__()
        self.client = WsgiClient(wsgi_app)

    def send(self, request, **kwargs):
        answer = self.client.open(request.path_url, method=request.method, headers=dict(request.headers),
                                  data=request.body)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.get_data()
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self):
        pass
