"""The one way the component talks to GOV.UK Notify: the real `notifications-python-client`.

Live clients call `CIVIC_NOTIFY_BASE_URL`; sandbox clients call `CIVIC_NOTIFY_SANDBOX_BASE_URL` or, when it
is empty, the simulated Notify in this process (civic.notify.simulator, through a `requests` transport:
no socket), which treats every key as a test key. The key is decrypted only here, only to build a client,
and never logged: the client puts only a signed token on the wire.
"""
import os
import re
import threading
import uuid

import requests
from flask import current_app
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from civic.core import crypto
from civic.notify import problems
from civic.notify.simulator import SIMULATED_URL, InProcessAdapter, Simulator

KEY = re.compile(r"^(?P<name>.+)-(?P<service>[0-9a-fA-F-]{36})-(?P<secret>[0-9a-fA-F-]{36})$")
_local = threading.local()


def parse_key(api_key: str) -> dict:
    """`{key name}-{service id}-{secret}` -> its parts (422 `notify_key_invalid` naming no part of it)."""
    match = KEY.match((api_key or "").strip())
    try:
        if match is None:
            raise ValueError
        uuid.UUID(match["service"]), uuid.UUID(match["secret"])
    except ValueError:
        raise problems.INVALID_KEY("That is not a Notify API key: expected {key name}-{service id}-{secret}.",
                                   errors={"api_key": ["Not a Notify API key."]}) from None
    return {"key_name": match["name"], "service_id": match["service"].lower(), "secret": match["secret"].lower()}


def simulator(app=None) -> Simulator:
    app = app or current_app
    return app.extensions.setdefault("civic.notify.simulator", Simulator())


def client_for(config) -> NotificationsAPIClient:
    """A client for the organisation's key in its world (one per thread and key: the client is not thread-safe)."""
    settings = current_app.config
    base_url = settings["NOTIFY_SANDBOX_BASE_URL"] if config.sandbox else settings["NOTIFY_BASE_URL"]
    cache = _local.__dict__.setdefault("clients", {})
    cache_key = (id(current_app._get_current_object()), base_url, config.key_ciphertext)
    if cache_key not in cache:
        api_key = crypto.decrypt(config.key_ciphertext)
        client = NotificationsAPIClient(api_key, base_url=base_url or SIMULATED_URL,
                                        timeout=settings["NOTIFY_TIMEOUT_SECONDS"])
        _settle_environment(client.request_session, base_url)
        if config.sandbox and not base_url:
            sim = simulator()
            parts = parse_key(api_key)
            sim.add_key(parts["service_id"], parts["secret"], "test")
            client.request_session.mount(SIMULATED_URL, InProcessAdapter(sim))
        if len(cache) > 64:
            cache.clear()
        cache[cache_key] = client
    return cache[cache_key]


def _settle_environment(http: requests.Session, base_url: str | None) -> None:
    """Read the proxy and CA bundle settings from the environment once, when the client is made, instead of on
    every request (requests does that for a session that trusts the environment: a scan of every variable
    and a look for ~/.netrc per message). A netrc entry is never used: the JWT is the only credential."""
    http.proxies = requests.utils.get_environ_proxies(base_url) if base_url else {}
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        http.verify = bundle
    http.trust_env = False


def message_of(error: APIError) -> str:
    """Notify's own words for an error (its `errors[].message`), never the request (which carries the token)."""
    message = error.message
    if isinstance(message, list):
        message = "; ".join(str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in message)
    return f"{error.status_code}: {message}"[:500]


def kind_of(error: APIError) -> str:
    """`permanent` (400: this message can never be sent), `refused` (401/403: the key), else `retry`."""
    if error.status_code == 400 or error.status_code == 404:
        return "permanent"
    if error.status_code in (401, 403):
        return "refused"
    return "retry"  # 429, 5xx, and timeouts or connection failures (the client reports them as 503)


def raise_for_request(error: APIError, what: str):
    """Turn Notify's answer to a call made during a request into our problem (never naming the key)."""
    if kind_of(error) == "refused":
        raise problems.KEY_REFUSED(f"Notify refused your organisation's API key ({message_of(error)}).") from None
    if error.status_code == 404:
        raise problems.TEMPLATE_NOT_FOUND(f"Notify has no {what} with that id for your service.") from None
    if error.status_code == 400:
        raise problems.TEMPLATE_NOT_FOUND(f"Notify refused the {what}: {message_of(error)}") from None
    raise problems.NOTIFY_UNAVAILABLE(f"Notify did not answer ({message_of(error)}).",
                                      headers={"Retry-After": "60"}) from None
