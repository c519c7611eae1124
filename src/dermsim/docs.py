"""Generate the parameter tables of ``docs/model.md`` from the parameter cards.

Run ``python -m dermsim.docs`` to rewrite the section between the markers
``<!-- BEGIN PARAMETERS -->`` and ``<!-- END PARAMETERS -->``; ``--check`` exits 1 when the
file is out of date (used by the tests).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from itertools import groupby
from pathlib import Path

from dermsim.parameters import EVIDENCE_TAGS, registered_cards

BEGIN = "<!-- BEGIN PARAMETERS -->"
END = "<!-- END PARAMETERS -->"
MODEL_MODULES = ("dermsim.tissue", "dermsim.devices", "dermsim.penetration", "dermsim.config",
                 "dermsim.protocol", "dermsim.signalling", "dermsim.remodelling",
                 "dermsim.thermal", "dermsim.patient", "dermsim.uncertainty")


def load_all_cards() -> None:
    """Import every model module so that all cards are registered."""
    for m in MODEL_MODULES:
        try:
            importlib.import_module(m)
        except ImportError:
            continue


def _esc(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def parameter_tables() -> str:
    """Markdown tables of all parameter cards, grouped by their first name component."""
    load_all_cards()
    lines = ["_Generated from the parameter cards by `python -m dermsim.docs`; do not edit._", "",
             "Evidence tags: " + "; ".join(f"**{k}** {v}" for k, v in EVIDENCE_TAGS.items()),
             ""]
    cards = registered_cards()
    for group, items in groupby(cards, key=lambda c: c.name.split(".")[0]):
        lines += [f"### `{group}`", "",
                  "| parameter | default | unit | allowed range | tag | meaning | source |",
                  "|---|---|---|---|---|---|---|"]
        for c in items:
            value = f"{c.value:g}" if isinstance(c.value, float) else str(c.value)
            lines.append(f"| `{c.name}` | {value} | {_esc(c.unit)} | {_esc(c.range_text)} | "
                         f"{c.tag} | {_esc(c.description)} | {_esc(c.source)} |")
        lines.append("")
    return "\n".join(lines)


def render(text: str) -> str:
    """``text`` with the parameter section replaced by freshly generated tables."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"docs/model.md lacks the markers {BEGIN} … {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{parameter_tables()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default="docs/model.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    path = Path(args.path)
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if args.check:
        if new != old:
            print(f"{path} is out of date: run python -m dermsim.docs", file=sys.stderr)
            return 1
        return 0
    if new != old:
        path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
