"""Sending one webhook request, safely: https, a public address checked at every send, no redirects.

The host is resolved at each delivery (a name that pointed at a public address when the endpoint was saved
may point at the platform's own network now), every address it resolves to must be global
(`ipaddress`: not private, loopback, link-local such as the 169.254.169.254 metadata service, multicast or
reserved), and the connection goes to the address that was checked: `http.client` is handed a socket
already connected to it, so there is no second look-up between the check and the connect. A redirect is
an answer like any other (3xx, a failure): it is never followed. FLOWS_WEBHOOK_ALLOW_PRIVATE lifts the
address check for tests and a local receiver; it is off by default and refused in production.
"""
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from typing import NamedTuple
from urllib.parse import urlsplit

USER_AGENT = "civic-platform-webhooks/1"
READ_AT_MOST = 64 * 1024  # of an answer's body: only its start is kept, as error text


class Refused(Exception):
    """The URL or the address it resolves to may not be sent to."""


class SendFailed(Exception):
    """No answer: the connection failed or timed out."""


class Answer(NamedTuple):
    status: int
    headers: dict
    text: str
    latency_ms: int


def allowed_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return False
        # An IPv4 address carried inside IPv6 (mapped, 6to4, Teredo) is judged as that IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_private or ip.is_link_local)


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL that may be saved; raises Refused saying why not.

    A literal address is checked here too; a host name is checked when it is resolved, at each delivery.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("That is not a URL.") from None
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_http):
        raise Refused("The URL must start with https://." if not allow_http else "The URL must be http or https.")
    if not parts.hostname:
        raise Refused("The URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL must not carry a user name or password.")
    if parts.fragment:
        raise Refused("The URL must not have a #fragment.")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    if literal and not allow_private and not allowed_address(host):
        raise Refused(f"{host} is not a public address.")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int, *, allow_private: bool) -> tuple:
    """The socket address to connect to: every address the host resolves to must be allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise SendFailed(f"could not resolve {host}: {exc}") from None
    if not found:
        raise SendFailed(f"could not resolve {host}")
    for *_, sockaddr in found:
        if not allow_private and not allowed_address(sockaddr[0]):
            # Which address is not said: the answer would map the platform's own network for the caller.
            raise Refused(f"refused: {host} does not resolve to a public address")
    family, _, _, _, sockaddr = found[0]
    return family, sockaddr


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to the address already checked (the Host header stays the URL's host)."""

    def __init__(self, host, port, *, family, sockaddr, timeout, tls: ssl.SSLContext | None):
        super().__init__(host, port, timeout=timeout)
        self._family, self._sockaddr, self._tls = family, sockaddr, tls

    def connect(self):
        # The address is a numeric IP: making the connection looks nothing up again.
        sock = socket.create_connection(self._sockaddr[:2], timeout=self.timeout)
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def post(url: str, body: bytes, headers: dict, *, timeout: float, allow_http: bool, allow_private: bool) -> Answer:
    """POST `body` to `url`; raises Refused (SSRF) or SendFailed (no answer in time)."""
    scheme, host, port = check_url(url, allow_http=allow_http, allow_private=allow_private)
    family, sockaddr = resolve(host, port, allow_private=allow_private)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    tls = ssl.create_default_context() if scheme == "https" else None
    connection = _Pinned(host, port, family=family, sockaddr=sockaddr, timeout=timeout, tls=tls)
    started = time.monotonic()
    # One deadline for the whole request: a receiver that trickles its answer a byte at a time (each read
    # within the socket's timeout) has its connection shut when the time is up.
    deadline = threading.Timer(timeout, _shut, args=(connection,))
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", target, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        text = response.read(READ_AT_MOST).decode("utf-8", "replace")
        latency = int((time.monotonic() - started) * 1000)
        if latency > timeout * 1000:
            raise SendFailed(f"timed out after {timeout:g} s")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text, latency)
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, (TimeoutError, socket.timeout)) or time.monotonic() - started >= timeout:
            raise SendFailed(f"timed out after {timeout:g} s") from None
        raise SendFailed(f"{type(exc).__name__}: {exc}") from None
    finally:
        deadline.cancel()
        connection.close()


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
