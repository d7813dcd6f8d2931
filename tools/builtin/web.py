"""``fetch_url`` / ``http_get``: fetch a web page as text, refusing to reach private networks.

Server-side request forgery is the risk: a model (or text it read) asks for
``http://169.254.169.254/`` or ``http://localhost:8080/admin``. So, for every hop:

* only ``http``/``https`` URLs; the host is resolved (IP literals in any legacy form, like
  ``2130706433`` or ``0x7f.1``, are parsed as addresses), and **every** address must be public:
  loopback, private, link-local, carrier-grade NAT, multicast, reserved, unspecified addresses,
  cloud metadata endpoints and IPv6 forms embedding such IPv4 addresses are refused;
* the connection goes to the address that was checked (the request is pinned to that IP, with
  the original ``Host`` header and TLS server name), so DNS cannot change its answer in between;
* redirects are followed by hand, at most ``max_redirects``, re-checking each new location;
* the body is read up to ``max_bytes``; the whole fetch is bounded by ``timeout`` seconds.

``allow_private=True`` turns the address check off; ``allowed_hosts`` exempts named hosts
(e.g. an internal documentation server). Refusals raise ModelRetry, so the model reads why.

Example::

    >>> fetch = fetch_url(max_bytes=50_000, timeout=5.0)
    >>> fetch.name, fetch.is_async
    ('fetch_url', True)
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx

from corral.exceptions import ModelRetry

from ..definition import Tool

__all__ = ["fetch_url", "http_get", "check_address", "Resolver"]

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}
_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml", "application/javascript")


def check_address(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched (e.g. ``"loopback"``), or None when it is public.

    Example::

        >>> check_address(ipaddress.ip_address("::ffff:127.0.0.1"))
        'loopback'
    """
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())):
            if embedded is not None and check_address(embedded):
                return check_address(embedded)
    if ip in _METADATA:
        return "cloud metadata"
    for reason in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{reason}"):
            return reason.replace("_", "-")
    return None if ip.is_global else "non-public"


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):  # 2130706433, 0x7f000001, 0177.0.0.1, 127.1: what C resolvers accept
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class _Fetcher:
    def __init__(
        self,
        *,
        allow_private: bool,
        allowed_hosts: Iterable[str],
        max_bytes: int,
        timeout: float,
        max_redirects: int,
        transport: httpx.AsyncBaseTransport | None,
        resolver: Resolver | None,
        user_agent: str,
    ) -> None:
        self.allow_private = allow_private
        self.allowed_hosts = {h.lower().rstrip(".") for h in allowed_hosts}
        self.max_bytes, self.timeout, self.max_redirects = max_bytes, timeout, max_redirects
        self.transport, self.resolver, self.user_agent = transport, resolver or _system_resolve, user_agent

    async def vet(self, url: httpx.URL) -> str:
        """Return the address to connect to, or raise ModelRetry saying why the URL is refused."""
        if url.scheme not in ("http", "https"):
            raise ModelRetry(f"Refused {str(url)!r}: only http and https URLs can be fetched.")
        host = url.host.lower().rstrip(".")
        if not host:
            raise ModelRetry(f"Refused {str(url)!r}: the URL has no host.")
        literal = _literal_ip(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = await self.resolver(
                    url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80)
                )
            except (OSError, UnicodeError) as exc:
                raise ModelRetry(f"Could not resolve host {host!r}: {exc}.") from None
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
            if not addresses:
                raise ModelRetry(f"Could not resolve host {host!r}.")
        if not (self.allow_private or host in self.allowed_hosts):
            for ip in addresses:
                reason = check_address(ip)
                if reason:
                    raise ModelRetry(
                        f"Refused {str(url)!r}: {host} is a {reason} address ({ip}); "
                        "only public internet addresses can be fetched."
                    )
        return str(addresses[0])

    async def fetch(self, url: str) -> str:
        try:
            return await asyncio.wait_for(self._fetch(url), self.timeout)
        except asyncio.TimeoutError:
            raise ModelRetry(f"Fetching {url!r} took longer than {self.timeout:g} seconds; gave up.") from None

    async def _fetch(self, raw: str) -> str:
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ModelRetry(f"Invalid URL {raw!r}: {exc}.") from None
        async with httpx.AsyncClient(
            transport=self.transport,
            follow_redirects=False,
            trust_env=False,
            timeout=self.timeout,
            headers={"User-Agent": self.user_agent},
        ) as client:
            for _hop in range(self.max_redirects + 1):
                ip = await self.vet(url)
                status, reason, headers, body, more = await self._get(client, url, ip)
                location = headers.get("location")
                if 300 <= status < 400 and location:
                    url = url.join(location)
                    continue
                return _render(status, reason, headers, body, more)
        raise ModelRetry(f"Gave up on {raw!r} after {self.max_redirects} redirects.")

    async def _get(self, client: httpx.AsyncClient, url: httpx.URL, ip: str) -> tuple[Any, ...]:
        pinned = url.copy_with(host=ip)
        extensions = {"sni_hostname": url.host} if url.scheme == "https" and _literal_ip(url.host) is None else {}
        request = client.build_request(
            "GET", pinned, headers={"Host": url.netloc.decode("ascii")}, extensions=extensions
        )
        response = await client.send(request, stream=True)
        try:
            body, more = bytearray(), False
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    more = True
                    break
            return response.status_code, response.reason_phrase, response.headers, bytes(body[: self.max_bytes]), more
        finally:
            await response.aclose()


def _render(status: int, reason: str, headers: httpx.Headers, body: bytes, more: bool) -> str:
    kind = headers.get("content-type", "text/plain").split(";")[0].strip().lower()
    if not kind.startswith(_TEXT_TYPES):
        text = f"[binary content of type {kind}, {len(body)}{'+' if more else ''} bytes, not shown]"
    else:
        charset = httpx.Response(status, headers=headers).charset_encoding or "utf-8"
        try:
            text = body.decode(charset, errors="replace")
        except LookupError:  # a charset name Python does not know
            text = body.decode("utf-8", errors="replace")
        if more:
            text += f"\n[... truncated after {len(body)} bytes]"
    return text if 200 <= status < 300 else f"HTTP {status} {reason}\n{text}"


def fetch_url(
    *,
    allow_private: bool = False,
    allowed_hosts: Iterable[str] = (),
    max_bytes: int = 200_000,
    timeout: float = 10.0,
    max_redirects: int = 5,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    user_agent: str = "corral-fetch/0.1",
    name: str = "fetch_url",
) -> Tool:
    """A tool that GETs a public http(s) URL and returns its text (see the module docstring)."""
    fetcher = _Fetcher(
        allow_private=allow_private,
        allowed_hosts=allowed_hosts,
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=max_redirects,
        transport=transport,
        resolver=resolver,
        user_agent=user_agent,
    )

    async def fetch(url: str) -> str:
        """Fetch a web page over http or https and return its text.

        Args:
            url: The full URL, e.g. "https://example.com/page".
        """
        return await fetcher.fetch(url)

    return Tool.from_function(fetch, name=name)


def http_get(**options: Any) -> Tool:
    """The same tool as :func:`fetch_url`, named ``http_get`` by default."""
    options.setdefault("name", "http_get")
    return fetch_url(**options)
