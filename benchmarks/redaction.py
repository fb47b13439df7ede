"""How well PII redaction finds what it claims and leaves ordinary text alone.

Usage:
    python benchmarks/redaction.py [--data tests/data/redaction_set.jsonl] [--repeat 3]
        [--regions US,GB,...] [--show]

Runs ``redact_text`` (or a ``Redactor`` with ``--regions``) over the labelled set made by
``tests/data/make_redaction_set.py`` and prints:

* recall: a labelled span counts as found when every one of its characters was replaced
  by a placeholder; overall, per type and per group (``phone/national/FR``...), and how
  many were found under the placeholder of their own type;
* false positives: the ordinary sentences that came out changed, as a share of them;
* precision: of all the stretches replaced (in both kinds of line), the share that
  overlaps a labelled span;
* cost: microseconds per line, best of ``--repeat`` passes, for the positives, the
  ordinary sentences, and chat messages without a digit.

``--show`` lists every miss and every false positive. The last line is one JSON object
with every figure.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langmem_plugin._redact import Redactor, redact_text

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "redaction_set.jsonl"
PLACEHOLDER = re.compile(r"\[(EMAIL|PHONE|CARD|IBAN|SSN|IP|SECRET)\]")
NO_DIGITS = [
    "I moved to Lisbon and I work as a data scientist at a small startup.",
    "Can you remind me what we said about the upgrade last week?",
    "My sister is visiting from Porto and we want to try the new ramen place.",
    "The deployment failed because the database migration timed out again.",
]


def replaced(original: str, redacted: str) -> list[tuple[int, int, str]] | None:
    """The stretches of ``original`` that placeholders replaced: (start, end, type).

    The redacted text is literal text and placeholders; matching a pattern made of it
    against the original recovers what each placeholder stands for. None when the
    redactor changed the text in some other way.
    """
    pattern, kinds, last = [], [], 0
    for match in PLACEHOLDER.finditer(redacted):
        pattern.append(re.escape(redacted[last : match.start()]))
        pattern.append("(.+?)")
        kinds.append(match.group(1))
        last = match.end()
    pattern.append(re.escape(redacted[last:]))
    found = re.fullmatch("".join(pattern), original, re.DOTALL)
    if found is None:
        return None
    return [(found.start(i + 1), found.end(i + 1), kind) for i, kind in enumerate(kinds)]


def evaluate(lines: list[dict[str, Any]], redact: Callable[[str], str]) -> dict[str, Any]:
    spans = found = typed = 0
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    negatives = changed = stretches = relevant = 0
    misses, false_positives = [], []
    for line in lines:
        out = redact(line["text"])
        regions = replaced(line["text"], out)
        if regions is None:
            raise SystemExit(f"redaction changed more than placeholders: {line['text']!r}")
        labelled = [(s["start"], s["end"]) for s in line["spans"]]
        for start, end, _kind in regions:
            stretches += 1
            relevant += any(start < e and s < end for s, e in labelled)
        if not line["spans"]:
            negatives += 1
            if out != line["text"]:
                changed += 1
                false_positives.append((line["group"], line["text"], out))
            continue
        for span in line["spans"]:
            covered = [r for r in regions if r[0] <= span["start"] and span["end"] <= r[1]]
            ok = bool(covered)
            spans += 1
            found += ok
            typed += any(r[2] == span["type"] for r in covered)
            for key, table in ((span["type"], by_type), (line["group"], by_group)):
                table[key][0] += ok
                table[key][1] += 1
            if not ok:
                misses.append((line["group"], line["text"], out))
    return {
        "positives": spans,
        "recall": found / spans,
        "typed_recall": typed / spans,
        "recall_by_type": {k: round(v[0] / v[1], 3) for k, v in sorted(by_type.items())},
        "group_misses": {
            k: f"{v[1] - v[0]}/{v[1]}" for k, v in sorted(by_group.items()) if v[0] < v[1]
        },
        "ordinary": negatives,
        "false_positives": changed,
        "false_positive_rate": changed / negatives,
        "precision": relevant / stretches if stretches else 1.0,
        "misses": misses,
        "false_positive_lines": false_positives,
    }


def cost_us(texts: list[str], redact: Callable[[str], str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            redact(text)
        best = min(best, time.perf_counter() - started)
    return best / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--regions", help="comma-separated phone regions (default: built in)")
    parser.add_argument("--show", action="store_true", help="list misses and false positives")
    args = parser.parse_args()
    redact = Redactor(args.regions.split(",")) if args.regions else redact_text
    lines = [json.loads(raw) for raw in args.data.read_text().splitlines() if raw.strip()]
    figures = evaluate(lines, redact)
    misses, false_positives = figures.pop("misses"), figures.pop("false_positive_lines")
    positives = [line["text"] for line in lines if line["spans"]]
    ordinary = [line["text"] for line in lines if not line["spans"]]
    figures["us_per_positive"] = round(cost_us(positives, redact, args.repeat), 1)
    figures["us_per_ordinary"] = round(cost_us(ordinary, redact, args.repeat), 1)
    figures["us_per_message_without_digits"] = round(
        cost_us(NO_DIGITS * 50, redact, args.repeat), 1
    )
    for key in ("recall", "typed_recall", "false_positive_rate", "precision"):
        figures[key] = round(figures[key], 4)
    if args.show:
        for group, text, out in misses:
            print(f"MISS {group}: {text!r} -> {out!r}")
        for group, text, out in false_positives:
            print(f"FALSE POSITIVE {group}: {text!r} -> {out!r}")
    print(
        f"set: {args.data.name}, {figures['positives']} labelled spans in "
        f"{len(positives)} lines, {figures['ordinary']} ordinary sentences"
    )
    print(
        f"recall {figures['recall']:.3f} (right placeholder {figures['typed_recall']:.3f}); "
        + ", ".join(f"{k} {v:.3f}" for k, v in figures["recall_by_type"].items())
    )
    if figures["group_misses"]:
        print(
            "misses by group: " + ", ".join(f"{k} {v}" for k, v in figures["group_misses"].items())
        )
    print(
        f"false positives: {figures['false_positives']}/{figures['ordinary']} ordinary "
        f"sentences ({figures['false_positive_rate']:.2%}); precision "
        f"{figures['precision']:.3f}"
    )
    print(
        f"cost: {figures['us_per_positive']} us per positive line, "
        f"{figures['us_per_ordinary']} us per ordinary sentence, "
        f"{figures['us_per_message_without_digits']} us per message without digits"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
