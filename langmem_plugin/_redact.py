r"""PII redaction: typed placeholders replace personal data before it is stored or embedded.

Turn it on with ``Memory.from_path(path, redact=True)`` (also ``from_url``, ``in_memory``
and ``ChromaStore(redact=...)``), pass a :class:`Redactor` to choose the phone regions, or
your own ``str -> str`` function. :func:`redact_text` replaces, in this order (a longer,
more specific type first, so that an IBAN is never half-eaten as a phone number):

============  =================================================================
``[SECRET]``  private key blocks; API keys and tokens with well-known prefixes
              (``sk-``, ``sk_live_``, ``ghp_``/``github_pat_``, ``AKIA``, ``xox?-``,
              ``AIza``, ``glpat-``, JWTs); ``Bearer <token>``; the password of a
              ``scheme://user:password@host`` URL; statements of a password,
              passphrase, PIN, passcode, API key, token, secret or access/door/
              verification code, in English, as prose or assignments (``my password
              is hunter2``, ``pw: x``, ``the code is 4711``, ``DB_PASSWORD=x``,
              ``"api_key": "x"``); and long high-entropy strings (24+ characters of
              mixed case with digits and >= 3.7 bits of entropy per character)
``[EMAIL]``   e-mail addresses, internationalised ones too (RFC 6531: ``josé@exämple.de``)
``[IBAN]``    IBANs, upper or lower case, spaced or not, validated by ``python-stdnum``
``[CARD]``    13 to 19 digit payment card numbers that pass the Luhn check
``[SSN]``     US social security numbers written ``123-45-6789`` or ``123 45 6789``
              (the never-issued areas 000, 666 and 9xx excluded)
``[IP]``      IPv4 and IPv6 addresses (validated by :mod:`ipaddress`); a dotted quad
              after "version", "section", "build", "v"... is a number, not an address
``[PHONE]``   phone numbers found by ``phonenumbers`` (see :data:`DEFAULT_PHONE_REGIONS`
              and :data:`PHONE_LENIENCY`)
============  =================================================================

Libraries, and why (checked on PyPI, 2026-12):

- phone numbers: ``phonenumbers`` (Apache-2.0, Google's libphonenumber metadata, a release
  a month, offline). Its ``PhoneNumberMatcher`` knows every region's number plan, which
  hand-written patterns cannot (``0044 20 7946 0958``, ``1-800-555-0199``,
  ``0612345678``). It costs 22 MB installed, most of it geocoding data we never load;
  ``phonenumberslite`` (1.2 MB, same module) drops that data, but both install the same
  ``phonenumbers`` package, so requiring the lite one would clash with any application
  that already depends on ``phonenumbers``; swap it in by hand if size matters.
  The matcher is slow (tens of µs a call), so it only sees runs of 7+ digits, each with
  one character around it, and never a text without digits.
- IBAN: ``python-stdnum`` (LGPL-2.1+, used as a library, no dependencies, offline,
  maintained since 2010): mod-97 plus each country's registered length and BBAN format,
  which a checksum alone does not give (``check_country=False``: a national check digit
  is not asked for, a mistyped one is still an account number). Its Luhn check serves the
  cards. ``schwifty`` (MIT) does the same IBAN check but pulls ``pycountry`` and ``rstr``
  and ships a bank registry we do not need.
- e-mail: no library. ``email-validator`` validates one address (and rejects
  special-use domains such as ``.local``, which still name a person's mailbox); it does
  not find addresses in text, and needs ``dnspython``. The pattern here is RFC 5322's
  dot-atom with the UTF-8 letters RFC 6531 allows on both sides.
- IP: :mod:`ipaddress` for IPv6; IPv4 is a dotted quad of 0-255 with the words before it
  deciding between an address and a version or section number.
- secrets: ``detect-secrets`` scans files and git diffs, not strings in a hot path; its
  keyword plugin is the same idea as the statements here.
- ``presidio-analyzer`` needs a spaCy language model downloaded at run time; ``scrubadub``
  (last release 2023-09) pulls scikit-learn and textblob, and its name detectors need
  downloaded corpora. Neither is offline.

Measured on ``tests/data/redaction_set.jsonl`` (``python benchmarks/redaction.py``, see
the README): the unit tests hold recall >= 0.97 and false positives <= 1% as their bar.
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

import phonenumbers
from langchain_core.messages import AIMessage, BaseMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from stdnum import iban as _stdnum_iban
from stdnum import luhn as _stdnum_luhn

from langmem_plugin.errors import ConfigError

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "Redact",
    "RedactingSerializer",
    "Redactor",
    "redact_messages",
    "redact_text",
    "redact_value",
    "resolve_redactor",
]

Redact = Callable[[str], str]
"""A redaction function: text in, redacted text out."""

DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "ES", "IT", "IN", "AU", "BR")
"""Regions tried, in order, for a phone number written without a country code.

