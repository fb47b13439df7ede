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

What stays in the clear is listed in the README's threat model: embeddings (Chroma must
index them), namespaces, keys, user and thread ids, timestamps, sizes, text hashes of
indexed fields, and checkpoint metadata.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langmem_plugin._extras import missing_extra
from langmem_plugin._redact import Redact, RedactingSerializer
from langmem_plugin.errors import EncryptionKeyError

if TYPE_CHECKING:
    from langmem_plugin.store._sql import ItemTable

__all__ = ["ENV_VAR", "ValueCipher", "attach_encryption", "checkpoint_serde", "resolve_key"]

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
        """Open a value sealed by :meth:`encrypt`; plain JSON (no ``enc1:``) passes through.

        Raises:
            EncryptionKeyError: The ciphertext does not open with this key and ``aad``.
        """
        if not token.startswith(MARK):
            return token
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(token[len(MARK) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], aad.encode()).decode("utf-8")
        except InvalidTag as error:
            raise EncryptionKeyError(
                f"value of item {aad!r} does not decrypt with this key (altered or moved)"
            ) from error


def plain_decode(aad: str, token: str) -> str:
    """Decoder of an unencrypted store: refuses an encrypted value instead of misreading it."""
    if token.startswith(MARK):
        raise EncryptionKeyError(
            f"item {aad!r} is encrypted; open the memory with its encryption_key"
        )
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


def checkpoint_serde(encryption: Encryption | None, redact: Redact | None = None) -> Any:
    """The checkpointer's serializer, or None for LangGraph's default.

    LangGraph's ``EncryptedSerializer`` when encrypted, around a
    :class:`~langmem_plugin._redact.RedactingSerializer` when redacting.
    """
    if encryption is None and redact is None:
        return None
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    inner = RedactingSerializer(redact) if redact is not None else JsonPlusSerializer()
    if encryption is None:
        return inner
    return EncryptedSerializer(_CheckpointCipher(encryption.checkpoint_key), inner)


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
    """
    read = f"SELECT name, value FROM {table.meta}"
    meta = {str(n): str(v) for n, v in table.db.query(read)}
    if "kdf" not in meta:
        if key is None:
            return None
        if table.db.query(f"SELECT 1 FROM {table.items} LIMIT 1"):
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
    opened = _derive(key, meta["kdf"])
    try:
        valid = opened.values.decrypt("key-check", meta["key_check"]) == _CHECK.decode()
    except EncryptionKeyError:
        valid = False
    if not valid:
        raise EncryptionKeyError(f"wrong encryption key for {where}")
    table.cipher = opened.values
    return opened


def _derive(key: str, kdf: str) -> Encryption:
    spec = json.loads(kdf)
    if spec.get("alg") != "scrypt":
        raise EncryptionKeyError(f"unknown key derivation {spec.get('alg')!r}")
    params = {name: int(spec[name]) for name in ("n", "r", "p")}
    material = derive_keys(key, base64.b64decode(spec["salt"]), params)
    return Encryption(ValueCipher(material[:32]), material[32:])
