r"""``KnowledgeGraph``: a user's entities and relations, in the store's own SQL database.

Three tables beside the store's items (``<store tables>_entities``, ``_relations``,
``_mentions``), in the same SQLite file or PostgreSQL database (``Memory.from_url`` with a
``postgresql://`` URL puts them there like the items and the audit log): not a second
database, so a backup, ``forget_user`` and export see them with the rest.

* ``entities``: ``id``, ``user_id``, ``name_key`` (a keyed hash of the normalised name: the
  lookup key), ``data`` (JSON: name, kind, source), ``first_seen``, ``last_seen``.
* ``relations``: ``id``, ``user_id``, ``subject``, ``object`` (entity ids), ``data`` (JSON:
  predicate, confidence, source, source message ids, thread), ``valid_from``, ``valid_to``,
  ``recorded_at``, ``superseded_at``, ``superseded_by``.
* ``mentions``: ``(user_id, entity_id, thread_id, message_id, at)``: the archived turns
  that name an entity (the memory chains of associative recall).

Why tables and not store items: recall looks entities up by name and follows relations
on every query; an indexed lookup answers that without reading the user's items.

Privacy: an encrypted store seals ``data`` like item values (AES-256-GCM, the row's id as
associated data) and keys the name hashes with a key derived from the store's key, so
names, predicates and sources are never in the clear; what stays in the clear is what the
items leave (ids, thread and message ids, times). A redacting store redacts names before
they are stored. Forget, dump and restore: ``knowledge._lifecycle``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from langmem_plugin._paging import chunks
from langmem_plugin.errors import EntityNotFoundError
from langmem_plugin.knowledge._lifecycle import SELF_KEY, KnowledgeLifecycle
from langmem_plugin.knowledge._model import (
    ENTITY_KINDS,
    SELF,
    SINGLE_VALUED_PREDICATES,
    Entity,
    EntityDraft,
    KnowledgeChange,
    Mention,
    Relation,
    RelationDraft,
    normalize_name,
    normalize_predicate,
)
from langmem_plugin.store._db import Cursor, Database
from langmem_plugin.store._rows import table_base

__all__ = ["KnowledgeGraph", "knowledge_of"]

_IN = 400
_SELF_KEY = SELF_KEY
_REGISTRY: weakref.WeakKeyDictionary[Any, KnowledgeGraph] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


def _epoch(when: datetime | None) -> float:
    if when is None:
        return time.time()
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


class KnowledgeGraph(KnowledgeLifecycle):
    """Entities and relations of every user of one store (see the module docstring).

    Get the one of a store with :func:`knowledge_of` (``memory.knowledge``).

    Args:
        db: The store's database.
        prefix: The store's collection prefix (names the tables).
        seal: Encrypts a text for a row id (the store's cipher), or None.
        open_: Decrypts what ``seal`` wrote, or None.
        name_secret: Key of the name hashes (derived from the store key when encrypted).
        redact: The store's redactor, applied to names before they are stored.
    """

    def __init__(
        self,
        db: Database,
        prefix: str,
        *,
        seal: Callable[[str, str], str] | None = None,
        open_: Callable[[str, str], str] | None = None,
        name_secret: bytes = b"langmem entity names",
        redact: Callable[[str], str] | None = None,
    ) -> None:
        base = table_base(prefix)
        self.db = db
        self.entities_table = f"{base}_entities"
        self.relations_table = f"{base}_relations"
        self.mentions_table = f"{base}_mentions"
        self._seal, self._open = seal, open_
        self._secret = name_secret
        self._redact = redact
        self._lock = threading.Lock()
        self.present = self._setup()

    # ------------------------------------------------------------------ tables
    def _setup(self) -> bool:
        if self.db.read_only:  # a reader creates nothing
            found = self.db.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                [self.entities_table],
            )
            return bool(found)
        pg = self.db.kind == "postgres"
        real = "DOUBLE PRECISION" if pg else "REAL"
        e, r, m = self.entities_table, self.relations_table, self.mentions_table
        statements = [
            f"""CREATE TABLE IF NOT EXISTS {e} (id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
                name_key TEXT NOT NULL, data TEXT NOT NULL, first_seen {real} NOT NULL,
                last_seen {real} NOT NULL)""",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {e}_name ON {e} (user_id, name_key)",
            f"""CREATE TABLE IF NOT EXISTS {r} (id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
                subject TEXT NOT NULL, object TEXT NOT NULL, data TEXT NOT NULL,
                valid_from {real} NOT NULL, valid_to {real}, recorded_at {real} NOT NULL,
                superseded_at {real}, superseded_by TEXT)""",
            f"CREATE INDEX IF NOT EXISTS {r}_subject ON {r} (user_id, subject)",
            f"CREATE INDEX IF NOT EXISTS {r}_object ON {r} (user_id, object)",
            f"""CREATE TABLE IF NOT EXISTS {m} (user_id TEXT NOT NULL, entity_id TEXT NOT NULL,
                thread_id TEXT NOT NULL, message_id TEXT NOT NULL, at {real} NOT NULL,
                PRIMARY KEY (entity_id, thread_id, message_id))""",
            f"CREATE INDEX IF NOT EXISTS {m}_user ON {m} (user_id)",
        ]

        def create(cursor: Cursor) -> None:
            if pg:
                digest = hashlib.blake2b(e.encode(), digest_size=4).digest()
                cursor.execute("SELECT pg_advisory_xact_lock(?)", [int.from_bytes(digest)])
            for statement in statements:
                cursor.execute(statement)

        self.db.transaction(create)
        return True

    def name_key(self, name: str) -> str:
        """The lookup key of a name (keyed hash of its normalised form)."""
        text = _SELF_KEY if name == _SELF_KEY else normalize_name(name)
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def _pack(self, row_id: str, data: dict[str, Any]) -> str:
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return self._seal(row_id, text) if self._seal else text

    def _unpack(self, row_id: str, stored: str) -> dict[str, Any]:
        text = self._open(row_id, stored) if self._open else stored
        value = json.loads(text)
        return value if isinstance(value, dict) else {}

    def _clean(self, name: str) -> str:
        text = " ".join(name.split())
        return self._redact(text) if self._redact else text

    # ------------------------------------------------------------------ reads
    def _entity(self, row: Sequence[Any]) -> Entity:
        eid, user, data, first, last = row
        value = self._unpack(str(eid), str(data))
        return Entity(
            id=str(eid),
            user_id=str(user),
            name=str(value.get("name", "")),
            kind=str(value.get("kind", "other")),
            first_seen=_iso(float(first)) or "",
            last_seen=_iso(float(last)) or "",
            source=str(value.get("source", "rules")),
            is_user=bool(value.get("is_user", False)),
        )

    _ENTITY_COLUMNS = "id, user_id, data, first_seen, last_seen"
    _RELATION_COLUMNS = (
        "id, user_id, subject, object, data, valid_from, valid_to, recorded_at, "
        "superseded_at, superseded_by"
    )

    def entities(self, user_id: str) -> list[Entity]:
        """The user's entities, most recently mentioned first."""
        if not self.present:
            return []
        rows = self.db.query(
            f"SELECT {self._ENTITY_COLUMNS} FROM {self.entities_table} WHERE user_id = ? "
            "ORDER BY last_seen DESC, id",
            [user_id],
        )
        return [self._entity(row) for row in rows]

    def entity(self, user_id: str, entity_id: str) -> Entity:
        """One of the user's entities by id.

        Raises:
            EntityNotFoundError: The user has no entity with that id (another user's
                entity included).
        """
        found = self.by_ids(user_id, [entity_id]) if self.present else {}
        if entity_id not in found:
            raise EntityNotFoundError(f"user {user_id!r} has no entity {entity_id!r}")
        return found[entity_id]

    def by_ids(self, user_id: str, ids: Iterable[str]) -> dict[str, Entity]:
        """The user's entities with these ids (others' are never returned)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Entity] = {}
        for chunk in chunks(wanted, _IN):
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.query(
                f"SELECT {self._ENTITY_COLUMNS} FROM {self.entities_table} "
                f"WHERE user_id = ? AND id IN ({marks})",
                [user_id, *chunk],
            )
            out.update((str(row[0]), self._entity(row)) for row in rows)
        return out

    def find(self, user_id: str, names: Iterable[str]) -> dict[str, Entity]:
        """The user's entities named by any of ``names``, by normalised name (one query)."""
        if not self.present:
            return {}
        keys = {self.name_key(n): normalize_name(n) for n in names if normalize_name(n)}
        out: dict[str, Entity] = {}
        for chunk in chunks(list(keys), _IN):
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.query(
                f"SELECT name_key, {self._ENTITY_COLUMNS} FROM {self.entities_table} "
                f"WHERE user_id = ? AND name_key IN ({marks})",
                [user_id, *chunk],
            )
            out.update((keys[str(row[0])], self._entity(row[1:])) for row in rows)
        return out

    def _relation(self, row: Sequence[Any], names: dict[str, Entity]) -> Relation:
        rid, user, subject, obj, data, vfrom, vto, rec, sup, by = row
        value = self._unpack(str(rid), str(data))
        return Relation(
            id=str(rid),
            user_id=str(user),
            subject_id=str(subject),
            predicate=str(value.get("predicate", "related_to")),
            object_id=str(obj),
            subject=names[subject].name if subject in names else "?",
            object=names[obj].name if obj in names else "?",
            confidence=float(value.get("confidence", 0.8)),
            source=str(value.get("source", "rules")),
            valid_from=_iso(float(vfrom)) or "",
            valid_to=_iso(None if vto is None else float(vto)),
            recorded_at=_iso(float(rec)) or "",
            superseded_at=_iso(None if sup is None else float(sup)),
            superseded_by=None if by is None else str(by),
            source_message_ids=tuple(value.get("source_message_ids", ())),
            thread_id=value.get("thread_id"),
        )

    def relations(
        self,
        user_id: str,
        entity_ids: Iterable[str] | None = None,
        *,
        current: bool = True,
        limit: int | None = None,
    ) -> list[Relation]:
        """Relations of the user (touching ``entity_ids`` when given), newest first.

        Args:
            user_id: Whose.
            entity_ids: Only relations whose subject or object is one of these.
            current: Only relations that still hold (else their whole history).
            limit: At most this many (the newest).
        """
        if not self.present:
            return []
        where, params = "user_id = ?", [user_id]
        if current:
            where += " AND valid_to IS NULL"
        rows: list[Any] = []
        if entity_ids is None:
            sql = f"SELECT {self._RELATION_COLUMNS} FROM {self.relations_table} WHERE {where}"
            rows = self.db.query(sql + " ORDER BY valid_from DESC, recorded_at DESC", params)
        else:
            ids = list(dict.fromkeys(entity_ids))
            for chunk in chunks(ids, _IN):
                marks = ", ".join("?" for _ in chunk)
                rows += self.db.query(
                    f"SELECT {self._RELATION_COLUMNS} FROM {self.relations_table} WHERE {where} "
                    f"AND (subject IN ({marks}) OR object IN ({marks}))",
                    [*params, *chunk, *chunk],
                )
            rows.sort(key=lambda r: (-float(r[5]), -float(r[7]), str(r[0])))
            rows = list({str(r[0]): r for r in rows}.values())
        if limit is not None:
            rows = rows[:limit]
        names = self.by_ids(user_id, {str(r[2]) for r in rows} | {str(r[3]) for r in rows})
        return [self._relation(row, names) for row in rows]

    def mentions(self, user_id: str, entity_ids: Iterable[str], limit: int = 200) -> list[Mention]:
        """Archived turns naming these entities, newest first (at most ``limit``)."""
        ids = list(dict.fromkeys(entity_ids))
        if not self.present or not ids:
            return []
        found: list[Mention] = []
        for chunk in chunks(ids, _IN):
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.query(
                f"SELECT entity_id, thread_id, message_id, at FROM {self.mentions_table} "
                f"WHERE user_id = ? AND entity_id IN ({marks}) ORDER BY at DESC LIMIT ?",
                [user_id, *chunk, limit],
            )
            found += [Mention(str(e), str(t), str(k), float(a)) for e, t, k, a in rows]
        found.sort(key=lambda m: -m.at)
        return found[:limit]

    def counts(self, user_id: str) -> dict[str, int]:
        """How many entities, relation versions and mentions the user has."""
        if not self.present:
            return {"entities": 0, "relations": 0, "mentions": 0}
        tables = (
            ("entities", self.entities_table),
            ("relations", self.relations_table),
            ("mentions", self.mentions_table),
        )
        return {
            name: int(self.db.query(f"SELECT COUNT(*) FROM {t} WHERE user_id = ?", [user_id])[0][0])
            for name, t in tables
        }

    # ------------------------------------------------------------------ writes
    def apply(
        self,
        user_id: str,
        entities: Sequence[EntityDraft] = (),
        relations: Sequence[RelationDraft] = (),
        *,
        mentions: Sequence[tuple[str, str, str]] = (),
        source: str = "rules",
        at: datetime | None = None,
        thread_id: str | None = None,
        user_name: str | None = None,
    ) -> KnowledgeChange:
        """Add entities, relations and mentions in one transaction.

        Relations are superseded, never overwritten: a new object of a single-valued
        predicate closes the subject's current one (``valid_to`` = ``at``,
        ``superseded_by`` the new relation), a ``delete`` draft closes the matching one,
        and a relation that already holds is not added again.

        Args:
            user_id: Whose memory.
            entities: Entities to create (an existing name is one entity: ``last_seen``).
            relations: Relations to add or close; their subject/object are created as
                entities when new (``"user"`` is the user).
            mentions: ``(entity name, thread_id, message_id)`` of archived turns.
            source: ``"llm"``, ``"rules"`` or ``"user"``.
            at: When it was said (valid time; default now).
            thread_id: The conversation it came from.
            user_name: How to name the user's own entity when it is created.

        Raises:
            ValueError: A draft has an empty name or predicate; nothing is written.
        """
        moment, now = _epoch(at), time.time()
        checked: list[tuple[RelationDraft, str]] = []
        for draft in relations:
            if not normalize_name(draft.subject) or not normalize_name(draft.object):
                raise ValueError(f"relation with an empty entity name: {draft!r:.120}")
            checked.append((draft, normalize_predicate(draft.predicate)))
        for entity in entities:
            if not normalize_name(entity.name):
                raise ValueError(f"entity with an empty name: {entity.name!r}")
        change = KnowledgeChange()
        with self._lock:
            self.db.transaction(
                lambda cursor: self._apply(
                    cursor,
                    user_id,
                    entities,
                    checked,
                    mentions,
                    source,
                    moment,
                    now,
                    thread_id,
                    user_name,
                    change,
                )
            )
        return change

    def _apply(
        self,
        cursor: Cursor,
        user_id: str,
        entities: Sequence[EntityDraft],
        relations: Sequence[tuple[RelationDraft, str]],
        mentions: Sequence[tuple[str, str, str]],
        source: str,
        moment: float,
        now: float,
        thread_id: str | None,
        user_name: str | None,
        change: KnowledgeChange,
    ) -> None:
        ids: dict[str, str] = {}

        def ensure(name: str, kind: str) -> str:
            is_self = name.strip().lower() == SELF
            key = self.name_key(_SELF_KEY if is_self else name)
            if key in ids:
                return ids[key]
            cursor.execute(
                f"SELECT id FROM {self.entities_table} WHERE user_id = ? AND name_key = ?",
                [user_id, key],
            )
            row = cursor.fetchall()
            if row:
                eid = str(row[0][0])
                cursor.execute(
                    f"UPDATE {self.entities_table} SET last_seen = ? "
                    "WHERE id = ? AND last_seen < ?",
                    [moment, eid, moment],
                )
            else:
                eid = uuid.uuid4().hex
                shown = (user_name or "User") if is_self else self._clean(name)
                data = {
                    "name": shown,
                    "kind": "person" if is_self else (kind if kind in ENTITY_KINDS else "other"),
                    "source": source,
                    "is_user": is_self,
                }
                cursor.execute(
                    f"INSERT INTO {self.entities_table} (id, user_id, name_key, data, "
                    "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                    [eid, user_id, key, self._pack(eid, data), moment, moment],
                )
                when = _iso(moment) or ""
                change.entities.append(
                    Entity(eid, user_id, shown, str(data["kind"]), when, when, source, is_self)
                )
            ids[key] = eid
            return eid

        for entity in entities:
            ensure(entity.name, entity.kind)
        for draft, predicate in relations:
            subject = ensure(draft.subject, "other")
            obj = ensure(draft.object, draft.object_kind)
            self._relate(
                cursor,
                user_id,
                subject,
                predicate,
                obj,
                draft,
                source,
                moment,
                now,
                thread_id,
                change,
            )
        rows = []
        for name, thread, message in mentions:
            if normalize_name(name):
                rows.append((user_id, ensure(name, "other"), thread, message, moment))
        if rows:
            cursor.executemany(
                f"INSERT INTO {self.mentions_table} (user_id, entity_id, thread_id, message_id, "
                "at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity_id, thread_id, message_id) "
                "DO NOTHING",
                rows,
            )
            change.mentions += len(rows)

    def _current(
        self, cursor: Cursor, user_id: str, subject: str
    ) -> list[tuple[str, str, dict[str, Any]]]:
        cursor.execute(
            f"SELECT id, object, data FROM {self.relations_table} "
            "WHERE user_id = ? AND subject = ? AND valid_to IS NULL",
            [user_id, subject],
        )
        return [(str(i), str(o), self._unpack(str(i), str(d))) for i, o, d in cursor.fetchall()]

    def _relate(
        self,
        cursor: Cursor,
        user_id: str,
        subject: str,
        predicate: str,
        obj: str,
        draft: RelationDraft,
        source: str,
        moment: float,
        now: float,
        thread_id: str | None,
        change: KnowledgeChange,
    ) -> None:
        live = [(i, o) for i, o, d in self._current(cursor, user_id, subject)
                if d.get("predicate") == predicate]  # fmt: skip
        same = [i for i, o in live if o == obj]
        if draft.action == "delete":
            for rid in same:
                self._close(cursor, rid, moment, now, None)
                change.superseded.append(self._closed(cursor, user_id, rid))
            return
        if same:
            change.duplicates += 1
            return
        rid = uuid.uuid4().hex
        if predicate in SINGLE_VALUED_PREDICATES:
            for old, _ in live:
                self._close(cursor, old, moment, now, rid)
                change.superseded.append(self._closed(cursor, user_id, old))
        data = {
            "predicate": predicate,
            "confidence": draft.confidence,
            "source": source,
            "source_message_ids": [draft.message_id] if draft.message_id else [],
            "thread_id": thread_id,
        }
        cursor.execute(
            f"INSERT INTO {self.relations_table} (id, user_id, subject, object, data, "
            "valid_from, valid_to, recorded_at, superseded_at, superseded_by) "
            "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL, NULL)",
            [rid, user_id, subject, obj, self._pack(rid, data), moment, now],
        )
        change.added.append(self._closed(cursor, user_id, rid))

    def _close(self, cursor: Cursor, rid: str, moment: float, now: float, by: str | None) -> None:
        cursor.execute(
            f"UPDATE {self.relations_table} SET valid_to = ?, superseded_at = ?, "
            "superseded_by = ? WHERE id = ?",
            [moment, now, by, rid],
        )

    def _closed(self, cursor: Cursor, user_id: str, rid: str) -> Relation:
        """A relation as the transaction sees it (names read in the same transaction)."""
        cursor.execute(
            f"SELECT {self._RELATION_COLUMNS} FROM {self.relations_table} WHERE id = ?", [rid]
        )
        row = cursor.fetchall()[0]
        cursor.execute(
            f"SELECT {self._ENTITY_COLUMNS} FROM {self.entities_table} "
            "WHERE user_id = ? AND id IN (?, ?)",
            [user_id, row[2], row[3]],
        )
        names = {str(r[0]): self._entity(r) for r in cursor.fetchall()}
        return self._relation(row, names)


def knowledge_of(store: Any) -> KnowledgeGraph | None:
    """The knowledge graph of a ``ChromaStore`` (created on first use); None for other stores.

    Its tables live in the store's own database; an encrypted store seals them with its
    key, a redacting store redacts names (see the module docstring).
    """
    try:
        graph = _REGISTRY.get(store)
    except TypeError:
        return None
    if graph is not None:
        return graph
    items = getattr(getattr(getattr(store, "_engine", None), "col", None), "items", None)
    db = getattr(items, "db", None)
    if db is None:
        return None
    with _GUARD:
        graph = _REGISTRY.get(store)
        if graph is None:
            cipher = getattr(items, "cipher", None)
            encryption = getattr(store, "encryption", None)
            secret = b"langmem entity names"
            if encryption is not None:
                secret = hmac.new(encryption.checkpoint_key, secret, hashlib.sha256).digest()
            table = table_base(store.collection_prefix)
            graph = KnowledgeGraph(
                db,
                store.collection_prefix,
                seal=(lambda rid, text: cipher.encrypt(f"{table}:{rid}", text)) if cipher else None,
                open_=(lambda rid, text: cipher.decrypt(f"{table}:{rid}", text))
                if cipher
                else None,
                name_secret=secret,
                redact=getattr(store, "redactor", None),
            )
            _REGISTRY[store] = graph
    return graph
