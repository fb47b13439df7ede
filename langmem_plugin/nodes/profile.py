"""The user profile: a versioned set of facts, with history and rollback.

Namespaces:

* ``("profile", user_id)``: the current facts, one item per fact; ``content`` is
  ``"<category>: <value>"`` so the store's index makes them searchable.
* ``("profile_history", user_id)``: every version of every fact (key ``"<fact key>@<v>"``),
  with ``version_from``/``version_to`` and ``valid_from``/``valid_to``. Nothing is ever
  overwritten silently: an update or a correction closes the old version (``valid_to``) and
  opens a new one; a rollback is itself a new version.

Single-valued categories (``name``, ``location``, ``role``..., and every
``favorite_<thing>``) hold one fact: a new value supersedes the old. Other categories
(``likes``, ``tools``...) hold many; a near-duplicate value (same words, case and
punctuation aside) is not stored twice.

The extraction schema (``FactProposal``/``ProfileExtraction``) can be extended: subclass
them, add fields (stored under ``extra``) or narrow ``category`` with a ``Literal``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from langgraph.store.base import BaseStore, PutOp
from pydantic import BaseModel, Field

from langmem_plugin._namespaces import user_namespace

__all__ = [
    "SINGLE_VALUED_CATEGORIES",
    "FactProposal",
    "Profile",
    "ProfileChange",
    "ProfileExtraction",
    "ProfileFact",
    "ProfileStore",
    "is_single_valued",
]

SINGLE_VALUED_CATEGORIES = frozenset(
    {"name", "location", "role", "employer", "hometown", "age", "timezone", "email", "pronouns"}
)


def is_single_valued(category: str) -> bool:
    """Whether a category holds one fact (a new value supersedes the old one).

    The ``SINGLE_VALUED_CATEGORIES`` and every favourite (``favorite_color``...): a user
    has one favourite colour at a time, so "my favourite colour is blue" after "green"
    supersedes it.
    """
    return category in SINGLE_VALUED_CATEGORIES or category.startswith("favorite_")


_OPPOSITES = {"likes": "dislikes", "dislikes": "likes"}
_MAX_FACTS = 10_000


class FactProposal(BaseModel):
    """One change to the profile proposed by the extractor (model or rules)."""

    action: Literal["add", "update", "delete"] = Field(
        default="add", description="add a new fact, update (supersede) one, or delete one"
    )
    category: str = Field(
        description="e.g. name, role, employer, location, likes, dislikes, preferences, "
        "tools, languages, projects, relationships"
    )
    value: str = Field(description="the fact's value, short, in the user's words")
    confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    source_message_ids: list[str] = Field(
        default_factory=list, description="ids of the messages that state the fact"
    )
    replaces: str | None = Field(
        default=None, description="for an update: the old value this fact replaces"
    )


class ProfileExtraction(BaseModel):
    """Proposed profile changes: the ``profile`` section of the pipeline's one call per run."""

    facts: list[FactProposal] = Field(default_factory=list)


class ProfileFact(BaseModel):
    """A stored fact (one version of it)."""

    key: str
    category: str
    value: str
    confidence: float
    source_message_ids: list[str] = Field(default_factory=list)
    valid_from: str
    valid_to: str | None = None
    version_from: int
    version_to: int | None = None
    source: str = "llm"
    thread_id: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def content(self) -> str:
        """The searchable text of the fact."""
        return f"{self.category}: {self.value}"

    def to_value(self) -> dict[str, Any]:
        """The store value (includes ``content`` for the index)."""
        return {**self.model_dump(), "content": self.content}


