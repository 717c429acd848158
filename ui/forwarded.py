"""Where visitors reach the app: the base of the absolute links it hands out, and proxies' headers.

    public_base(request, settings)          -> "https://help.example.org/kb": `public_url` when set, else
                                               the request's own base (scheme, Host, root path)
    app.add_middleware(ProxyHeaders, trusted="127.0.0.1, 10.0.0.0/8")

Behind a reverse proxy the connection comes from the proxy, so its `X-Forwarded-For` (the visitor's
address: the rate limit's key), `X-Forwarded-Proto` (http or https) and `X-Forwarded-Host` (the host
the visitor asked for) are believed only when the connection comes from an address in
`forwarded_allow_ips` (default: $FORWARDED_ALLOW_IPS, else 127.0.0.1, as uvicorn does). Anyone else's
`X-Forwarded-Host` is ignored, so a stranger cannot make the app hand out links to their own host.
`For` and `Proto` are uvicorn's own ProxyHeadersMiddleware; uvicorn's built-in copy is turned off
(ui/server.py) so the proxy's own address is still known here when `Host` is decided.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

DEFAULT_TRUSTED = "127.0.0.1"


def trusted_proxies(setting: str | None) -> str:
    """The forwarded_allow_ips setting (which $FORWARDED_ALLOW_IPS sets, as for uvicorn), else 127.0.0.1."""
    return setting or DEFAULT_TRUSTED


class Trusted:
    """Addresses and networks ("127.0.0.1, 10.0.0.0/8, ::1"); "*" trusts every address."""

    def __init__(self, value: str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        self.everyone = "*" in parts
        self.networks, self.names = [], set()
        for part in parts:
            try:
                self.networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                self.names.add(part)  # a unix socket path or a literal name, compared as text

    def __contains__(self, host: str | None) -> bool:
        if self.everyone:
            return True
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.names
        return any(address in network for network in self.networks)


class ProxyHeaders:
    """X-Forwarded-Host (first value) becomes the request's Host when the connection is from a trusted proxy;
    X-Forwarded-For and -Proto are then read by uvicorn's ProxyHeadersMiddleware under the same rule."""

    def __init__(self, app: ASGIApp, trusted: str = DEFAULT_TRUSTED):
        self.trusted = Trusted(trusted)
        self.app = ProxyHeadersMiddleware(app, trusted_hosts=trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and (scope.get("client") or (None,))[0] in self.trusted:
            headers = scope["headers"]
            forwarded = next((v for k, v in headers if k == b"x-forwarded-host"), None)
            host = forwarded.split(b",")[0].strip() if forwarded else b""
            if host and _valid_host(host):
                scope = dict(scope, headers=[(k, v) for k, v in headers if k != b"host"] + [(b"host", host)])
        await self.app(scope, receive, send)


def _valid_host(host: bytes) -> bool:
    """host[:port] only: letters, digits, dots, dashes, brackets and colons (IPv6), at most 255 bytes."""
    return len(host) <= 255 and all(c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]"
                                    for c in host)


def public_base(request, public_url: str | None) -> str | None:
    """The address links start with: `public_url` when set, else the request's own base (a Starlette or
    Gradio request); None when there is no request (a call from inside this process)."""
    if public_url:
        return public_url.rstrip("/")
    request = getattr(request, "request", None) or request  # gr.Request wraps the Starlette one
    base = getattr(request, "base_url", None)
    return str(base).rstrip("/") if base else None


__all__ = ["ProxyHeaders", "Trusted", "public_base", "trusted_proxies"]