A number with ``+CC`` (or an international prefix such as ``00``/``011``) is found in any
country. A national number (``020 7946 0958``, ``06 12 34 56 78``) is valid only relative
to a region, so it is looked up in each of these in turn; the first region whose match
covers the whole run of digits wins, else the one that covers most of it. The default
covers the largest English-, Spanish-, German-, French-, Italian- and Portuguese-writing
countries. Canada shares the US plan, and Austria, Switzerland, Belgium, the Netherlands,
Ireland and Sweden write national numbers that a neighbour's plan accepts (all of theirs
in the evaluation set were found); Polish and Mexican ones were not (add ``PL``, ``MX``).
Each region costs one more libphonenumber look-up
per digit run that is not a phone number; pass ``Redactor(phone_regions=...)`` for yours.
"""

PHONE_LENIENCY = phonenumbers.Leniency.VALID
"""libphonenumber's ``VALID``: the number must be a valid, allocated-range number of its
region, with its national prefix when that region writes one, and not glued to letters.
Measured on the evaluation set (``benchmarks/redaction.py``): ``POSSIBLE`` (right length
only) found the same share of numbers but changed 13 of 378 ordinary sentences (version
numbers, year ranges, ISBNs), against none; ``STRICT_GROUPING`` dropped recall on phone
numbers from 0.986 to 0.884 (national numbers grouped the way people write them in
Belgium, Sweden, Austria, Switzerland...).
"""

_MIN_PHONE_DIGITS = 7
"""Digit runs shorter than this skip libphonenumber (``555-0199`` has 7)."""

# -------------------------------------------------------------------- secrets
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
_URL_PASSWORD = re.compile(r"(?<=://)([^\s:/@]+:)([^\s@/]+)(?=@)")
_STRONG_KEY = (
    r"pass(?:word|phrase|code|wd)s?|pwd|pw|pins?(?:[ _-]?(?:code|number))?|"
    r"(?:api|secret|access|private|wi-?fi|network|licen[cs]e)[ _-]?keys?|"
    r"(?:access|auth|api|bearer|refresh|session)[ _-]?tokens?|client[ _-]?secret"
)
_WEAK_KEY = (
    r"tokens?|secrets?|combination|cvv|cvc|"
    r"(?:door|access|security|verification|confirmation|one[ -]time|otp|2fa|mfa|auth|login|"
    r"unlock|alarm|gate|safe|lock|entry|garage|recovery|backup|wi-?fi|pin)[ _-]codes?|"
    r"(?:(?<=the )|(?<=my )|(?<=our )|(?<=your )|(?<=his )|(?<=her ))codes?"
)
_STOP_WORDS = (
    "the|a|an|my|your|his|her|our|their|this|that|these|it|its|not|no|none|never|wrong|right|"
    "correct|incorrect|invalid|valid|required|mandatory|optional|same|different|too|very|so|"
    "quite|really|case-sensitive|in|on|at|under|inside|somewhere|here|there|what|which|where|"
    "who|how|when|why|because|if|and|or|but|for|from|of|to|with|without|by|about|like|also|"
    "only|still|now|just|being|been|be|going|supposed|needed|necessary|weak|strong|long|short|"
    "easy|hard|simple|secure|safe|good|bad|fine|ok|okay|new|old|default|temporary|random|"
    "unique|personal|private|public|set|reset|changed|stored|saved|kept|written|encrypted|"
    "hashed|hidden|missing|empty|blank|expired|one|two|three|four|five|six|seven|eight|nine|ten|"
    "some|any|all|each|every|more|less|enough|available|listed|below|above|following|attached"
)
_CONNECTOR = r":|=>?|->|\bis\b|\bwas\b|\bare\b|'s\b|\bto\b|\bwill be\b"
_STATED = re.compile(
    rf"(?i)(?<![^\W_])(?:(?P<strong>{_STRONG_KEY})|(?P<weak>{_WEAK_KEY}))(?![^\W_])[\"']?"
    rf"(?:\s*(?:{_CONNECTOR})"  # "password: x", "the code is 4711"
    rf"|\s+(?:for|to|of|on|at|in)\s+[^\W\d_]+(?:\s+[^\W\d_]+){{0,4}}?\s*(?:{_CONNECTOR})"
    r"|(?P<bare_key>\s+(?=\S*\d)))"  # "password qwerty12": no connector, then a digit
    r"\s*(?:(?:now|still|just|simply|actually|literally|always|currently|probably)\s+)?"
    rf"(?:(?P<quote>[\"'`\u201c\u2018])(?P<quoted>[^\"'`\u201d\u2019\n]{{1,80}})"
    r"[\"'`\u201d\u2019]|"
    rf"(?!(?:{_STOP_WORDS})\b)(?P<bare>[^\s\"'`]{{3,80}}?)(?=[.,;:)]*(?:\s|$)))"
)
_PASSPHRASE = re.compile(  # an unquoted passphrase runs to the end of its clause
    r"(?i)(\bpass ?phrase\s*(?::|=|\bis\b)\s*)[^\W\d_]+(?:[ -][^\W\d_]+){1,7}(?=\s*(?:[.,;!?)]|$))"
)
_SECRET_WORD = re.compile(r"(?i)pass|pw|pin|key|token|secret|code|combination|cv[vc]")
_PROSE_SUFFIXES = ("ed", "ing", "ly", "able", "ible", "ive", "ous", "ful", "less")
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}(?![A-Za-z0-9+/_=-])")
_ID_PREFIXES = ("call_", "toolu_", "run-", "lc_", "msg_", "chatcmpl-", "resp_", "fc_")
"""Prefixes of message and tool-call ids that LLM providers generate: not secrets."""

# -------------------------------------------------------------------- the other types
_MARKS = "\u0300-\u036f\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f"
"""Combining marks that ``\\w`` leaves out: Indic, Thai, Lao and Myanmar vowel signs."""
_LABEL = rf"[^\W_][\w{_MARKS}-]*(?<!-)"
_EMAIL = re.compile(  # RFC 5322 dot-atoms, with RFC 6531's UTF-8 letters on both sides
    rf"(?<![\w.%+'{_MARKS}-])[^\W_][\w{_MARKS}.!#$%&'*+/=?^`{{|}}~-]*@(?!\d+x\.)"
    rf"{_LABEL}(?:\.{_LABEL})*\.(?:(?:[^\W\d_]|[{_MARKS}]){{2,63}}|xn--[a-z0-9-]+)"
    rf"(?![\w{_MARKS}-])"
)
_IBAN = re.compile(r"(?<![^\W_])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![^\W_])")
_CARD = re.compile(r"(?<![\d.,-])[1-9](?:[ -]?\d){12,18}(?![\d.,]\d|\d)")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)
_NOT_AN_ADDRESS = re.compile(  # the words before a dotted quad that make it a number
    r"(?i)(?:\b(?:versions?|ver|release[sd]?|rel|builds?|sections?|sec|chapters?|ch|clauses?|"
    r"articles?|art|paragraphs?|para|figures?|fig|tables?|steps?|rules?|items?|appendix|annex|"
    r"editions?|firmware|revisions?|rev|patch|level|parts?|pages?|pp|package|bump|upgrade|"
    r"update|install|pin|tag|release)\.?(?:\s+\S+){0,2}\s+|§\s*|\bv)$"
)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE_RUN = re.compile(r"(?<![\w+\-/.,])(?:\+|\(\+?)?\d[\d \u00a0().\-/]*\d\)?")
_PHONE_CUE = re.compile(
    r"(?i)\b(?:call|phone|tel|telephone|mobile|cell|number|reach|text|fax|whatsapp|signal|sms|"
    r"ring|dial|contact|landline|hotline|handy|portable|telefon|t[ée]l[ée]phone|m[óo]vil|"
    r"cellulare|n[uú]mero|nummer)\b"
)
_DATE_RUN = re.compile(
    r"(\d{1,2})([-./ ])(\d{1,2})\2(?:\d{2}|\d{4})|\d{4}([-./ ])(\d{1,2})\4(\d{1,2})"
)
_DECIMAL = re.compile(r"[1-9]\d*\.\d+")
_CURRENCY = "€$£¥₹%"
_DIGIT = re.compile(r"\d")


def _stated(match: re.Match[str]) -> str:
    text, quoted = match.group(), match.group("quoted")
    value = quoted if quoted is not None else match.group("bare")
    start = match.start("quoted" if quoted is not None else "bare") - match.start()
    if quoted is None:
        letters = value.isalpha()
        digits = any(ch.isdigit() for ch in value)
        if (match.group("weak") or match.group("bare_key")) and not digits:
            return text  # "the code is broken": a weak keyword needs a digit
        if letters and value.lower().endswith(_PROSE_SUFFIXES):
            return text  # "my password is expired"
    return text[:start] + "[SECRET]" + text[start + len(value) :]


def _token(match: re.Match[str]) -> str:
    text = match.group()
    if text.startswith(_ID_PREFIXES):
        return text
    if not (any(c.islower() for c in text) and any(c.isupper() for c in text)):
        return text
    if sum(c.isdigit() for c in text) < 2 or _entropy(text) < 3.7:
        return text
    return "[SECRET]"


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _iban(match: re.Match[str]) -> str:
    text = match.group()
    if not (text[:2].isupper() or text[:2].islower()):
        return text  # "Ab12 ..." is not how anyone writes an IBAN
    while text:
        if len(text.replace(" ", "")) >= 15 and _stdnum_iban.is_valid(text, check_country=False):
            return "[IBAN]" + match.group()[len(text) :]
        if " " not in text:
            return match.group()
        text = text.rsplit(" ", 1)[0]  # "DE89 3704 ... 00 BIC" → drop trailing groups
    return match.group()


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if len(set(digits)) > 1 and _stdnum_luhn.is_valid(digits):
        return "[CARD]"
    return match.group()


def _ipv4(match: re.Match[str]) -> str:
    if _NOT_AN_ADDRESS.search(match.string, max(0, match.start() - 40), match.start()):
        return match.group()  # "Version 1.2.3.4", "section 4.5.6.7"
    return "[IP]"


def _ipv6(match: re.Match[str]) -> str:
    text = match.group()
    if "::" not in text and text.count(":") != 7:
        return text
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return "[IP]"


class Redactor:
    """The default redaction rules, with the phone regions as a setting.

    ``redact=True`` uses :func:`redact_text` (a ``Redactor()``); pass an instance of your
    own to look national phone numbers up in other regions.

    Example:
        ```python
        from langmem_plugin._redact import Redactor

        memory = Memory.from_path("./.memory", redact=Redactor(phone_regions=("DE", "AT", "CH")))
        ```

    Args:
        phone_regions: ISO 3166 region codes tried in order for phone numbers written
            without a country code (default :data:`DEFAULT_PHONE_REGIONS`). Numbers with
            ``+CC`` or an international prefix are found whatever the regions.

    Raises:
        ConfigError: a region is not one libphonenumber knows, or none is given.
    """

    def __init__(self, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        regions = tuple(region.upper() for region in phone_regions)
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown or not regions:
            raise ConfigError(f"phone_regions must be ISO 3166 region codes, got {unknown!r}")
        self.phone_regions = regions

    def __call__(self, text: str) -> str:
        """Replace personal data and secrets in ``text`` with typed placeholders."""
        if not text:
            return text
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub("[SECRET]", text)
        text = _BEARER.sub(r"\1\2[SECRET]", text)
        if "://" in text:
            text = _URL_PASSWORD.sub(r"\1[SECRET]", text)
        if _SECRET_WORD.search(text):  # the statements' keywords, before their costly regex
            text = _PASSPHRASE.sub(r"\1[SECRET]", text)
            text = _STATED.sub(_stated, text)
        if "@" in text:
            text = _EMAIL.sub("[EMAIL]", text)
        if _DIGIT.search(text):  # every rule below needs a digit (or a colon for IPv6 "::1")
            text = _IBAN.sub(_iban, text)
            text = _CARD.sub(_card, text)
            text = _SSN.sub("[SSN]", text)
            text = _IPV4.sub(_ipv4, text)
            text = self._phones(text)
            text = _TOKEN.sub(_token, text)
        if "::" in text or text.count(":") >= 7:
            text = _IPV6.sub(_ipv6, text)
        return text

    def _phones(self, text: str) -> str:
        """Each run of digits long enough to be a number goes to libphonenumber's matcher."""
        spans: list[tuple[int, int]] = []
        for run in _PHONE_RUN.finditer(text):
            digits = sum(ch.isdigit() for ch in run.group())
            if digits < _MIN_PHONE_DIGITS or _not_a_phone(run):
                continue
            # one character either side, so that the matcher sees what the run touches
            left, right = max(0, run.start() - 1), min(len(text), run.end() + 1)
            window = text[left:right]
            international = run.group().lstrip("(").startswith("+")
            best: list[tuple[int, int]] = []
            best_digits = 0
            for region in self.phone_regions[:1] if international else self.phone_regions:
                found = [
                    (left + m.start, left + m.end)
                    for m in phonenumbers.PhoneNumberMatcher(window, region, PHONE_LENIENCY)
                ]
                covered = sum(ch.isdigit() for s, e in found for ch in text[s:e])
                if covered > best_digits:  # the region that explains the whole run wins
                    best, best_digits = found, covered
                if covered == digits:
                    break
            if not best and _cued(run):
                best = self._local_only(run)
            spans.extend(best)
        for start, end in reversed(spans):
            text = text[:start] + "[PHONE]" + text[end:]
        return text

    def _local_only(self, run: re.Match[str]) -> list[tuple[int, int]]:
        """``555-0199``: a number without its area code, said to be a phone number."""
        for region in self.phone_regions:
            try:
                number = phonenumbers.parse(run.group(), region)
            except phonenumbers.NumberParseException:
                return []
            reason = phonenumbers.is_possible_number_with_reason(number)
            if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
                return [run.span()]
        return []