class Profile:
    """A user's current facts; ``str()`` renders them one per line.

    Example:
        >>> profile = memory.profile("alice")  # doctest: +SKIP
        >>> profile.value("location")  # doctest: +SKIP
        'Berlin'
    """

    def __init__(self, user_id: str, facts: Sequence[ProfileFact], version: int) -> None:
        self.user_id = user_id
        self.facts = sorted(facts, key=lambda f: (f.category, f.valid_from, f.value))
        self.version = version

    def __iter__(self) -> Iterator[ProfileFact]:
        return iter(self.facts)

    def __len__(self) -> int:
        return len(self.facts)

    def get(self, category: str) -> list[str]:
        """All current values of a category."""
        return [f.value for f in self.facts if f.category == category]

    def value(self, category: str) -> str | None:
        """The current value of a category (the newest one when several)."""
        found = [f for f in self.facts if f.category == category]
        return max(found, key=lambda f: f.version_from).value if found else None

    def as_dict(self) -> dict[str, list[str]]:
        """``{category: [values]}``."""
        out: dict[str, list[str]] = {}
        for fact in self.facts:
            out.setdefault(fact.category, []).append(fact.value)
        return out

    def render(self, *, with_details: bool = True) -> str:
        """Render the facts, one per line."""
        lines = []
        for f in self.facts:
            detail = (
                f" (confidence {f.confidence:.2f}, since {f.valid_from[:10]}, source: {f.source})"
                if with_details
                else ""
            )
            lines.append(f"- {f.category}: {f.value}{detail}")
        return "\n".join(lines)

    def __str__(self) -> str:
        head = f"Profile of {self.user_id} (version {self.version}, {len(self.facts)} facts)"
        return head + ("\n" + self.render() if self.facts else "\n(no facts yet)")

    def __repr__(self) -> str:
        return f"Profile(user_id={self.user_id!r}, version={self.version}, facts={self.as_dict()})"


class ProfileChange(BaseModel):
    """What one ``ProfileStore.apply`` did."""

    version: int
    added: list[ProfileFact] = Field(default_factory=list)
    superseded: list[ProfileFact] = Field(default_factory=list)
    duplicates: list[str] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.added or self.superseded)


def normalize(value: str) -> str:
    """Lower-case, strip punctuation and articles: the near-duplicate comparison form."""
    words = re.findall(r"[\w+#]+", value.lower())
    return " ".join(w for w in words if w not in {"a", "an", "the", "my"})


def _similar(a: str, b: str) -> bool:
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return True
    sa, sb = set(na.split()), set(nb.split())
    return bool(sa and sb) and len(sa & sb) / len(sa | sb) >= 0.8


def _digest(value: str) -> str:
    """A wording's digest: what fact keys and aliases hold (a hash: no text to forget)."""
    return hashlib.sha1(normalize(value).encode()).hexdigest()[:12]


