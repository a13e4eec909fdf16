"""Settings from CIVIC_* environment variables, each with a documented default.

Every setting here is listed in the README's configuration table.
"""
import os
from pathlib import Path

DEFAULT_SECRET = "dev-only-change-me"
ALL_COMPONENTS = ("booking", "reporting", "casework", "payments", "notify")


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", " ").split() if part.strip()]


def default_database_url() -> str:
    instance = Path(os.environ.get("CIVIC_INSTANCE_PATH", "instance")).resolve()
    return f"sqlite:///{instance / 'civic.db'}"


# name -> (parser, default, description). The README table is generated from the
# same words, so a setting cannot exist without being documented.
SETTINGS = {
    "ENV": (str, "development", "`development`, `test` or `production`. Production refuses a default secret."),
    "SECRET_KEY": (str, DEFAULT_SECRET, "Signs sessions and CSRF tokens. Must be set in production."),
    "DATABASE_URL": (str, None, "SQLAlchemy URL. Default: an SQLite file `instance/civic.db`. PostgreSQL: `postgresql+psycopg://user@host/db`."),
    "COMPONENTS": (_list, list(ALL_COMPONENTS), "Components to load, comma-separated (default: all)."),
    "ENCRYPTION_KEYS": (_list, [], "Fernet keys for third-party secrets at rest, comma-separated, newest first. Default (development only): derived from the secret key."),
    "MAX_CONTENT_LENGTH": (int, 1024 * 1024, "Largest request body accepted, in bytes (default 1 MiB)."),
    "EMBEDDED_WORKER": (_bool, True, "`civic serve` runs background jobs in a thread of the web process."),
    "JOB_LEASE_SECONDS": (int, 60, "How long a worker owns a job before another may take it over."),
    "JOB_MAX_ATTEMPTS": (int, 8, "Attempts before a failing job is dead-lettered."),
    "JOB_POLL_SECONDS": (float, 1.0, "How often an idle worker looks for new jobs."),
    "LOG_LEVEL": (str, "INFO", "Log level of the JSON logs."),
    "ACCESS_TOKEN_TTL": (int, 3600, "Access token lifetime, seconds."),
    "REFRESH_TOKEN_TTL": (int, 30 * 24 * 3600, "Refresh token lifetime, seconds."),
    "AUTH_CODE_TTL": (int, 600, "Authorization code lifetime, seconds."),
    "SECRET_GRACE_SECONDS": (int, 24 * 3600, "Default time an old client secret keeps working after rotation."),
    "RATELIMIT_STORAGE_URL": (str, "memory://", "Rate-limit counters: `memory://` or a Redis URL such as `redis://127.0.0.1:6379/0`."),
    "RATELIMIT_DEFAULT": (str, "600 per minute", "Default limit per client, over all the routes it calls together (a steward can override it per client)."),
    "RATELIMIT_ANONYMOUS": (str, "300 per minute", "Limit per address for calls with no token or API key (public Open311 reads, open data)."),
    "RATELIMIT_TOKEN_ENDPOINT": (str, "60 per minute", "Token endpoint limit per client id and per address."),
    "LOGIN_MAX_FAILURES": (int, 5, "Failed sign-ins or token requests before a short lock-out."),
    "LOGIN_LOCK_SECONDS": (int, 300, "How long that lock-out lasts."),
    "ISSUER": (str, "", "Public base URL (OAuth issuer) in the metadata and Open311 discovery. Required in production; elsewhere default: the request's (allowed) host."),
    "ALLOWED_HOSTS": (_list, [], "Host names the platform answers to; another `Host:` is a 400. Default: any in development/test, the issuer's host in production."),
    "PROXY_X_FOR": (int, 0, "Trusted proxy hops setting `X-Forwarded-For` (0: trust none)."),
    "PROXY_X_PROTO": (int, 0, "Trusted proxy hops setting `X-Forwarded-Proto` (0: trust none; 1 behind one TLS-terminating proxy)."),
    "PROXY_X_HOST": (int, 0, "Trusted proxy hops setting `X-Forwarded-Host` (0: trust none)."),
    "METRICS_PUBLIC": (_bool, None, "`/metrics` open to anyone. Default: true in development/test, false in production."),
    "METRICS_TOKEN": (str, "", "A bearer secret that may read `/metrics` when it is not public (a `platform:admin` token always may)."),
    "REPORTING_SUPPRESSION_THRESHOLD": (int, 5, "Open data: counts below this are suppressed."),
    "REPORTING_SPIKE_MIN_COUNT": (int, 5, "Early warning: fewest reports in 7 days that can be a spike."),
    "REPORTING_SPIKE_CHECK_SECONDS": (int, 3600, "How often the early-warning job runs."),
    "REPORTING_ROLLUP_SECONDS": (int, 300, "How often the place-wide weekly counts are refreshed."),
    "REPORTING_OPEN_DATA_CACHE_SECONDS": (int, 60, "How long a published open-data table is reused."),
    "REPORTING_INSIGHT_MAX_GROUPS": (int, 10_000, "Insight counts and maps: most groups in one answer (more is a 422 answer_too_large)."),
    "REPORTING_OPEN_DATA_PUBLISHER": (str, "Civic Platform", "Publisher named in the open data."),
    "REPORTING_OPEN311_CONTACT": (str, "", "Contact shown in Open311 discovery."),
    "REPORTING_OPEN311_KEY_SERVICE": (str, "", "Where Open311 clients ask for an API key (Open311 discovery)."),
}


def load(overrides: dict | None = None) -> dict:
    """Read every setting from the environment, then apply explicit overrides."""
    config: dict = {}
    for name, (parse, default, _doc) in SETTINGS.items():
        raw = os.environ.get(f"CIVIC_{name}")
        config[name] = parse(raw) if raw is not None else default
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
