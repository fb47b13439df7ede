r"""PII redaction: typed placeholders replace personal data before it is stored or embedded.

Turn it on with ``Memory.from_path(path, redact=True)`` (also ``from_url``, ``in_memory``
and ``ChromaStore(redact=...)``), or pass your own ``str -> str`` function instead of
``True``. :func:`redact_text` replaces, in this order:

============  =================================================================
``[SECRET]``  private key blocks; API keys and tokens with well-known prefixes
              (``sk-``, ``sk_live_``, ``ghp_``/``github_pat_``, ``AKIA``, ``xox?-``,
              ``AIza``, ``glpat-``, JWTs); ``Bearer <token>``;
              ``password=...``-style assignments; and long high-entropy strings
              (24+ characters of mixed case with digits and >= 3.7 bits of entropy
              per character)
``[EMAIL]``   e-mail addresses
``[IBAN]``    IBANs whose ISO 13616 mod-97 checksum holds (spaced or not)
``[CARD]``    13 to 19 digit payment card numbers that pass the Luhn check
``[SSN]``     US social security numbers written ``123-45-6789`` or ``123 45 6789``
              (the never-issued areas 000, 666 and 9xx excluded)
``[PHONE]``   international ``+CC ...`` numbers, North American ``(555) 123-4567``
              forms, and national numbers starting with ``0`` in groups
              (``020 7946 0958``), 8 to 15 digits
``[IP]``      IPv4 and IPv6 addresses (validated by :mod:`ipaddress`; a ``v1.2.3.4``
              version is not an address)
============  =================================================================

Why our own patterns and not a library (checked on PyPI, 2026-11): ``presidio-analyzer``
needs a spaCy language model downloaded at run time; ``scrubadub`` (last release 2023-09)
pulls scikit-learn and textblob, and its name detectors need downloaded corpora;
``detect-secrets`` scans files and git diffs, not strings in a hot path. Each rule here is
a regular expression plus a checksum or validator where the format has one (Luhn, mod-97,
``ipaddress``), which is what keeps dates, prices, versions and times out: the tests run a
corpus of positives (recall >= 0.95) and of ordinary sentences (no false positive).
Redaction is best effort: a name, an address or a number written in words is kept.

Where it runs (one choke point): :class:`~langmem_plugin.store.ChromaStore` redacts every
``PutOp``'s value in its batch engine before the value is serialised and before the texts
to embed are taken from it. Every path that keeps content writes through the store:
ingest, the graph nodes and middleware, the agent tools, the chat history and the archive
(archived turns are store items), profile facts, episodes, lessons and imports. So no
unredacted text reaches the SQL tables or the embedding model, and recall shows the
placeholders. The memory pipeline also redacts a conversation before it derives episodes,
profile facts and lessons from it (:func:`redact_messages`), since a derived fragment (the
words of an e-mail address split into topics) no longer looks like what it came from, and
the extraction model then never sees the data. Strings equal to the item's key or to one
of its namespace labels are kept as they are: they are identifiers (a user id, a thread
id) that the namespace already holds in the clear, and filters match on them.

Checkpoints are the one store of content that does not go through ``ChromaStore``: the
``Memory`` gives its checkpointer a :class:`RedactingSerializer`, which redacts the graph
state as it is written. Search queries are embedded but never stored, so they are not
redacted.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = [
    "Redact",
    "RedactingSerializer",
    "redact_messages",
    "redact_text",
    "redact_value",
    "resolve_redactor",
]

Redact = Callable[[str], str]
"""A redaction function: text in, redacted text out."""

_SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?<![\w-])sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?<!\w)[sprk]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    re.compile(r"(?<!\w)xox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}"),
    re.compile(r"(?<![\w-])glpat-[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
]
_BEARER = re.compile(r"\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{16,}")
_ASSIGNED = re.compile(
    r"(?i)\b((?:password|passwd|pwd|passphrase|api[_-]?key|secret[_-]?key|client[_-]?secret|"
    r"access[_-]?token|auth[_-]?token)[\"']?\s*[:=]\s*)([\"']?)[^\s\"',;]{4,}\2"
)
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d.,]\d|\d)")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_PHONES = [
    # +CC and groups: +44 20 7946 0958, +1 (415) 555-2671, +33612345678
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?![\w.]*\d)"),
    # North America: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671
    re.compile(r"(?<![\w.$€£-])(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-]|[.,]\d)"),
    # national numbers with a trunk 0: 020 7946 0958, 06 12 34 56 78, 030-1234567
    re.compile(r"(?<![\w.:/$€£-])0\d{1,4}(?:[ -]\d{2,8}){1,4}(?![\w:/-]|[.,]\d)"),
]
_IPV4 = re.compile(
    r"(?<![\w.])(?<!version )(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}(?![A-Za-z0-9+/_=-])")
_DIGIT = re.compile(r"\d")
_ID_PREFIXES = ("call_", "toolu_", "run-", "lc_", "msg_", "chatcmpl-", "resp_", "fc_")
"""Prefixes of message and tool-call ids that LLM providers generate: not secrets."""


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if 13 <= len(digits) <= 19 and _luhn(digits) and len(set(digits)) > 1:
        return "[CARD]"
    return match.group()


def _iban_valid(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    text = match.group()
    while text:
        if _iban_valid(text):
            return "[IBAN]" + match.group()[len(text) :]
        if " " not in text:
            return match.group()
        text = text.rsplit(" ", 1)[0]  # "DE89 3704 ... 00 BIC" → drop trailing groups
    return match.group()


_DATE = re.compile(r"\d{1,2}([-./ ])\d{1,2}\1\d{4}|\d{4}([-./ ])\d{1,2}\2\d{1,2}")


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(ch.isdigit() for ch in text)
    least = 8 if text.startswith(("+", "(")) or text[3:4] in ".-" else 9
    if not least <= digits <= 15 or _DATE.match(text):
        return text
    return "[PHONE]"


def _ipv6(match: re.Match[str]) -> str:
    text = match.group()
    if "::" not in text and text.count(":") != 7:
        return text
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return "[IP]"


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _token(match: re.Match[str]) -> str:
    text = match.group()
    if text.startswith(_ID_PREFIXES):
        return text
    if not (any(c.islower() for c in text) and any(c.isupper() for c in text)):
        return text
    if sum(c.isdigit() for c in text) < 2 or _entropy(text) < 3.7:
        return text
    return "[SECRET]"


def redact_text(text: str) -> str:
    """Replace personal data and secrets in ``text`` with typed placeholders.

    Example:
        ```python
        redact_text("mail bob@example.com or call +44 20 7946 0958")
        # 'mail [EMAIL] or call [PHONE]'
        ```
    """
    if not text:
        return text
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("[SECRET]", text)
    text = _BEARER.sub(r"\1\2[SECRET]", text)
    text = _ASSIGNED.sub(r"\1\2[SECRET]\2", text)
    if "@" in text:
        text = _EMAIL.sub("[EMAIL]", text)
    if _DIGIT.search(text):  # every rule below needs a digit (or a colon for IPv6 "::1")
        text = _IBAN.sub(_iban, text)
        text = _CARD.sub(_card, text)
        text = _SSN.sub("[SSN]", text)
        for pattern in _PHONES:
            text = pattern.sub(_phone, text)
        text = _IPV4.sub("[IP]", text)
        text = _TOKEN.sub(_token, text)
    if "::" in text or text.count(":") >= 7:
        text = _IPV6.sub(_ipv6, text)
    return text


def redact_value(value: Any, redact: Redact, keep: Collection[str] = ()) -> Any:
    """``value`` with ``redact`` applied to every string inside it (dict keys excepted).

    Args:
        value: A JSON-like value (dicts, lists, strings, numbers...).
        redact: The redaction function.
        keep: Strings left as they are (the item's key and namespace labels: identifiers).
    """
    if isinstance(value, str):
        return value if value in keep else redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v, redact, keep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, redact, keep) for v in value]
    return value


def redact_messages(messages: Sequence[BaseMessage], redact: Redact | None) -> list[BaseMessage]:
    """Copies of ``messages`` with their text and tool-call arguments redacted.

    For what is *derived* from a conversation before it is stored (episode topics, profile
    facts, lessons, the extraction model's prompt): a derived fragment, such as the words
    of an e-mail address split into topics, no longer looks like the data it came from, so
    the store's own redaction could not catch it.
    """
    if redact is None:
        return list(messages)
    out: list[BaseMessage] = []
    for message in messages:
        update: dict[str, Any] = {"content": redact_value(message.content, redact)}
        if isinstance(message, AIMessage) and message.tool_calls:
            update["tool_calls"] = [
                {**call, "args": redact_value(call["args"], redact)} for call in message.tool_calls
            ]
        out.append(message.model_copy(update=update))
    return out


class RedactingSerializer(JsonPlusSerializer):
    """LangGraph's checkpoint serializer that redacts graph state before it is written.

    Redacts the strings and messages of a checkpoint's ``channel_values`` and of pending
    writes; checkpoint ids, versions and channel names are left alone. The graph keeps the
    original text while a run is in progress (channels live in memory between steps); the
    next run of the thread loads the redacted state. A subclass of ``JsonPlusSerializer``
    so that LangGraph's msgpack allowlist (``with_msgpack_allowlist`` copies it) still
    applies, and it can sit inside LangGraph's ``EncryptedSerializer``.
    """

    def __init__(self, redact: Redact) -> None:
        super().__init__()
        self.redact = redact

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Redact, then serialise as ``JsonPlusSerializer`` does."""
        if isinstance(obj, dict) and "channel_values" in obj and "channel_versions" in obj:
            values = {k: _redact_state(v, self.redact) for k, v in obj["channel_values"].items()}
            obj = {**obj, "channel_values": values}
        else:
            obj = _redact_state(obj, self.redact)
        return super().dumps_typed(obj)


def _redact_state(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseMessage):
        return redact_messages([value], redact)[0]
    if isinstance(value, list):
        return [_redact_state(v, redact) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):  # not NamedTuples (Send...)
        return tuple(_redact_state(v, redact) for v in value)
    if type(value) is dict:
        return {k: _redact_state(v, redact) for k, v in value.items()}
    return value


def resolve_redactor(redact: bool | Redact | None) -> Redact | None:
    """The redaction function for a ``redact=`` argument: ``True`` means :func:`redact_text`.

    Raises:
        TypeError: ``redact`` is neither a bool, None nor a callable.
    """
    if redact is None or redact is False:
        return None
    if redact is True:
        return redact_text
    if callable(redact):
        return redact
    raise TypeError(f"redact must be True, False, None or a str -> str callable, got {redact!r}")
