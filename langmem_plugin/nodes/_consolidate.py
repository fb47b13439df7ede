"""Consolidation by meaning: one user's facts, notes, lessons and episodes, tidied.

``Memory.consolidate(user_id)`` runs :class:`Consolidator` and returns a
:class:`ConsolidationReport`. No model call: it reads the stored vectors (see
``nodes._similarity``) and the usage counts (``nodes._usage``), so the pipeline's budget of
one model call per session holds. What it does, each step one store batch:

* **Profile facts**: current facts of one category that are near-duplicates by meaning
  and wording ("likes: hiking" / "likes: going hiking") are merged into the oldest
  (``ProfileStore.merge``): the duplicate is closed into ``("profile_history", user)`` with
  ``merged_into``, and its wording becomes an alias of the kept fact, so restating it is a
  duplicate from then on. Single-valued categories (``location``...) hold one fact already:
  a new value supersedes the old when it is written (``ProfileStore.apply``).
* **Notes** (``("memories", user)``, saved by the agent): a near-duplicate is deleted,
  the kept note (the more important, then the older) lists it in ``merged_from`` and takes
  the higher importance.
* **Lessons** (the user's own, or the agent's with ``agent_id``): near-duplicates of the
  same tool are merged into the heavier one, which adds up their ``weight``,
  ``occurrences`` and ``helped``.
* **Episodes**: near-duplicates merged and decayed ones archived (``EpisodeStore.
  consolidate``: decay counts from the last recall, see ``nodes._usage.strength``); then
  the live episodes are **clustered by topic** (``nodes._similarity.clusters``, cosine to
  the cluster's centroid >= ``cluster_similarity``), and each episode's ``cluster`` (the
  key of its cluster's oldest episode) and ``cluster_label`` (the cluster's most frequent
  topics) are written where they changed.
* **Usage**: pending recall counts are flushed and the counts of memories that no longer
  exist are dropped.

The pipeline runs the fact and episode steps after every run (``PipelineOptions.
consolidate``) for what the run wrote; ``Memory.consolidate`` runs everything for a user.
``Memory.consolidate`` is audited as one ``consolidate`` event of the user with the counts
(no content).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import BaseStore, Item, PutOp

from langmem_plugin._audit import log_of
from langmem_plugin._namespaces import lesson_namespace, user_namespace
from langmem_plugin._paging import search_all
from langmem_plugin.nodes._similarity import (
    DEFAULT_OVERLAP,
    DEFAULT_SIMILARITY,
    clusters,
    near_duplicates,
    vectors_of,
)
from langmem_plugin.nodes._usage import usage_of
from langmem_plugin.nodes.episodes import EpisodeStore
from langmem_plugin.nodes.profile import ProfileStore, is_single_valued

__all__ = ["ConsolidationReport", "Consolidator", "TopicCluster"]


@dataclass(frozen=True)
class TopicCluster:
    """Live episodes about one topic.

    Attributes:
        key: The cluster id: the key of its oldest episode.
        label: Its most frequent topics, comma-separated.
        episode_keys: Its episodes, oldest first.
    """

    key: str
    label: str
    episode_keys: list[str]


@dataclass
class ConsolidationReport:
    """What ``Memory.consolidate`` did for one user.

    Attributes:
        user_id: The user.
        facts_merged: Profile facts merged into a near-duplicate (closed into history).
        notes_merged: Saved notes merged (deleted, listed in the kept note's ``merged_from``).
        lessons_merged: Lessons merged into a heavier near-duplicate.
        episodes_merged: Episodes merged (moved to the episode archive).
        episodes_archived: Episodes archived because they decayed.
        clusters: Topic clusters of the live episodes, largest first.
        usage_pruned: Usage counts dropped (their memories no longer exist).
        merged: ``(kind, duplicate key, kept key)`` of every merge.
    """

    user_id: str
    facts_merged: int = 0
    notes_merged: int = 0
    lessons_merged: int = 0
    episodes_merged: int = 0
    episodes_archived: int = 0
    clusters: list[TopicCluster] = field(default_factory=list)
    usage_pruned: int = 0
    merged: list[tuple[str, str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counts (what the audit event records: no content)."""
        return {
            "facts_merged": self.facts_merged,
            "notes_merged": self.notes_merged,
            "lessons_merged": self.lessons_merged,
            "episodes_merged": self.episodes_merged,
            "episodes_archived": self.episodes_archived,
            "clusters": len(self.clusters),
            "usage_pruned": self.usage_pruned,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def summary(self) -> str:
        """One line of counts."""
        c = self.counts()
        return (
            f"{self.user_id}: merged {c['facts_merged']} facts, {c['notes_merged']} notes, "
            f"{c['lessons_merged']} lessons, {c['episodes_merged']} episodes; archived "
            f"{c['episodes_archived']} decayed episodes; {c['clusters']} topic clusters"
        )


def _exact(items: Sequence[Item], namespace: tuple[str, ...]) -> list[Item]:
    return [i for i in items if tuple(i.namespace) == namespace]


class Consolidator:
    """Consolidates one user's memories by meaning (see the module docstring).

    Args:
        store: The store.
        similarity: Minimum cosine similarity of two facts, notes or lessons to merge
            (``nodes._similarity``; MiniLM: 0.85 keeps "peanuts"/"nuts" apart).
        overlap: Minimum share of stemmed content words they must share.
        episode_similarity: The same for episodes (``EpisodeStore.merge_threshold``, 0.92:
            two sessions are two events unless they say the same thing).
        cluster_similarity: Cosine to a cluster's centroid for an episode to join it.
            0.5: with MiniLM, on 8 hand-written episode contents of 3 topics and 2 strays,
            same-topic pairs score 0.37-0.74 (median 0.56) and other pairs 0.28-0.48; a
            centroid is closer to its members than they are to each other, and 0.45, 0.5
            and 0.55 all give the 3 topics and 2 single clusters, in any arrival order.
        decay_half_life: Days after which an unused episode's importance is halved.
        archive_below: Strength below which an episode is archived.
    """

    def __init__(
        self,
        store: BaseStore,
        *,
        similarity: float = DEFAULT_SIMILARITY,
        overlap: float = DEFAULT_OVERLAP,
        episode_similarity: float = 0.92,
        cluster_similarity: float = 0.5,
        decay_half_life: float = 90.0,
        archive_below: float = 0.15,
    ) -> None:
        for name, value in (
            ("similarity", similarity),
            ("overlap", overlap),
            ("episode_similarity", episode_similarity),
            ("cluster_similarity", cluster_similarity),
        ):
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value!r}")
        self.store = store
        self.similarity, self.overlap = similarity, overlap
        self.cluster_similarity = cluster_similarity
        self.profiles = ProfileStore(store)
        self.episodes = EpisodeStore(
            store,
            merge_threshold=episode_similarity,
            decay_half_life=decay_half_life,
            archive_below=archive_below,
        )

    # ------------------------------------------------------------------ the run
    def run(
        self, user_id: str, *, agent_id: str | None = None, now: datetime | None = None
    ) -> ConsolidationReport:
        """Consolidate everything of ``user_id`` (and the agent's lessons with ``agent_id``)."""
        now = now or datetime.now(UTC)
        report = ConsolidationReport(user_id)
        usage = usage_of(self.store)
        usage.flush(user_id)  # decay and ranking read every recall so far
        self.facts(user_id, report, at=now)
        self._notes(user_id, report)
        self._lessons(lesson_namespace(user_id, agent_id), report)
        done = self.episodes.consolidate(user_id, now=now)
        report.episodes_merged, report.episodes_archived = done["merged"], done["archived"]
        report.clusters = self.cluster_episodes(user_id)
        report.usage_pruned = usage.prune(user_id, self._live_keys(user_id))
        log = log_of(self.store)
        if log is not None:
            log.record([((), "", "consolidate")], user_id=user_id, detail=report.counts())
        return report

    def facts(
        self,
        user_id: str,
        report: ConsolidationReport | None = None,
        *,
        keys: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> int:
        """Merge near-duplicate current facts (of multi-valued categories); returns how many.

        Args:
            user_id: Whose profile.
            report: Adds the merges to it.
            keys: Only pairs with one of these facts (the pipeline: the facts just added).
            at: When the merge happened (the duplicates' ``valid_to``).
        """
        ns = user_namespace("profile", user_id)
        items = _exact(search_all(self.store, ns), ns)
        by_category: dict[str, list[Item]] = {}
        for item in items:
            category = str(item.value.get("category", ""))
            if category and not is_single_valued(category):
                by_category.setdefault(category, []).append(item)
        groups = [g for g in by_category.values() if len(g) > 1]
        if keys is not None:
            wanted = set(keys)
            groups = [g for g in groups if any(i.key in wanted for i in g)]
        if not groups:
            return 0
        duplicates: dict[str, str] = {}
        for group in groups:
            # the oldest first: it has been true since then, the restatements join it
            group.sort(key=lambda i: (str(i.value.get("valid_from", "")), len(i.value["value"])))
            vectors = vectors_of(self.store, group, lambda i: str(i.value.get("content", "")))
            if vectors is None:
                continue
            among = None if keys is None else [n for n, i in enumerate(group) if i.key in wanted]
            pairs = near_duplicates(
                vectors,
                [str(i.value["value"]) for i in group],
                similarity=self.similarity,
                overlap=self.overlap,
                among=among,
            )
            duplicates.update({group[d].key: group[k].key for d, k in pairs.items()})
        if not duplicates:
            return 0
        change = self.profiles.merge(user_id, duplicates, at=at)
        merged = [(f.key, duplicates[f.key]) for f in change.superseded]
        if report is not None:
            report.facts_merged += len(merged)
            report.merged += [("fact", dup, keep) for dup, keep in merged]
        return len(merged)

    def _notes(self, user_id: str, report: ConsolidationReport) -> None:
        ns = user_namespace("memories", user_id)
        items = _exact(search_all(self.store, ns), ns)
        items.sort(
            key=lambda i: (
                -float(i.value.get("importance", 0.5) or 0.0),
                str(i.value.get("created_at", "")),
            )
        )
        pairs = self._pairs(items)
        keepers: dict[int, dict[str, Any]] = {}
        ops: list[PutOp] = []
        for dup, keep in sorted(pairs.items()):
            value = keepers.setdefault(keep, dict(items[keep].value))
            value["merged_from"] = [*value.get("merged_from", []), items[dup].key]
            value["importance"] = max(
                float(value.get("importance", 0.5) or 0.0),
                float(items[dup].value.get("importance", 0.5) or 0.0),
            )
            ops.append(PutOp(ns, items[dup].key, None))
            report.merged.append(("note", items[dup].key, items[keep].key))
        ops += [PutOp(ns, items[k].key, v) for k, v in keepers.items()]
        if ops:
            self.store.batch(ops)
        report.notes_merged = len(pairs)

    def _lessons(self, ns: tuple[str, ...], report: ConsolidationReport) -> None:
        items = _exact(search_all(self.store, ns), ns)
        by_tool: dict[str, list[Item]] = {}
        for item in items:
            by_tool.setdefault(str(item.value.get("tool")), []).append(item)
        ops: list[PutOp] = []
        for group in by_tool.values():
            group.sort(
                key=lambda i: (-float(i.value.get("weight", 1.0)), str(i.value.get("created_at")))
            )
            pairs = self._pairs(group)
            keepers: dict[int, dict[str, Any]] = {}
            for dup, keep in sorted(pairs.items()):
                value = keepers.setdefault(keep, dict(group[keep].value))
                other = group[dup].value
                for name, default in (("weight", 1.0), ("occurrences", 1), ("helped", 0)):
                    value[name] = value.get(name, default) + other.get(name, default)
                value["merged_from"] = [*value.get("merged_from", []), group[dup].key]
                ops.append(PutOp(ns, group[dup].key, None))
                report.merged.append(("lesson", group[dup].key, group[keep].key))
            ops += [PutOp(ns, group[k].key, v) for k, v in keepers.items()]
            report.lessons_merged += len(pairs)
        if ops:
            self.store.batch(ops)

    def _pairs(self, items: Sequence[Item]) -> dict[int, int]:
        if len(items) < 2:
            return {}
        vectors = vectors_of(self.store, items, lambda i: str(i.value.get("content", "")))
        if vectors is None:
            return {}
        texts = [str(i.value.get("content", "")) for i in items]
        return near_duplicates(vectors, texts, similarity=self.similarity, overlap=self.overlap)

    # ------------------------------------------------------------------ topics
    def cluster_episodes(self, user_id: str) -> list[TopicCluster]:
        """Cluster the live episodes by topic and record it on them (see the module docstring).

        Returns:
            The clusters, largest first.
        """
        ns = user_namespace("episodes", user_id)
        items = _exact(search_all(self.store, ns), ns)
        items.sort(key=lambda i: (str(i.value.get("occurred_at", "")), i.key))
        vectors = vectors_of(self.store, items, lambda i: str(i.value.get("content", "")))
        if vectors is None or not items:
            return []
        found: list[TopicCluster] = []
        ops: list[PutOp] = []
        for rows in clusters(vectors, similarity=self.cluster_similarity):
            members = [items[r] for r in rows]
            topics = Counter(str(t).lower() for m in members for t in (m.value.get("topics") or []))
            label = ", ".join(t for t, _ in topics.most_common(3))
            cluster = TopicCluster(members[0].key, label, [m.key for m in members])
            found.append(cluster)
            for member in members:
                if (member.value.get("cluster"), member.value.get("cluster_label")) != (
                    cluster.key,
                    label,
                ):
                    value = {**member.value, "cluster": cluster.key, "cluster_label": label}
                    ops.append(PutOp(ns, member.key, value))
        if ops:
            self.store.batch(ops)
        return found

    def _live_keys(self, user_id: str) -> dict[str, set[str]]:
        live: dict[str, set[str]] = {}
        for kind in ("profile", "episodes", "episodes_archive", "memories", "lessons"):
            ns = user_namespace(kind, user_id)
            live[kind] = {i.key for i in _exact(search_all(self.store, ns), ns)}
        live["episodes"] |= live.pop("episodes_archive")  # recall counts both as episodes
        return live


def after_run(
    store: BaseStore, user_id: str, added_facts: Sequence[str], consolidate: bool
) -> None:
    """The pipeline's end of a run: merge the new facts' near-duplicates, flush usage.

    Args:
        store: The store.
        user_id: The run's user.
        added_facts: Keys of the facts the run added.
        consolidate: ``PipelineOptions.consolidate``.
    """
    if consolidate and added_facts:
        Consolidator(store).facts(user_id, keys=added_facts)
    usage_of(store).flush(user_id)
