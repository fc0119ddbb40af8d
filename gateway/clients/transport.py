"""The gateway's HTTP transport: httpx's API over aiohttp (httpx-aiohttp), with one fix."""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class GatewayTransport(AiohttpTransport):
    """httpx-aiohttp maps a refused connection (aiohttp.ClientConnectorError) to
    httpx.ConnectTimeout; the gateway retries connection errors but not timeouts, and tells
    users which happened, so map it back to httpx.ConnectError."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientConnectorError) and not isinstance(
                cause, aiohttp.ServerTimeoutError
            ):
                raise httpx.ConnectError(str(cause), request=request) from cause
            raise
