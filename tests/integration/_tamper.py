"""Altering stored rows the way a damaged disk or an attacker would: in the real database.

Every helper opens the SQLite file (``sqlite3``) or the PostgreSQL database (``psycopg``)
itself, after the memory was closed, and changes bytes in one row; the test then reopens
the memory. Nothing here goes through the library.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langmem_plugin.store._sql import SEP, table_base

Location = Path | str
"""A SQLite file, or a ``postgresql://`` URL."""


def flip(value: str) -> str:
    """One bit of the ciphertext flipped (the base64 stays valid)."""
    raw = bytearray(base64.b64decode(value[len("enc1:") :]))
    raw[20] ^= 0x01
    return "enc1:" + base64.b64encode(bytes(raw)).decode()


def wrong_nonce(value: str) -> str:
    """The 96-bit nonce changed, the ciphertext and tag kept."""
    raw = bytearray(base64.b64decode(value[len("enc1:") :]))
    raw[0] ^= 0xFF
    return "enc1:" + base64.b64encode(bytes(raw)).decode()


def truncate(value: str) -> str:
    """The value cut in half (as a torn write would leave it)."""
    return value[: len(value) // 2]


def garbage(value: str) -> str:
    """Not base64 at all."""
    return "enc1:%%% not base64 %%%"


def plaintext(value: str) -> str:
    """A plaintext JSON value slipped into an encrypted store."""
    return '{"content": "injected in the clear"}'


TAMPERS: dict[str, Callable[[str], str]] = {
    "flipped bit": flip,
    "wrong nonce": wrong_nonce,
    "truncated": truncate,
    "garbage": garbage,
    "plaintext": plaintext,
}


def _run(location: Location, sql: str, params: list[Any]) -> list[Any]:
    if isinstance(location, str) and location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(location) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


def items_table(prefix: str = "langmem") -> str:
    """The item table of a store's collection prefix."""
    return f"{table_base(prefix)}_items"


def stored_value(location: Location, namespace: tuple[str, ...], key: str, prefix: str) -> str:
    """The value column of one item, as stored."""
    rows = _run(
        location,
        f"SELECT value FROM {items_table(prefix)} WHERE ns = ? AND key = ?",
        [SEP.join(namespace), key],
    )
    assert len(rows) == 1, (namespace, key)
    return str(rows[0][0])


def set_value(
    location: Location, namespace: tuple[str, ...], key: str, value: str, prefix: str
) -> None:
    """Overwrite the value column of one item."""
    _run(
        location,
        f"UPDATE {items_table(prefix)} SET value = ? WHERE ns = ? AND key = ?",
        [value, SEP.join(namespace), key],
    )


def tamper(
    location: Location,
    namespace: tuple[str, ...],
    key: str,
    how: Callable[[str], str],
    prefix: str = "langmem",
) -> None:
    """Replace one item's stored value by ``how(value)``."""
    set_value(location, namespace, key, how(stored_value(location, namespace, key, prefix)), prefix)


def move(
    location: Location,
    source: tuple[tuple[str, ...], str],
    target: tuple[tuple[str, ...], str],
    prefix: str = "langmem",
) -> None:
    """Copy the stored (sealed) value of ``source`` into the row of ``target``."""
    sealed = stored_value(location, *source, prefix)
    set_value(location, *target, sealed, prefix)


def tamper_checkpoint(database: Path, thread_id: str) -> int:
    """Flip a bit in every checkpoint blob of ``thread_id`` (SqliteSaver's table)."""
    rows = _run(
        database,
        "SELECT checkpoint_id, checkpoint FROM checkpoints WHERE thread_id = ?",
        [thread_id],
    )
    for checkpoint_id, blob in rows:
        raw = bytearray(blob)
        raw[len(raw) // 2] ^= 0x01
        _run(
            database,
            "UPDATE checkpoints SET checkpoint = ? WHERE thread_id = ? AND checkpoint_id = ?",
            [bytes(raw), thread_id, checkpoint_id],
        )
    return len(rows)


def tamper_postgres_blobs(url: str, thread_id: str) -> int:
    """Flip a bit in every encrypted channel blob of ``thread_id`` (PostgresSaver's table)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT channel, version, blob FROM checkpoint_blobs "
            "WHERE thread_id = %s AND type LIKE %s",
            [thread_id, "%+aesgcm"],
        ).fetchall()
        for channel, version, blob in rows:
            raw = bytearray(blob)
            raw[len(raw) // 2] ^= 0x01
            conn.execute(
                "UPDATE checkpoint_blobs SET blob = %s "
                "WHERE thread_id = %s AND channel = %s AND version = %s",
                [bytes(raw), thread_id, channel, version],
            )
    return len(rows)


def set_meta(database: Location, name: str, value: str | None, prefix: str = "langmem") -> None:
    """Overwrite (or, with None, delete) one row of the store's meta table."""
    table = f"{table_base(prefix)}_meta"
    if value is None:
        _run(database, f"DELETE FROM {table} WHERE name = ?", [name])
    else:
        _run(database, f"UPDATE {table} SET value = ? WHERE name = ?", [value, name])
