"""The inspector's entity page: an entity's relations over time, its mentions, a network picture.

``/entity?user=<id>&id=<entity id>`` shows one entity of one user: what it is, its relations
that hold now and every earlier version (valid from/to, recorded and superseded, by what),
the archived turns that mention it, and ``/entity.svg?...``: a small picture of the entity
and its neighbours, drawn on the server as SVG (no script, no CDN; names are XML-escaped,
and the page shows it as an ``<img>``, where an SVG can run nothing anyway).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Any

from langgraph.store.base import GetOp

from langmem_plugin._ids import validate_id
from langmem_plugin._namespaces import user_namespace
from langmem_plugin.history._storage import ARCHIVE
from langmem_plugin.knowledge import Entity, Relation
from langmem_plugin.memory import Memory

__all__ = ["EntityPage", "entity_page", "network_svg"]

_MENTIONS_SHOWN = 50
_NEIGHBOURS_DRAWN = 12
_KIND_FILL = {
    "person": "#dbeafe",
    "place": "#dcfce7",
    "project": "#fef3c7",
    "tool": "#ede9fe",
    "organisation": "#fee2e2",
    "other": "#f3f4f6",
}


@dataclass
class EntityPage:
    """Everything the entity page shows."""

    user_id: str
    entity: Entity
    current: list[Relation]
    history: list[Relation]
    mentions: list[dict[str, Any]] = field(default_factory=list)
    """Archived turns naming it: ``occurred_at``, ``speaker``, ``content``, ``thread``."""
    kinds: dict[str, str] = field(default_factory=dict)
    """The kind of each neighbour, by entity id (the picture's colours)."""


def entity_page(memory: Memory, user_id: str, entity_id: str) -> EntityPage:
    """Read one entity of one user with its relations and mentions.

    Raises:
        EntityNotFoundError: The user has no such entity.
        InvalidIdError: The user id is not a valid id.
    """
    validate_id(user_id, "user_id")
    graph = memory.knowledge
    entity = graph.entity(user_id, entity_id)
    every = graph.relations(user_id, [entity.id], current=False)
    found = graph.mentions(user_id, [entity.id], limit=_MENTIONS_SHOWN)
    ops = [GetOp(user_namespace(ARCHIVE, user_id, m.thread_id), m.message_id) for m in found]
    items = memory.store.batch(ops) if ops else []
    turns = [
        {
            "occurred_at": str(item.value.get("occurred_at", ""))[:16].replace("T", " "),
            "speaker": str(item.value.get("speaker") or item.value.get("role") or ""),
            "content": str(item.value.get("content", "")),
            "thread": mention.thread_id,
        }
        for mention, item in zip(found, items, strict=True)
        if item is not None and hasattr(item, "value")
    ]
    ends = {r.subject_id for r in every} | {r.object_id for r in every}
    return EntityPage(
        user_id=user_id,
        entity=entity,
        current=[r for r in every if r.current],
        history=sorted(every, key=lambda r: (r.predicate, r.valid_from)),
        mentions=turns,
        kinds={e.id: e.kind for e in graph.by_ids(user_id, ends).values()},
    )


def network_svg(page: EntityPage, width: int = 560, height: int = 360) -> str:
    """The entity at the centre, its current neighbours around it, edges named by predicate."""
    cx, cy = width / 2, height / 2
    edges: list[tuple[str, str, str, bool]] = []  # neighbour name, kind, predicate, outgoing
    seen: set[tuple[str, str]] = set()
    for relation in page.current:
        outgoing = relation.subject_id == page.entity.id
        other = relation.object if outgoing else relation.subject
        other_id = relation.object_id if outgoing else relation.subject_id
        if (other, relation.predicate) in seen:
            continue
        seen.add((other, relation.predicate))
        edges.append((other, page.kinds.get(other_id, "other"), relation.predicate, outgoing))
    edges = edges[:_NEIGHBOURS_DRAWN]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="12">',
        f"<title>{escape(page.entity.name)} and its relations</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#6b7280"/></marker></defs>',
    ]
    radius = min(width, height) / 2 - 40
    nodes: list[str] = []
    for n, (name, kind, predicate, outgoing) in enumerate(edges):
        angle = 2 * math.pi * n / max(len(edges), 1) - math.pi / 2
        x, y = cx + radius * math.cos(angle), cy + radius * 0.8 * math.sin(angle)
        start, end = ((cx, cy), (x, y)) if outgoing else ((x, y), (cx, cy))
        parts.append(
            f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
            f'y2="{end[1]:.1f}" stroke="#9ca3af" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
        mx, my = (cx + x) / 2, (cy + y) / 2
        parts.append(
            f'<text x="{mx:.1f}" y="{my - 4:.1f}" text-anchor="middle" fill="#374151">'
            f"{escape(predicate.replace('_', ' '))}</text>"
        )
        nodes.append(_node(x, y, name, kind))
    parts += nodes
    parts.append(_node(cx, cy, page.entity.name, page.entity.kind, bold=True))
    if not edges:
        parts.append(
            f'<text x="{cx:.1f}" y="{cy + 40:.1f}" text-anchor="middle" fill="#6b7280">'
            "no current relations</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _node(x: float, y: float, name: str, kind: str, *, bold: bool = False) -> str:
    label = name if len(name) <= 24 else name[:23] + "…"
    w = 14 + 7 * len(label)
    fill = _KIND_FILL.get(kind, _KIND_FILL["other"])
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<g><rect x="{x - w / 2:.1f}" y="{y - 13:.1f}" width="{w:.1f}" height="26" rx="13" '
        f'fill="{fill}" stroke="#4b5563"/><text x="{x:.1f}" y="{y + 4:.1f}" '
        f'text-anchor="middle"{weight}>{escape(label)}</text></g>'
    )
