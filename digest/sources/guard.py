"""No request ever follows a redirect into the private network (SSRF defence in depth).

Used as an httpx response hook: before httpx follows a 3xx, the target must be http(s) and
must not be, or resolve to, a loopback, private, link-local or otherwise internal address,
unless its host is one the operator configured (tests point paperboy at local fakes).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpx

from digest.errors import SourceError

__all__ = ["RedirectGuard"]

Resolver = Callable[[str], Awaitable[list[str]]]


async def _resolve(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class RedirectGuard:
    def __init__(self, trusted_hosts: Iterable[str] = (), *, resolver: Resolver = _resolve) -> None:
        self._trusted = {h.lower() for h in trusted_hosts}
        self._resolve = resolver

    async def __call__(self, response: httpx.Response) -> None:
        if response.has_redirect_location:
            await self.check(response.request.url.join(response.headers["Location"]))

    async def check(self, url: httpx.URL) -> None:
        host = (url.host or "").lower()
        if url.scheme not in ("http", "https"):
            raise SourceError("redirect", f"refused a redirect to a `{url.scheme}:` URL")
        if url.userinfo:
            raise SourceError("redirect", "refused a redirect with credentials in the URL")
        if host in self._trusted:
            return
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = await self._resolve(host)
            except OSError:
                raise SourceError(
                    "redirect", f"refused a redirect to unknown host {host}"
                ) from None
        if any(_internal(a) for a in addresses):
            raise SourceError("redirect", f"refused a redirect to an internal address ({host})")
