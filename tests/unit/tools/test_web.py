"""fetch_url refuses private networks after DNS resolution, on every hop. httpx is mocked with respx;
DNS with a monkeypatched socket.getaddrinfo (no network here). A real local server is in integration."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx
import pytest
import respx

from corral.exceptions import ModelRetry
from corral.tools import Registry, dispatch
from corral.tools.builtin import check_address, fetch_url, http_get

PUBLIC = "93.184.216.34"


@pytest.fixture()
def dns(monkeypatch):
    """Host -> addresses; anything else fails to resolve, like an unknown name."""
    table: dict[str, list[str]] = {"example.com": [PUBLIC]}

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return table


def fetch(url: str, **options) -> str:
    return asyncio.run(fetch_url(**options).func(url))


@respx.mock
def test_fetches_public_pages_pinned_to_the_checked_address(dns):
    route = respx.get(f"http://{PUBLIC}/page").respond(200, text="hello", headers={"content-type": "text/plain"})
    assert fetch("http://example.com/page") == "hello"
    assert route.calls.last.request.headers["host"] == "example.com"


@respx.mock
def test_https_keeps_the_tls_server_name(dns):
    route = respx.get(f"https://{PUBLIC}/").respond(200, html="<p>hi</p>")
    assert fetch("https://example.com/") == "<p>hi</p>"
    assert route.calls.last.request.extensions["sni_hostname"] == "example.com"


SSRF = [
    ("http://127.0.0.1/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[fd00:ec2::254]/", "cloud metadata"),
    ("http://[fe80::1]/", "link-local"),
    ("http://100.100.100.200/", "cloud metadata"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://0177.0.0.1/", "loopback|Invalid IPv4"),  # httpx itself rejects octal forms
    ("http://127.1/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://localtest.example/", "loopback"),
    ("http://mixed.example/", "private"),
    ("http://[2002:7f00:1::]/", "loopback"),
]


@pytest.mark.parametrize(("url", "reason"), SSRF)
def test_private_targets_are_refused_before_any_request(dns, url, reason):
    dns["localtest.example"] = ["127.0.0.1"]
    dns["mixed.example"] = [PUBLIC, "10.0.0.7"]  # one bad address is enough to refuse
    with respx.mock(assert_all_called=False) as mock:
        anything = mock.route().respond(200, text="SECRET")
        with pytest.raises(ModelRetry, match=reason):
            fetch(url)
        assert not anything.called


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"])
def test_other_schemes_are_refused(url):
    with pytest.raises(ModelRetry, match="only http and https"):
        fetch(url)


@respx.mock
def test_redirect_to_loopback_is_refused(dns):
    respx.get(f"http://{PUBLIC}/go").respond(302, headers={"location": "http://127.0.0.1:8080/admin"})
    admin = respx.get("http://127.0.0.1:8080/admin").respond(200, text="SECRET")
    with pytest.raises(ModelRetry, match="loopback"):
        fetch("http://example.com/go")
    assert not admin.called


@respx.mock
def test_redirect_to_a_name_resolving_privately_is_refused(dns):
    dns["internal.example"] = ["10.0.0.2"]
    respx.get(f"http://{PUBLIC}/go").respond(301, headers={"location": "http://internal.example/"})
    with pytest.raises(ModelRetry, match="private"):
        fetch("http://example.com/go")


@respx.mock
def test_redirects_are_followed_and_bounded(dns):
    respx.get(f"http://{PUBLIC}/a").respond(302, headers={"location": "/b"})
    respx.get(f"http://{PUBLIC}/b").respond(200, text="landed")
    assert fetch("http://example.com/a") == "landed"
    respx.get(f"http://{PUBLIC}/loop").respond(302, headers={"location": "/loop"})
    with pytest.raises(ModelRetry, match="after 3 redirects"):
        fetch("http://example.com/loop", max_redirects=3)


@respx.mock
def test_body_is_capped_in_bytes(dns):
    respx.get(f"http://{PUBLIC}/big").respond(200, text="z" * 50_000)
    out = fetch("http://example.com/big", max_bytes=1000)
    assert out.startswith("z" * 1000) and out.endswith("[... truncated after 1000 bytes]")
    assert len(out) < 1100


@respx.mock
def test_time_is_capped(dns):
    async def slow(request):
        await asyncio.sleep(5)
        return httpx.Response(200, text="late")

    respx.get(f"http://{PUBLIC}/slow").mock(side_effect=slow)
    with pytest.raises(ModelRetry, match="longer than 0.1 seconds"):
        fetch("http://example.com/slow", timeout=0.1)


@respx.mock
def test_errors_and_binary_bodies_are_described(dns):
    respx.get(f"http://{PUBLIC}/missing").respond(404, text="nope")
    respx.get(f"http://{PUBLIC}/img").respond(200, content=b"\x89PNG", headers={"content-type": "image/png"})
    assert fetch("http://example.com/missing") == "HTTP 404 Not Found\nnope"
    assert fetch("http://example.com/img") == "[binary content of type image/png, 4 bytes, not shown]"


@respx.mock
def test_escape_hatches(dns):
    dns["wiki.intranet"] = ["10.0.0.9"]
    respx.get("http://10.0.0.9/").respond(200, text="wiki")
    respx.get("http://127.0.0.1/").respond(200, text="local")
    assert fetch("http://wiki.intranet/", allowed_hosts=["wiki.intranet"]) == "wiki"
    assert fetch("http://127.0.0.1/", allow_private=True) == "local"
    with pytest.raises(ModelRetry, match="private"):
        fetch("http://wiki.intranet/", allowed_hosts=["other.intranet"])


def test_unresolvable_hosts_are_explained(dns):
    with pytest.raises(ModelRetry, match="Could not resolve host 'nowhere.example'"):
        fetch("http://nowhere.example/")


@respx.mock
def test_refusals_reach_the_model_through_dispatch(dns):
    (r,) = dispatch(Registry([http_get()]), [{"name": "http_get", "arguments": {"url": "http://127.0.0.1/"}}])
    assert r.error.kind == "retry" and "loopback" in r.content


@pytest.mark.parametrize("ip", ["8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass_the_check(ip):
    assert check_address(ipaddress.ip_address(ip)) is None
