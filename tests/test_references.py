"""Sources live inside the repository: every cited work is in docs/references.md, and nothing
points to background notes that users do not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / "docs" / "references.md"

#: Files and folders whose text must cite primary works only.
SCANNED = ("src", "docs", "configs", "notebooks", "README.md")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".ipynb", ".txt", ".rst", ".cfg", ".json", ".yaml",
                 ".yml", ".csv"}
BACKGROUND_NOTES = re.compile(r"\b(?:SCIENCE|PERFORMANCE|DESIGN)\.md\b")

#: "Surname 2011", "Surname et al. 2011", "Surname & Other 2011", "Surname (2011)": a word that
#: starts with a capital and continues in lower case (so "PRS 2011" or "AISI 304" are not
#: author names), then a year.
_NAME = r"[A-Z][a-zà-ÿ'’][A-Za-zà-ÿ'’-]*"
AUTHOR_YEAR = re.compile(
    rf"\b({_NAME})(?:\s+et\s+al\.?|\s+(?:&|and)\s+{_NAME})?,?\s+\(?((?:18|19|20)\d\d)[a-z]?\b")


def _text_files() -> list[Path]:
    out: list[Path] = []
    for name in SCANNED:
        p = ROOT / name
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in sorted(p.rglob("*")) if f.is_file() and f.suffix in TEXT_SUFFIXES
                    and "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts]
    return out


def _reference_entries() -> list[str]:
    lines = REFERENCES.read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if ln.startswith("- **")]


def author_year_tokens(text: str) -> set[tuple[str, str]]:
    """(name, year) pairs cited in ``text``, e.g. ``{("Jin", "2011")}``."""
    return {(m.group(1), m.group(2)) for m in AUTHOR_YEAR.finditer(text)}


def test_author_year_parser() -> None:
    text = ("Jin et al. 2011, BMC Syst Biol; Henriques & Moritz 1947 [S]; Schwarz & Laaff, PRS "
            "2011; Adv Wound Care 2015;4:119; Morris (1991); AISI 304; El-Domyati et al. 2015")
    assert author_year_tokens(text) == {("Jin", "2011"), ("Henriques", "1947"),
                                        ("Care", "2015"), ("Morris", "1991"),
                                        ("El-Domyati", "2015")}


def test_no_file_points_to_background_notes() -> None:
    """Code, cards, configs, docs and notebooks cite the primary works, not notes outside the
    repository."""
    hits = []
    for f in _text_files():
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if BACKGROUND_NOTES.search(line):
                hits.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not hits, "cite the primary work instead:\n" + "\n".join(hits)


def test_references_file_is_one_line_per_work() -> None:
    entries = _reference_entries()
    assert len(entries) > 50
    for ln in entries:
        assert re.match(r"- \*\*[^*]+\*\* — \S", ln), ln


def test_one_entry_per_work() -> None:
    """No short form is listed twice (the file merges by union: fold duplicates into one)."""
    keys = [re.match(r"- \*\*([^*]+)\*\*", ln).group(1) for ln in _reference_entries()]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    assert not dups, f"listed more than once in docs/references.md: {dups}"


def test_every_card_citation_is_in_the_references() -> None:
    """Every author–year short form on a parameter card has an entry in docs/references.md (an
    entry line that contains both the name and the year)."""
    from dermsim.docs import load_all_cards
    from dermsim.parameters import registered_cards

    load_all_cards()
    entries = _reference_entries()
    missing = []
    for c in registered_cards():
        for name, year in sorted(author_year_tokens(c.source)):
            if not any(name in ln and year in ln for ln in entries):
                missing.append(f"{c.name}: {name} {year}  (source: {c.source})")
    assert not missing, "add to docs/references.md:\n" + "\n".join(missing)


@pytest.mark.parametrize("doc", ["model.md", "validation.md", "tutorial.md", "sweeps.md",
                                 "architecture.md"])
def test_every_doc_citation_is_in_the_references(doc: str) -> None:
    """The same for the prose of the documentation."""
    path = ROOT / "docs" / doc
    if not path.is_file():
        pytest.skip(f"docs/{doc} not present")
    entries = _reference_entries()
    text = path.read_text(encoding="utf-8")
    missing = sorted(f"{n} {y}" for n, y in author_year_tokens(text)
                     if not any(n in ln and y in ln for ln in entries))
    assert not missing, f"docs/{doc} cites works missing from docs/references.md: {missing}"
