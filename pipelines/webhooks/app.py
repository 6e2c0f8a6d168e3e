"""The receiver's routes: POST /zoom/webhooks, GET /healthz, GET /metrics.

A delivery is answered only after it is verified and, if genuine, committed to the durable queue:
200 (queued, or a duplicate already queued), url_validation's JSON answer, 401 (forged, unsigned or
stale: nothing stored, the reason counted), 413 (body over the cap), 400 (signed but not an event), 503
(the queue is full or its file failed: Zoom retries a 5xx later). No load work happens here, so the
answer comes well inside Zoom's 3 s.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Optional

from aiohttp import web

from . import verify
from .events import BadEvent, parse
from .metrics import Metrics
from .queue import EventQueue, Item, QueueFull

logger = logging.getLogger("pipelines.webhooks")

DEFAULT_MAX_BODY_BYTES = 1 << 20  # recording.completed with many files is tens of KB
URL_VALIDATION = "endpoint.url_validation"


def build_app(
    secret: str,
    queue: EventQueue,
    metrics: Metrics,
    on_queued: Callable[[], None] = lambda: None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    healthy: Optional[Callable[[], bool]] = None,
) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        metrics.add("received")
        if request.content_length is not None and request.content_length > max_body_bytes:
            metrics.reject("too_large")
            return web.Response(status=413, text="body too large")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            metrics.reject("too_large")
            return web.Response(status=413, text="body too large")
        reason = verify.rejection(secret, request.headers, raw)
        if reason is not None:
            metrics.reject(reason)
            return web.Response(status=401, text="invalid signature or timestamp")
        try:
            event = parse(raw)
        except BadEvent as exc:
            metrics.reject(verify.BAD_BODY)
            return web.Response(status=400, text=str(exc))
        if event.event == URL_VALIDATION:
            plain = event.obj.get("plainToken") or _plain_token(raw)
            if not isinstance(plain, str) or not plain:
                metrics.reject(verify.BAD_BODY)
                return web.Response(status=400, text="no plainToken")
            return web.json_response(verify.url_validation_answer(secret, plain))
        item = Item(
            event.dedupe_key, event.event, event.event_ts, time.time(), event.stored(), event.download_token
        )
        try:
            new = await queue.put(item)
        except QueueFull:
            metrics.reject("queue_full")
            logger.warning(
                "webhook queue full (%d waiting): answering 503, Zoom retries later", queue.max_pending
            )
            return web.Response(status=503, text="queue full")
        except Exception as exc:  # the queue file could not be written: not acknowledged, Zoom retries
            metrics.reject("queue_error")
            logger.error("webhook queue write failed: %s", exc)
            return web.Response(status=503, text="queue unavailable")
        if new:
            metrics.add("queued")
            on_queued()
        else:
            metrics.add("duplicates")
        return web.Response(status=200)

    async def healthz(request: web.Request) -> web.Response:
        ok = healthy() if healthy else True
        return web.json_response({"ok": ok, "queued": queue.pending_cache}, status=200 if ok else 503)

    async def metrics_text(request: web.Request) -> web.Response:
        return web.Response(text=metrics.text(), content_type="text/plain", charset="utf-8")

    # the cap is enforced by aiohttp while reading too (a chunked body has no Content-Length)
    app = web.Application(client_max_size=max_body_bytes)
    app.router.add_post("/zoom/webhooks", receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_text)
    return app


def _plain_token(raw: bytes) -> object:
    import json

    body = json.loads(raw)
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    return payload.get("plainToken")
