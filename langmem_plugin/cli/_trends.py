"""``langmem trends USER`` and ``langmem health``: patterns over time and daily figures.

Thin commands over ``memory.trends``, ``memory.mood`` and ``memory.health`` (read-only: a
memory held by another process is opened beside it).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict

__all__ = ["TREND_COMMANDS", "add_trend_commands"]


def add_trend_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``trends`` and ``health``."""
    trends = command(
        "trends",
        "Show a user's patterns over time: preference changes (from the profile history), "
        "rising and fading topics (from the session episodes) and the mood trend.",
    )
    trends.add_argument("user", help="user id")
    trends.add_argument("--json", action="store_true", help="print JSON")
    health = command(
        "health", "Show items, recalls and their latency, model calls and tokens per day."
    )
    health.add_argument("--days", type=int, default=14, help="how many days, ending today (14)")
    health.add_argument("--json", action="store_true", help="print JSON")


def _cmd_trends(args: argparse.Namespace) -> int:
    from langmem_plugin._admin._known import require_user
    from langmem_plugin.cli._main import _open

    with _open(args, read_only=True) as memory:
        require_user(memory, args.user)
        trends = memory.trends(args.user)
        mood = memory.mood(args.user)
    if args.json:
        out = {
            "preferences": [asdict(c) for c in trends.preferences],
            "topics": [asdict(t) for t in trends.topics],
            "mood": {"trend": mood.trend, "recent": mood.recent, "previous": mood.previous},
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"Trends of {args.user} ({len(trends.sessions)} sessions with topics)")
    print("Preference changes:" if trends.preferences else "Preference changes: none")
    for change in trends.preferences:
        print(f"  {change.kind:<8} {change.describe()}")
    print("Topics:" if trends.topics else "Topics: none rising or fading")
    for topic in trends.topics:
        print(f"  {topic.direction:<7} {topic.describe()}")
    recent = "" if mood.recent is None else f" (recent {mood.recent:+.2f})"
    print(f"Mood: {mood.trend}{recent}")
    return 0


def _cmd_health(args: argparse.Namespace) -> int:
    from langmem_plugin.cli._main import _open

    with _open(args, read_only=True) as memory:
        health = memory.health(args.days)
    if args.json:
        print(json.dumps({"users": health.users, "days": [asdict(d) for d in health.days]}))
        return 0
    print(f"{'day':<10} {'items':>7} {'new':>6} {'recalls':>7} {'mean ms':>8} {'calls':>5} tokens")
    for d in health.days:
        mean = "" if d.recall_ms is None else f"{d.recall_ms:.1f}"
        print(
            f"{d.day:<10} {d.items:>7} {sum(d.new_items.values()):>6} {d.recalls:>7} "
            f"{mean:>8} {d.llm_calls:>5} {d.llm_tokens}"
        )
    return 0


TREND_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "trends": _cmd_trends,
    "health": _cmd_health,
}
