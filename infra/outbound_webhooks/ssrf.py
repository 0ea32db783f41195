"""Refuse delivery targets inside our own network: a merchant must not make our servers call
a loopback, private, link-local or otherwise internal address (metadata services, the database).

Checked when an endpoint is saved and again before every attempt (DNS may change between).
Development and test allow them (OUTBOUND_WEBHOOK_ALLOW_PRIVATE), so a local receiver works.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class RefusedTarget(ValueError):
    """The URL is not one we deliver to."""


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url_shape(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL without credentials; RefusedTarget otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise RefusedTarget("the URL must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RefusedTarget("the URL's port is not a number from 1 to 65535") from exc
    return parts.hostname, port


async def check_target(url: str, allow_private: bool) -> None:
    """RefusedTarget when the URL is malformed, or resolves to an internal address while
    those are not allowed (every address it resolves to must be public)."""
    host, port = check_url_shape(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedTarget(f"the host {host} does not resolve") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or any(_internal(a) for a in addresses):
        raise RefusedTarget(f"the host {host} resolves to an internal address")
