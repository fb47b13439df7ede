"""Forget and transfer of the knowledge tables: what ``KnowledgeGraph`` does for privacy.

``forget_user`` deletes a user's rows in one transaction (``secure_delete`` zeroes the freed
pages; the forget's scrub then vacuums the file); ``forget_turns`` takes what some
forgotten turns said (``forget`` by topic); ``dump`` and ``restore`` are an export
record's body and its import, opened (never sealed) and re-sealed with the target's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langmem_plugin.store._db import Cursor, Database

__all__ = ["SELF_KEY", "KnowledgeLifecycle"]

#: The name key of the user's own entity (no name can normalise to it).
SELF_KEY = "\x00self"


class KnowledgeLifecycle:
    """Forget, dump and restore over the tables of a ``KnowledgeGraph`` (its base class)."""

    db: Database
    entities_table: str
    relations_table: str
    mentions_table: str
    present: bool
    _RELATION_COLUMNS: str

    def name_key(self, name: str) -> str:  # pragma: no cover - KnowledgeGraph's
        raise NotImplementedError

    def _pack(self, row_id: str, data: dict[str, Any]) -> str:  # pragma: no cover
        raise NotImplementedError

    def _unpack(self, row_id: str, stored: str) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def counts(self, user_id: str) -> dict[str, int]:  # pragma: no cover
        raise NotImplementedError

    def users(self) -> list[str]:
        """Every user holding an entity (for export)."""
        if not self.present:
            return []
        rows = self.db.query(f"SELECT DISTINCT user_id FROM {self.entities_table}")
        return sorted(str(r[0]) for r in rows)

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete every entity, relation and mention of the user (one transaction)."""
        if not self.present or self.db.read_only:
            return {"entities": 0, "relations": 0, "mentions": 0}
        counts = self.counts(user_id)

        def delete(cursor: Cursor) -> None:
            for table in (self.mentions_table, self.relations_table, self.entities_table):
                cursor.execute(f"DELETE FROM {table} WHERE user_id = ?", [user_id])

        self.db.transaction(delete)
        return counts

    def forget_turns(self, user_id: str, turns: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Forget what some archived turns said (``forget`` by topic).

        Their mentions go, the relations they alone stated, and the entities nothing links
        to any more.

        Args:
            user_id: Whose.
            turns: ``(thread_id, message_id)`` of the forgotten turns.

        Returns:
            How many mentions, relation versions and entities were deleted.
        """
        if not self.present or not turns:
            return {"mentions": 0, "relations": 0, "entities": 0}
        ids = {message for _, message in turns}
        rows = self.db.query(
            f"SELECT id, data FROM {self.relations_table} WHERE user_id = ?", [user_id]
        )
        stated = [
            str(rid)
            for rid, data in rows
            if (said := set(self._unpack(str(rid), str(data)).get("source_message_ids", [])))
            and said <= ids
        ]
        e, r, m = self.entities_table, self.relations_table, self.mentions_table

        def delete(cursor: Cursor) -> dict[str, int]:
            cursor.executemany(
                f"DELETE FROM {m} WHERE user_id = ? AND thread_id = ? AND message_id = ?",
                [(user_id, t, k) for t, k in turns],
            )
            cursor.executemany(f"DELETE FROM {r} WHERE id = ?", [(rid,) for rid in stated])
            cursor.execute(
                f"SELECT id FROM {e} WHERE user_id = ? AND NOT EXISTS (SELECT 1 FROM {m} "
                f"WHERE {m}.entity_id = {e}.id) AND NOT EXISTS (SELECT 1 FROM {r} WHERE "
                f"{r}.subject = {e}.id OR {r}.object = {e}.id)",
                [user_id],
            )
            orphans = [str(row[0]) for row in cursor.fetchall()]
            cursor.executemany(f"DELETE FROM {e} WHERE id = ?", [(o,) for o in orphans])
            return {"mentions": len(turns), "relations": len(stated), "entities": len(orphans)}

        return self.db.transaction(delete)

    def dump(self, user_id: str) -> dict[str, Any]:
        """The user's rows as plain JSON (opened, never sealed): an export record's body."""
        entities = self.db.query(
            f"SELECT id, data, first_seen, last_seen FROM {self.entities_table} "
            "WHERE user_id = ? ORDER BY first_seen, id",
            [user_id],
        )
        relations = self.db.query(
            f"SELECT {self._RELATION_COLUMNS} FROM {self.relations_table} WHERE user_id = ? "
            "ORDER BY recorded_at, id",
            [user_id],
        )
        mentions = self.db.query(
            f"SELECT entity_id, thread_id, message_id, at FROM {self.mentions_table} "
            "WHERE user_id = ? ORDER BY at, entity_id, thread_id, message_id",
            [user_id],
        )
        return {
            "entities": [
                {"id": i, **self._unpack(str(i), str(d)), "first_seen": f, "last_seen": s}
                for i, d, f, s in entities
            ],
            "relations": [
                {
                    "id": r[0],
                    "subject": r[2],
                    "object": r[3],
                    **self._unpack(str(r[0]), str(r[4])),
                    "valid_from": r[5],
                    "valid_to": r[6],
                    "recorded_at": r[7],
                    "superseded_at": r[8],
                    "superseded_by": r[9],
                }
                for r in relations
            ],
            "mentions": [list(m) for m in mentions],
        }

    def restore(self, user_id: str, body: dict[str, Any]) -> None:
        """Write a :meth:`dump` back (import); rows with the same id are replaced."""
        ent_fields = ("name", "kind", "source", "is_user")
        rel_fields = ("predicate", "confidence", "source", "source_message_ids", "thread_id")

        def write(cursor: Cursor) -> None:
            for e in body.get("entities", []):
                eid = str(e["id"])
                name = SELF_KEY if e.get("is_user") else str(e["name"])
                cursor.execute(f"DELETE FROM {self.entities_table} WHERE id = ?", [eid])
                cursor.execute(
                    f"DELETE FROM {self.entities_table} WHERE user_id = ? AND name_key = ?",
                    [user_id, self.name_key(name)],
                )
                cursor.execute(
                    f"INSERT INTO {self.entities_table} (id, user_id, name_key, data, "
                    "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        eid,
                        user_id,
                        self.name_key(name),
                        self._pack(eid, {k: e[k] for k in ent_fields if k in e}),
                        float(e["first_seen"]),
                        float(e["last_seen"]),
                    ],
                )
            for r in body.get("relations", []):
                rid = str(r["id"])
                cursor.execute(f"DELETE FROM {self.relations_table} WHERE id = ?", [rid])
                cursor.execute(
                    f"INSERT INTO {self.relations_table} ({self._RELATION_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        rid,
                        user_id,
                        str(r["subject"]),
                        str(r["object"]),
                        self._pack(rid, {k: r[k] for k in rel_fields if k in r}),
                        float(r["valid_from"]),
                        r.get("valid_to"),
                        float(r["recorded_at"]),
                        r.get("superseded_at"),
                        r.get("superseded_by"),
                    ],
                )
            cursor.executemany(
                f"INSERT INTO {self.mentions_table} (user_id, entity_id, thread_id, message_id, "
                "at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity_id, thread_id, message_id) "
                "DO NOTHING",
                [
                    (user_id, str(e), str(t), str(k), float(a))
                    for e, t, k, a in body.get("mentions", [])
                ],
            )

        self.db.transaction(write)
