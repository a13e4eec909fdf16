"""Settings from CIVIC_* environment variables, each with a documented default.

The core's settings are declared here, each component's in its own `settings.py`; the README's
configuration table is generated from these declarations (`python -m civic.config` prints it).
"""
import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

DEFAULT_SECRET = "dev-only-change-me"
PLATFORM = Path(__file__).resolve().parent


class Setting(NamedTuple):
    """One CIVIC_* setting; `shown` is the README's default column when `default` is computed or not a plain value."""

    parse: Callable[[str], Any]
    default: Any
    doc: str
    shown: str | None = None


# Packages of civic that are not components. Installed, the gateway and the migrations sit beside the
# components (civic/gateway/, civic/migrations/; in a checkout they are folders of their own).
NOT_COMPONENTS = frozenset({"core", "gateway", "migrations"})


def discover_components() -> tuple[str, ...]:
    """The components: folders under platform/ (but the core) whose `__init__.py` defines `init_app(app, api)`."""
    return tuple(sorted(init.parent.name for init in PLATFORM.glob("*/__init__.py")
                        if init.parent.name not in NOT_COMPONENTS and "def init_app(" in init.read_text()))


ALL_COMPONENTS = discover_components()


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", " ").split() if part.strip()]


def default_database_url() -> str:
    instance = Path(os.environ.get("CIVIC_INSTANCE_PATH", "instance")).resolve()
    return f"sqlite:///{instance / 'civic.db'}"


# name -> Setting. Each component declares its own in platform/<name>/settings.py (SETTINGS, the same
# shape); `all_settings()` gathers them. The README's configuration table is `readme_table()`'s output,
# checked by tests/test_readme.py, so a setting cannot exist without being documented as declared.
SETTINGS = {
    "ENV": Setting(str, "development",
                   '`development`, `test` or `production`. Production refuses the default secret and missing encryption keys.'),
    "SECRET_KEY": Setting(str, DEFAULT_SECRET,
                   'Signs sign-in sessions and CSRF tokens. Production needs 32+ random characters. With the default, the platform warns at start and `civic serve` refuses any address but loopback.'),
    "DATABASE_URL": Setting(str, None,
                   'SQLAlchemy URL. PostgreSQL: `postgresql+psycopg://user@host/dbname`.', shown='`sqlite:///instance/civic.db`'),
    "INSTANCE_PATH": Setting(str, "instance", "Folder of the default SQLite database."),
    "COMPONENTS": Setting(_list, list(ALL_COMPONENTS),
                   "Components to load (comma-separated; default: every component present); the others' routes do not exist."),
    "ENCRYPTION_KEYS": Setting(_list, [],
                   'Fernet keys for third-party secrets at rest, comma-separated, newest first (rotate by adding a new key at the front). Development derives one from the secret key. Make one with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'),
    "MAX_CONTENT_LENGTH": Setting(int, 1024 * 1024,
                   'Largest request body, in bytes (1 MiB); larger is a 413.'),
    "EMBEDDED_WORKER": Setting(_bool, True,
                   '`civic serve` runs background jobs in a thread of each web process.'),
    "JOB_LEASE_SECONDS": Setting(int, 60,
                   "How long a worker owns a claimed job; a dead worker's job is taken over after it."),
    "JOB_MAX_ATTEMPTS": Setting(int, 8,
                   'Attempts before a failing job is dead-lettered.'),
    "JOB_POLL_SECONDS": Setting(float, 1.0,
                   'How often an idle worker looks for due jobs.'),
    "LOG_LEVEL": Setting(str, "INFO",
                   'Level of the JSON logs (one object per line, with `request_id`).'),
    "ACCESS_TOKEN_TTL": Setting(int, 3600,
                   'Access token lifetime, seconds.'),
    "REFRESH_TOKEN_TTL": Setting(int, 30 * 24 * 3600,
                   'Refresh token lifetime, seconds (30 days).'),
    "AUTH_CODE_TTL": Setting(int, 600,
                   'Authorization code lifetime, seconds.'),
    "SECRET_GRACE_SECONDS": Setting(int, 24 * 3600,
                   'Default time an old client secret keeps working after a rotation.'),
    "RATELIMIT_STORAGE_URL": Setting(str, "memory://",
                   'Rate-limit counters. Use Redis (`redis://127.0.0.1:6379/0`) with more than one web process.'),
    "RATELIMIT_DEFAULT": Setting(str, "600 per minute",
                   'Default limit per client, over every route it calls together (`/v1/` and Open311, by token or API key). A steward can set `rate_limit` per client, and per organisation: a budget all its clients share. `RateLimit-*` headers show the budget nearest to running out.'),
    "RATELIMIT_ANONYMOUS": Setting(str, "300 per minute",
                   'Limit per address for calls with no token or API key (public Open311 reads, open data).'),
    "RATELIMIT_INBOUND": Setting(str, "3000 per minute",
                   "Limit per address and URL for providers' webhooks and delivery receipts (Stripe's, GOV.UK Notify's), which arrive in bursts from a few addresses."),
    "RATELIMIT_TOKEN_ENDPOINT": Setting(str, "60 per minute",
                   'Token endpoint limit, per client id and per address.'),
    "LOGIN_MAX_FAILURES": Setting(int, 5,
                   'Failed sign-ins or wrong secrets before a short lock-out.'),
    "LOGIN_LOCK_SECONDS": Setting(int, 300,
                   'Length of that lock-out (and of the window failures are counted in).'),
    "ISSUER": Setting(str, "",
                   'Public base URL (OAuth issuer) used in the OAuth metadata and Open311 discovery, e.g. `https://platform.example.gov.uk`. Required in production. Only with it set are those answers cacheable (`max-age=300`; otherwise `no-store`).', shown="the request's host (development/test)"),
    "ALLOWED_HOSTS": Setting(_list, [],
                   'Host names served, comma-separated (`.example.org` allows its subdomains); another `Host:` is a 400 `host_not_allowed`. `/healthz`, `/readyz` and `/metrics` answer any host.', shown="any (development/test); the issuer's host (production)"),
    "PROXY_X_FOR": Setting(int, 0,
                   'Proxy hops trusted to set `X-Forwarded-For` (the client address used for rate limits and logs). 0 trusts none.'),
    "PROXY_X_PROTO": Setting(int, 0,
                   'Proxy hops trusted to set `X-Forwarded-Proto`. Behind one TLS-terminating proxy set `1`, or OAuth refuses the plain-http hop (400 `https_required`).'),
    "PROXY_X_HOST": Setting(int, 0,
                   'Proxy hops trusted to set `X-Forwarded-Host`.'),
    "METRICS_PUBLIC": Setting(_bool, None,
                   'Whether `/metrics` is open to anyone. When not, it needs a `platform:admin` token or `CIVIC_METRICS_TOKEN`.', shown='`true` (development/test), `false` (production)'),
    "METRICS_TOKEN": Setting(str, "",
                   'A secret a metrics scraper sends as `Authorization: Bearer <secret>` when `/metrics` is not public.'),
}

