"""Request IDs, JSON log lines and Prometheus metrics, as one pure ASGI middleware."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_service: contextvars.ContextVar[str | None] = contextvars.ContextVar("service", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("banso.access")


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request ID of the request being served."""

    _skip = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
        "message",
        "asctime",
        "request_id",
        "service",
        "color_message",  # uvicorn's coloured duplicate of msg
    }

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": getattr(record, "service", None) or self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in self._skip and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s [{service}] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{line} rid={rid}" if rid else line


_base_factory = logging.getLogRecordFactory()


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # Stamp every record when it is made, whichever handler formats it later.
    record = _base_factory(*args, **kwargs)
    record.request_id = _request_id.get()
    record.service = _service.get()
    return record


def configure_logging(service: str, *, level: str = "INFO", json_lines: bool = True) -> None:
    """Route the root, uvicorn and our loggers through one handler on stderr (idempotent;
    handlers others installed, such as pytest's, are left alone)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service) if json_lines else TextFormatter(service))
    handler._banso = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(_record_factory)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "_banso", False)]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # httpx logs every request at INFO; our access lines already say it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our middleware writes one access line per request; uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """Per-app registry, so that several apps can live in one test process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.in_flight = 0

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


_PROBLEM_500 = json.dumps(
    {
        "type": "about:blank",
        "title": "サーバー内部でエラーが発生しました",
        "status": 500,
        "detail": "予期しないエラーが発生しました。時間をおいて再度お試しください",
    },
    ensure_ascii=False,
).encode()


def route_template(scope: Scope) -> str:
    """The matched route's full path template (``/api/v1/cases/{case_id}``), so that metrics
    are not split per id. A router included with a prefix may report only its own part of
    the template; the prefix (literal in this project) is taken from the request path."""
    route = scope.get("route")
    suffix = getattr(route, "path", None)
    if not suffix:
        return "<unmatched>"
    path = scope.get("path", "")
    n_path = path.rstrip("/").count("/")
    n_suffix = suffix.rstrip("/").count("/")
    if n_path <= n_suffix:
        return suffix
    prefix = "/".join(path.split("/")[: n_path - n_suffix + 1])
    return prefix + suffix


class ObservabilityMiddleware:
    """Request ID in and out, an access log line, metrics by route template, and a
    last-resort 500 problem+json for anything that escaped the exception handlers."""

    def __init__(self, app: ASGIApp, metrics: Metrics, service: str = "") -> None:
        self.app = app
        self.metrics = metrics
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for key, value in scope.get("headers", ()):
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = incoming if incoming and _SAFE_ID.match(incoming) else new_request_id()
        token = _request_id.set(rid)
        service_token = _service.set(self.service or None)
        status = 500
        started = False
        t0 = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            logging.getLogger("banso.errors").exception(
                "unhandled error on %s %s", scope.get("method"), scope.get("path")
            )
            if not started:
                status = 500
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(_PROBLEM_500)).encode()),
                            (b"x-request-id", rid.encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _PROBLEM_500})
        finally:
            elapsed = time.perf_counter() - t0
            template = route_template(scope)
            method = scope.get("method", "")
            if template not in ("/metrics", "/healthz"):
                self.metrics.requests.labels(method, template, str(status)).inc()
                self.metrics.latency.labels(method, template).observe(elapsed)
            access_log.info(
                "%s %s %s",
                method,
                scope.get("path"),
                status,
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            _request_id.reset(token)
            _service.reset(service_token)


def install_observability(app: FastAPI, service: str = "") -> Metrics:
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, service=service)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return metrics.render()

    return metrics
