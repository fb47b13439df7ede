"""Encryption at rest: item values (memories, profile facts, archived turns) and checkpoints.

Turn it on with ``Memory.from_path(path, encryption_key="...")`` (also ``from_url``,
``in_memory`` and ``ChromaStore(encryption_key=...)``) or the ``LANGMEM_ENCRYPTION_KEY``
environment variable. The key is any string: a passphrase or a generated key
(``python -c "import secrets; print(secrets.token_urlsafe(32))"``).

How:

* **Key derivation**: scrypt (``n=2**15, r=8, p=1``, 32 MiB, ~0.1 s once per open) over
  the key string and a random 16-byte salt made when the memory is first encrypted. The
  salt and the KDF parameters sit beside the data, in a ``<store>_meta`` table of the same
  database (the SQLite file or the PostgreSQL database). scrypt yields 64 bytes: the first
  32 are the AES-256 key of item values, the last 32 that of checkpoints.
* **Item values** are encrypted at the SQL codec layer (``ItemTable``): the JSON of each
  value is sealed with AES-256-GCM (authenticated), a random 96-bit nonce per write, and
  the item's id (a hash of its namespace and key) as associated data, so a ciphertext
  moved to another row fails to open. The archive and the chat history are store items, so
  message texts and archived turns are covered; filters and search still work because
  values are decoded before they are matched in Python.
* **Checkpoints** use LangGraph's own ``EncryptedSerializer`` with an AES-256-GCM cipher
  from the ``cryptography`` package (LangGraph's bundled helper needs ``pycryptodome``).
* **Key check**: the meta table holds a known token sealed with the value key. Opening a
  memory verifies it first, so a wrong key, or no key for an encrypted memory, raises
  :class:`~langmem_plugin.errors.EncryptionKeyError` before anything is read or written.

* **A value that does not open** (altered, truncated, moved, plaintext in an encrypted
  table) is one corrupt item, not a failed store: reads that span items skip and report
  it, a ``get`` of it raises ``CorruptRecordError`` (see ``_rows.StoredItem`` and
  ``_sql.ItemTable.readable``). A checkpoint blob that does not open fails its thread only
  (:func:`tolerant_checkpoints`).

What stays in the clear is listed in the README's threat model: embeddings (Chroma must
index them), namespaces, keys, user and thread ids, timestamps, sizes, text hashes of
indexed fields, and checkpoint metadata.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from langmem_plugin._extras import missing_extra
from langmem_plugin._redact import Redact, RedactingSerializer
from langmem_plugin.errors import CorruptRecordError, EncryptionKeyError

if TYPE_CHECKING:
    from langmem_plugin.store._sql import ItemTable

__all__ = [
    "ENV_VAR",
    "CorruptCheckpointValue",
    "ValueCipher",
    "attach_encryption",
    "checkpoint_serde",
    "damaged_checkpoint",
    "resolve_key",
    "tolerant_checkpoints",
]

ENV_VAR = "LANGMEM_ENCRYPTION_KEY"
MARK = "enc1:"
"""Prefix of an encrypted value in the value column (a JSON value starts with ``{``)."""
_CHECK = b"langmem encryption key check"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise missing_extra("encryption at rest", "encryption") from error
    return AESGCM


def resolve_key(key: str | None) -> str | None:
    """The key to use: ``key`` if given, else ``$LANGMEM_ENCRYPTION_KEY`` (None if unset).

    Raises:
        EncryptionKeyError: The key is an empty string.
    """
    if key is None:
        key = os.environ.get(ENV_VAR) or None
    if key is not None and not key:
        raise EncryptionKeyError("encryption_key must be a non-empty string")
    return key


def derive_keys(key: str, salt: bytes, params: dict[str, int] | None = None) -> bytes:
    """64 bytes of key material from ``key`` and ``salt`` (scrypt)."""
    _aesgcm()  # a clear error when the encryption extra is missing
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    p = params or _SCRYPT
    return Scrypt(salt=salt, length=64, n=p["n"], r=p["r"], p=p["p"]).derive(key.encode())


class ValueCipher:
    """AES-256-GCM over text: ``encrypt(aad, text)`` gives ``enc1:<base64>``."""

    def __init__(self, key: bytes) -> None:
        self._aead = _aesgcm()(key)

    def encrypt(self, aad: str, text: str) -> str:
        """Seal ``text``, bound to ``aad`` (the item id)."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), aad.encode())
        return MARK + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, aad: str, token: str) -> str:
        """Open a value sealed by :meth:`encrypt` with the same ``aad``.

        Raises:
            ValueError: The value is not ``enc1:`` text (plaintext in an encrypted store),
                not base64, too short, or its GCM tag fails (altered, truncated, sealed for
                another item or with another key). The message says which, never the content.
        """
        if not token.startswith(MARK):
            raise ValueError("not encrypted (plaintext in an encrypted store)")
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(token[len(MARK) :], validate=True)
        except binascii.Error as error:
            raise ValueError("not base64") from error
        if len(raw) < 12 + 16:
            raise ValueError("too short (truncated)")
        try:
            opened = self._aead.decrypt(raw[:12], raw[12:], aad.encode())
        except InvalidTag as error:
            raise ValueError(
                "authentication failed (altered, truncated or moved from another row)"
            ) from error
        return bytes(opened).decode("utf-8")


