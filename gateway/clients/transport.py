"""The gateway's HTTP transport: httpx's API over aiohttp (httpx-aiohttp), with one fix, and
a direct path for the reads the views make (``get``)."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions


class GatewayTransport(AiohttpTransport):
    """httpx-aiohttp maps a refused connection (aiohttp.ClientConnectorError) to
    httpx.ConnectTimeout; the gateway retries connection errors but not timeouts, and tells
    users which happened, so map it back to httpx.ConnectError."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            _connect_error(exc)
            raise

    async def get(self, url: str, headers: dict[str, str], seconds: float) -> httpx.Response:
        """GET ``url`` (absolute, query included) straight through aiohttp: the answer read
        whole, as an httpx.Response, errors mapped as handle_async_request maps them. httpx's
        request building and sending around the transport (URL parsed three times, cookies,
        auth and redirect hooks) cost as much CPU as the rest of a view's service call."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        try:
            with map_aiohttp_exceptions():
                async with self.client.get(
                    url,
                    headers=headers,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=seconds),
                ) as r:
                    body = await r.read()
                    return _response(r.status, r.raw_headers, body)
        except httpx.ConnectTimeout as exc:
            _connect_error(exc)
            raise


def _response(status: int, raw_headers: Any, body: bytes) -> httpx.Response:
    """An httpx.Response holding ``body`` as read: httpx's own constructor wraps the bytes in a
    stream and reads it back (a fifth of a kept answer's cost in the gateway)."""
    resp = httpx.Response(status, headers=raw_headers)
    resp._content = body  # what .read() would have set; .content, .text and .json() use it
    return resp


def _connect_error(exc: httpx.ConnectTimeout) -> None:
    """A refused connection is a connection error (retried), not a timeout."""
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientConnectorError) and not isinstance(
        cause, aiohttp.ServerTimeoutError
    ):
        raise httpx.ConnectError(str(cause)) from cause