def component_settings(name: str) -> dict[str, Setting]:
    """A component's own settings (platform/<name>/settings.py), if it declares any."""
    if importlib.util.find_spec(f"civic.{name}.settings") is None:
        return {}
    declared = importlib.import_module(f"civic.{name}.settings").SETTINGS
    return {setting: Setting(*fields) for setting, fields in declared.items()}


def all_settings() -> dict[str, Setting]:
    """The core's settings, then each component's, in the README's order."""
    found = dict(SETTINGS)
    for component in ALL_COMPONENTS:
        found.update(component_settings(component))
    return found


def shown_default(setting: Setting) -> str:
    """The default as the README shows it."""
    if setting.shown is not None:
        return setting.shown
    value = setting.default
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{','.join(value)}`" if value else "none"
    return f"`{value}`" if value != "" else "empty"


def readme_table() -> str:
    """The README's configuration table, generated from the declarations."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `CIVIC_{name}` | {shown_default(s)} | {s.doc} |" for name, s in all_settings().items()]
    return "\n".join(rows) + "\n"


def load(overrides: dict | None = None) -> dict:
    """Read every setting from the environment, then apply explicit overrides."""
    config: dict = {}
    for name, setting in all_settings().items():
        raw = os.environ.get(f"CIVIC_{name}")
        config[name] = setting.parse(raw) if raw is not None else setting.default
    if config["DATABASE_URL"] is None:
        config["DATABASE_URL"] = default_database_url()
    config.update(overrides or {})
    if config["METRICS_PUBLIC"] is None:
        config["METRICS_PUBLIC"] = config["ENV"] != "production"
    validate(config)
    return config


def validate(config: dict) -> None:
    """Refuse settings that would be unsafe or meaningless."""
    if config["ENV"] not in {"development", "test", "production"}:
        raise RuntimeError(f"CIVIC_ENV must be development, test or production, not {config['ENV']!r}")
    if config["ENV"] == "production":
        if config["SECRET_KEY"] == DEFAULT_SECRET or len(config["SECRET_KEY"]) < 32:
            raise RuntimeError("Refusing to start in production with the default or a short CIVIC_SECRET_KEY (need 32+ characters).")
        if not config["ENCRYPTION_KEYS"]:
            raise RuntimeError("Refusing to start in production without CIVIC_ENCRYPTION_KEYS.")
    for name in ("PROXY_X_FOR", "PROXY_X_PROTO", "PROXY_X_HOST"):
        if config[name] < 0:
            raise RuntimeError(f"CIVIC_{name} must be 0 or more proxy hops.")
    _check_encryption_keys(config["ENCRYPTION_KEYS"])
    if config["ENV"] == "production" and not config["ISSUER"]:
        # Otherwise any caller's Host header would choose the issuer and the endpoints it publishes.
        raise RuntimeError("Refusing to start in production without CIVIC_ISSUER (the public https URL).")
    _check_issuer(config["ISSUER"])
    if config["METRICS_TOKEN"] and len(config["METRICS_TOKEN"]) < 32:
        raise RuntimeError("CIVIC_METRICS_TOKEN must be 32+ random characters (it guards /metrics).")
    unknown = set(config["COMPONENTS"]) - set(ALL_COMPONENTS)
    if unknown:
        raise RuntimeError(f"CIVIC_COMPONENTS names unknown components: {', '.join(sorted(unknown))}")


def _check_issuer(issuer: str) -> None:
    from urllib.parse import urlsplit

    if not issuer:
        return
    parts = urlsplit(issuer)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/") or parts.query:
        raise RuntimeError(f"CIVIC_ISSUER must be a base URL such as https://platform.example.org, not {issuer!r}.")


def is_default_secret(config: dict) -> bool:
    return config["SECRET_KEY"] == DEFAULT_SECRET


def _check_encryption_keys(keys: list[str]) -> None:
    """A mistyped key would only fail when a secret is first read back: refuse it at start-up."""
    import base64
    import binascii

    for position, key in enumerate(keys, 1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise RuntimeError(f"CIVIC_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                               "(32 url-safe base64-encoded bytes, as cryptography's Fernet.generate_key() makes).")


if __name__ == "__main__":  # pragma: no cover
    print(readme_table(), end="")