def _cued(run: re.Match[str]) -> bool:
    """A word such as "call", "phone" or "number" in the 32 characters before the run."""
    return _PHONE_CUE.search(run.string, max(0, run.start() - 32), run.start()) is not None


def _not_a_phone(run: re.Match[str]) -> bool:
    """What libphonenumber's matcher does not rule out by itself, and chat text is full of.

    Dates (``09.04.2001``, ``21-11-1978``), decimals (``86377.9720``), amounts (``347 459
    000 €``), and a bare block of digits (``run id 3785661998``, a Unix time) unless a word
    like "call" or "number" comes before it or it starts with a trunk ``0``: a ten-digit
    block is a valid number in some region more often than not.
    """
    text = run.group()
    if _DATE_RUN.fullmatch(text) or _DECIMAL.fullmatch(text):
        return True
    after = run.string[run.end() : run.end() + 2].strip()[:1]
    before = run.string[run.start() - 1] if run.start() else ""
    if (after and after in _CURRENCY) or (before and before in _CURRENCY):
        return True
    return text.isdigit() and not text.startswith("0") and not _cued(run)


_DEFAULT = Redactor()


def redact_text(text: str) -> str:
    """Replace personal data and secrets in ``text`` with typed placeholders.

    The rules of :class:`Redactor` with the default phone regions.

    Example:
        ```python
        redact_text("mail bob@example.com or call +44 20 7946 0958")
        # 'mail [EMAIL] or call [PHONE]'
        ```
    """
    return _DEFAULT(text)


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