def plain_decode(aad: str, token: str) -> str:  # noqa: ARG001 -- the decoder signature
    """Decoder of an unencrypted store: an encrypted value there is a damaged record.

    (A store opened without a key whose meta table says it is encrypted fails at open, so
    an ``enc1:`` value here was put there by something else.)
    """
    if token.startswith(MARK):
        raise ValueError("encrypted value in an unencrypted store")
    return token


class _CheckpointCipher:
    """LangGraph ``CipherProtocol`` with AES-256-GCM from ``cryptography``."""

    def __init__(self, key: bytes) -> None:
        self._aead = _aesgcm()(key)

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return "aesgcm", nonce + self._aead.encrypt(nonce, plaintext, None)

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != "aesgcm":
            raise EncryptionKeyError(f"checkpoint sealed with unknown cipher {ciphername!r}")
        return bytes(self._aead.decrypt(ciphertext[:12], ciphertext[12:], None))


@dataclass(frozen=True)
class Encryption:
    """The opened keys of an encrypted store."""

    values: ValueCipher
    checkpoint_key: bytes


class CorruptCheckpointValue:
    """What a damaged checkpoint blob loads as inside :func:`tolerant_checkpoints`."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"CorruptCheckpointValue({self.reason!r})"


_TOLERANT: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "langmem_tolerant_checkpoints", default=False
)


@contextmanager
def tolerant_checkpoints() -> Iterator[None]:
    """Inside the block, a checkpoint blob that does not open loads as a marker.

    ``BaseCheckpointSaver.list`` is a generator: one blob that raises ends it, so the
    operations that read every thread (export, stats, cleanup, ``langmem check``) would
    fail for all threads. They read inside this block and skip, by
    :func:`damaged_checkpoint`, the checkpoints that hold a :class:`CorruptCheckpointValue`.
    Everywhere else (a graph resuming a thread) the blob raises ``CorruptRecordError``, so
    only that thread fails.
    """
    token = _TOLERANT.set(True)
    try:
        yield
    finally:
        _TOLERANT.reset(token)


def damaged_checkpoint(snapshot: Any) -> str | None:
    """Why a ``CheckpointTuple`` read in :func:`tolerant_checkpoints` is damaged, or None."""
    checkpoint = snapshot.checkpoint
    values = [checkpoint, snapshot.metadata]
    if isinstance(checkpoint, dict):
        values += list((checkpoint.get("channel_values") or {}).values())
    values += [value for _, _, value in snapshot.pending_writes or []]
    for value in values:
        if isinstance(value, CorruptCheckpointValue):
            return value.reason
    return None


class _CheckedSerializer(EncryptedSerializer):
    """LangGraph's ``EncryptedSerializer``; a blob that does not open raises our error."""

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        enc_cipher, ciphertext = data
        if "+" not in enc_cipher:
            return self.serde.loads_typed(data)
        typ, ciphername = enc_cipher.split("+", 1)
        from cryptography.exceptions import InvalidTag

        try:
            opened = self.cipher.decrypt(ciphername, ciphertext)
        except (InvalidTag, ValueError) as error:
            reason = (
                "authentication failed (altered or truncated)"
                if isinstance(error, InvalidTag) or not str(error)
                else str(error)
            )
            if _TOLERANT.get():
                return CorruptCheckpointValue(reason)
            raise CorruptRecordError(
                f"a checkpoint value does not open: {reason}; that thread cannot resume "
                "(other threads are unaffected; `langmem check` lists the damaged threads)",
                reason=reason,
            ) from error
        return self.serde.loads_typed((typ, opened))


def checkpoint_serde(encryption: Encryption | None, redact: Redact | None = None) -> Any:
    """The checkpointer's serializer, or None for LangGraph's default.

    LangGraph's ``EncryptedSerializer`` when encrypted (a blob that does not open raises
    ``CorruptRecordError``, see :func:`tolerant_checkpoints`), around a
    :class:`~langmem_plugin._redact.RedactingSerializer` when redacting.
    """
    if encryption is None and redact is None:
        return None
    inner = RedactingSerializer(redact) if redact is not None else JsonPlusSerializer()
    if encryption is None:
        return inner
    return _CheckedSerializer(_CheckpointCipher(encryption.checkpoint_key), inner)


