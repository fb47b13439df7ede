"""The ``langmem`` command line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``langmem`` and its subcommands."""
    parser = argparse.ArgumentParser(prog="langmem", description="Inspect and demo langmem_plugin.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="Run the offline demo: memories that survive a restart.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``langmem`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from langmem_plugin._demo import run_store_demo

        run_store_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
