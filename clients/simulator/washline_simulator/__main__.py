"""`python -m washline_simulator`: parse the flags, run the city, exit with its status.

`washline simulate` and `washline run` start exactly this, as a separate process."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from washline_simulator.city import simulate
from washline_simulator.config import add_arguments, from_namespace

DESCRIPTION = (
    "Simulated washers and customers as real clients of the HTTP API and the /ws socket: "
    "washers report GPS, take offers, drive and wash; customers book, chat, cancel now and "
    "then, and review. Runs until --duration or SIGINT/SIGTERM."
)


def parser(prog: str | None = None) -> argparse.ArgumentParser:
    built = argparse.ArgumentParser(prog=prog or "washline simulate", description=DESCRIPTION)
    add_arguments(built)
    return built


def main(argv: Sequence[str] | None = None) -> None:
    flags = parser()
    raise SystemExit(simulate(from_namespace(flags.parse_args(argv), flags)))


if __name__ == "__main__":
    main()
