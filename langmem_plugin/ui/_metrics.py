"""``/metrics``: the memory's Prometheus metrics, served by the inspector.

The route sits behind the inspector's ``Guard`` like every page: without a token only
requests addressed to a loopback name and the server's port are answered; with one, a
scraper sends it (``Authorization: Bearer ...`` in Prometheus's ``authorization`` scrape
setting, or ``X-Langmem-Token``). GET and HEAD only, so read-only mode changes nothing.
Without the ``metrics`` extra there is no route (404).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from langmem_plugin._metrics import render_metrics
from langmem_plugin.memory import Memory

__all__ = ["metrics_routes"]


def metrics_routes(memory: Memory) -> list[Route]:
    """``[Route("/metrics")]`` for ``memory``, turning its metrics on; ``[]`` without the extra.

    Args:
        memory: The inspector's memory.

    Returns:
        The routes to add to the inspector's.
    """
    try:
        registry = memory.metrics()
    except ImportError:
        return []

    async def metrics(_request: Request) -> Response:
        body, content_type = await run_in_threadpool(render_metrics, registry)  # SQL counts
        return Response(body, media_type=content_type)

    return [Route("/metrics", metrics, methods=["GET", "HEAD"], name="metrics")]