def _alias(fact: ProfileFact, value: str) -> bool:
    """Whether ``value`` is a wording merged into ``fact`` by consolidation (``merge``)."""
    return _digest(value) in fact.extra.get("aliases", ())


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _category(value: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", value.strip().lower()).strip("_")
    if not slug:
        raise ValueError(f"invalid fact category {value!r}")
    return slug


def fact_key(category: str, value: str) -> str:
    """The item key of a fact: the category for single-valued ones, else category+hash."""
    if is_single_valued(category):
        return category
    return f"{category}-{_digest(value)}"


class ProfileStore:
    """Reads and writes versioned profiles on any LangGraph ``BaseStore``.

    Writes for one user are serialised in this process; each ``apply`` is one
    ``store.batch`` call, so a failed extraction writes nothing.

    Args:
        store: The store holding the ``profile`` and ``profile_history`` namespaces.
    """

    _locks: dict[str, threading.Lock] = {}
    _locks_guard = threading.Lock()

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    def _lock(self, user_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(f"{id(self.store)}:{user_id}", threading.Lock())

    def current(self, user_id: str) -> Profile:
        """The user's current profile."""
        items = self.store.search(user_namespace("profile", user_id), limit=_MAX_FACTS)
        facts = [ProfileFact.model_validate(i.value) for i in items]
        return Profile(user_id, facts, self.version(user_id))

    def history(self, user_id: str) -> list[ProfileFact]:
        """Every version of every fact, oldest version first."""
        items = self.store.search(user_namespace("profile_history", user_id), limit=_MAX_FACTS)
        facts = [ProfileFact.model_validate(i.value) for i in items]
        return sorted(facts, key=lambda f: (f.version_from, f.category, f.key))

    def version(self, user_id: str) -> int:
        """The latest profile version (0 when the profile is empty and has no history)."""
        hist = self.store.search(user_namespace("profile_history", user_id), limit=_MAX_FACTS)
        versions = [i.value.get("version_from", 0) for i in hist]
        versions += [i.value.get("version_to") or 0 for i in hist]
        return max(versions, default=0)

    def apply(  # noqa: PLR0912 -- one branch per kind of change, as the docstring lists
        self,
        user_id: str,
        proposals: Sequence[FactProposal],
        *,
        source: str,
        at: datetime | None = None,
        thread_id: str | None = None,
    ) -> ProfileChange:
        """Apply proposed changes as one new version.

        Args:
            user_id: Whose profile.
            proposals: Adds, updates and deletes, applied in order.
            source: Label stored with new facts (``"llm"``, ``"rules"``, ``"user"``...).
            at: When the facts became valid (defaults to now).
            thread_id: The conversation they came from.

        Returns:
            The change; ``changed`` is false when everything was a duplicate.

        Raises:
            ValueError: If a proposal has an empty category or value; nothing is written.
        """
        when = (at or datetime.now(UTC)).isoformat()
        checked = []
        for proposal in proposals:
            if not proposal.value.strip() and proposal.action != "delete":
                raise ValueError(f"empty value for fact category {proposal.category!r}")
            checked.append((_category(proposal.category), proposal))
        with self._lock(user_id):
            version = self.version(user_id) + 1
            live = {f.key: f for f in self.current(user_id)}
            change = ProfileChange(version=version)

            def close(fact: ProfileFact) -> None:
                closed = fact.model_copy(update={"valid_to": when, "version_to": version})
                change.superseded.append(closed)
                live.pop(fact.key, None)

            for category, p in checked:
                same = [f for f in live.values() if f.category == category]
                matching = [f for f in same if _similar(f.value, p.value) or _alias(f, p.value)]
                if p.action == "delete":
                    targets = matching or (
                        same if is_single_valued(category) and not p.value else []
                    )
                    for fact in targets:
                        close(fact)
                    continue
                if matching:
                    change.duplicates.append(f"{category}: {p.value}")
                    continue
                if is_single_valued(category):
                    for fact in same:
                        close(fact)
                elif p.replaces:
                    for fact in [f for f in same if _similar(f.value, p.replaces)]:
                        close(fact)
                opposite = _OPPOSITES.get(category)
                for fact in [f for f in live.values() if f.category == opposite]:
                    if _similar(fact.value, p.value):
                        close(fact)
                extra = p.model_dump(exclude=set(FactProposal.model_fields))
                fact = ProfileFact(
                    key=fact_key(category, p.value),
                    category=category,
                    value=p.value.strip(),
                    confidence=p.confidence,
                    source_message_ids=list(p.source_message_ids),
                    valid_from=when,
                    version_from=version,
                    source=source,
                    thread_id=thread_id,
                    extra=extra,
                )
                if fact.key in live:  # same hash, different spelling: supersede
                    close(live[fact.key])
                live[fact.key] = fact
                change.added.append(fact)
            self._write(user_id, change)
        return change

    def _write(self, user_id: str, change: ProfileChange) -> None:
        if change.changed:
            self.store.batch(self._ops(user_id, change))

    def _ops(self, user_id: str, change: ProfileChange) -> list[PutOp]:
        profile, hist = (
            user_namespace("profile", user_id),
            user_namespace("profile_history", user_id),
        )
        ops: list[PutOp] = []
        added_keys = {f.key for f in change.added}

        # History content carries the version: distinct texts in one batch (InMemoryStore's
        # batch fails on two identical texts to embed).
        def versioned(fact: ProfileFact) -> dict[str, Any]:
            return {**fact.to_value(), "content": f"{fact.content} (v{fact.version_from})"}

        for old in change.superseded:
            ops.append(PutOp(hist, f"{old.key}@{old.version_from}", versioned(old)))
            if old.key not in added_keys:
                ops.append(PutOp(profile, old.key, None))
        for new in change.added:
            ops.append(PutOp(hist, f"{new.key}@{new.version_from}", versioned(new)))
            ops.append(PutOp(profile, new.key, new.to_value()))
        return ops

    def merge(
        self, user_id: str, duplicates: dict[str, str], *, at: datetime | None = None
    ) -> ProfileChange:
        """Merge near-duplicate current facts into the ones kept, as one new version.

        Each duplicate is closed (``valid_to``, ``version_to``; its history entry says
        ``extra["merged_into"]``), and its wording becomes an alias of the fact kept
        (``extra["aliases"]``: digests, not text, so that forgetting the wording leaves
        nothing of it; updated in place: the same fact, the same validity), so that
        ``apply`` takes a restatement in that wording as a duplicate too. Used by
        consolidation (``nodes._consolidate``), which finds the pairs.

        Args:
            user_id: Whose profile.
            duplicates: ``{duplicate key: key of the fact kept}``, both current facts.
            at: When (default now).

        Returns:
            The change (``superseded`` holds the merged duplicates); keys no longer
            current are skipped.
        """
        when = (at or datetime.now(UTC)).isoformat()
        with self._lock(user_id):
            live = {f.key: f for f in self.current(user_id)}
            version = self.version(user_id) + 1
            change = ProfileChange(version=version)
            kept: dict[str, ProfileFact] = {}
            for dup_key, keep_key in duplicates.items():
                dup, keep = live.get(dup_key), kept.get(keep_key) or live.get(keep_key)
                if dup is None or keep is None or dup_key == keep_key or dup_key in kept:
                    continue
                aliases = {*keep.extra.get("aliases", ()), _digest(dup.value)}
                aliases |= set(dup.extra.get("aliases", ()))
                extra = {**keep.extra, "aliases": sorted(aliases)}
                kept[keep_key] = keep.model_copy(update={"extra": extra})
                closed_extra = {**dup.extra, "merged_into": keep_key}
                change.superseded.append(
                    dup.model_copy(
                        update={"valid_to": when, "version_to": version, "extra": closed_extra}
                    )
                )
            if change.superseded:  # one batch: all of it or nothing
                ops = self._ops(user_id, change)
                for fact in kept.values():  # in place: same fact, same version
                    ops.append(PutOp(user_namespace("profile", user_id), fact.key, fact.to_value()))
                    ops.append(
                        PutOp(
                            user_namespace("profile_history", user_id),
                            f"{fact.key}@{fact.version_from}",
                            {
                                **fact.to_value(),
                                "content": f"{fact.content} (v{fact.version_from})",
                            },
                        )
                    )
                self.store.batch(ops)
        return change

    def rollback(self, user_id: str, version: int) -> ProfileChange:
        """Restore the profile as it was at ``version``, as a new version.

        Args:
            user_id: Whose profile.
            version: A version between 1 and the current one.

        Returns:
            The change that restored it.

        Raises:
            ValueError: If ``version`` does not exist.
        """
        current_version = self.version(user_id)
        if not isinstance(version, int) or not 1 <= version <= current_version:
            raise ValueError(
                f"profile of {user_id!r} has versions 1..{current_version}, got {version!r}"
            )
        target = {
            f.key: f
            for f in self.history(user_id)
            if f.version_from <= version and (f.version_to is None or f.version_to > version)
        }
        when = _now()
        with self._lock(user_id):
            new_version = self.version(user_id) + 1
            live = {f.key: f for f in self.current(user_id)}
            change = ProfileChange(version=new_version)
            for key, fact in live.items():
                if key not in target or target[key].value != fact.value:
                    change.superseded.append(
                        fact.model_copy(update={"valid_to": when, "version_to": new_version})
                    )
            for key, fact in target.items():
                if key not in live or live[key].value != fact.value:
                    change.added.append(
                        fact.model_copy(
                            update={
                                "valid_from": when,
                                "valid_to": None,
                                "version_from": new_version,
                                "version_to": None,
                                "source": f"rollback:v{version}",
                            }
                        )
                    )
            self._write(user_id, change)
        return change