def attach_encryption(table: ItemTable, key: str | None, where: str) -> Encryption | None:
    """Check ``key`` against the store's meta table and give ``table`` its value cipher.

    The first key given to a store without items sets encryption up (salt and key check).

    Args:
        table: The store's item table (its meta table exists).
        key: The resolved key string (:func:`resolve_key`), or None.
        where: The store, for error messages.

    Returns:
        The keys, or None for an unencrypted store opened without a key.

    Raises:
        EncryptionKeyError: Wrong key; no key for an encrypted store; a key for a store that
            already holds unencrypted items. Nothing is written in any of these cases.
        CorruptRecordError: The meta table is damaged (its ``kdf`` row missing from an
            encrypted store, malformed, or its ``key_check`` row missing). Nothing written.
    """
    read = f"SELECT name, value FROM {table.meta}"
    meta = {str(n): str(v) for n, v in table.db.query(read)}
    if "kdf" not in meta:
        # an encrypted store whose kdf row was lost must not open as a plaintext one (its
        # new writes would be in the clear); one damaged row of a plain store must not
        # make it look encrypted: so every sampled row must be sealed
        first = table.db.query(f"SELECT value FROM {table.items} LIMIT 16")
        sealed = bool(first) and all(str(row[0]).startswith(MARK) for row in first)
        if "key_check" in meta or sealed:
            raise _damaged(table, where, "kdf", "is missing but the store is encrypted")
        if key is None:
            return None
        if first:
            raise EncryptionKeyError(
                f"{where} holds unencrypted data; to encrypt it, export it "
                "(langmem export) and import it into a new memory opened with the key"
            )
        salt = base64.b64encode(os.urandom(16)).decode()
        kdf = json.dumps({"alg": "scrypt", **_SCRYPT, "salt": salt})
        check = _derive(key, kdf).values.encrypt("key-check", _CHECK.decode())
        insert = (
            f"INSERT INTO {table.meta} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
        )
        table.db.transaction(
            lambda cursor: cursor.executemany(insert, [("kdf", kdf), ("key_check", check)])
        )
        # another process may have set it up first: verify against what was committed
        meta = {str(n): str(v) for n, v in table.db.query(read)}
    elif key is None:
        raise EncryptionKeyError(f"{where} is encrypted: pass encryption_key= or set ${ENV_VAR}")
    if "key_check" not in meta:
        raise _damaged(table, where, "key_check", "is missing")
    try:
        opened = _derive(key, meta["kdf"])
    except (ValueError, KeyError, TypeError) as error:  # JSON, base64, scrypt parameters
        raise _damaged(table, where, "kdf", f"is malformed ({error})") from error
    try:
        valid = opened.values.decrypt("key-check", meta["key_check"]) == _CHECK.decode()
    except ValueError:
        valid = False
    if not valid:  # GCM cannot tell a wrong key from an altered check value
        raise EncryptionKeyError(
            f"wrong encryption key for {where} (or its key check row in {table.meta} was "
            "altered: then restore that table from a backup)"
        )
    table.cipher = opened.values
    return opened


def _damaged(table: ItemTable, where: str, row: str, problem: str) -> CorruptRecordError:
    """The error of a damaged meta row: the store cannot be opened safely."""
    return CorruptRecordError(
        f"{where}: the {row!r} row of {table.meta} {problem}; the store cannot be opened "
        "(restore that table, or the memory, from a backup: langmem restore)",
        (table.meta,),
        row,
        problem,
    )


_LIMITS = {"n": 2**20, "r": 32, "p": 16}
"""Largest scrypt parameters accepted from the meta table (a damaged row must not make
the open allocate gigabytes): 2^20 x 8 x 128 bytes = 1 GiB already."""


def _derive(key: str, kdf: str) -> Encryption:
    spec = json.loads(kdf)
    if not isinstance(spec, dict) or spec.get("alg") != "scrypt":
        raise ValueError(f"unknown key derivation {spec!r:.80}")
    params = {name: int(spec[name]) for name in ("n", "r", "p")}
    for name, value in params.items():
        if not 1 <= value <= _LIMITS[name]:
            raise ValueError(f"scrypt {name}={value} out of range")
    salt = base64.b64decode(spec["salt"], validate=True)
    if len(salt) < 16:
        raise ValueError(f"salt of {len(salt)} bytes")
    material = derive_keys(key, salt, params)
    return Encryption(ValueCipher(material[:32]), material[32:])
