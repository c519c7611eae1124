"""Generate the outputs shown in docs/tutorial.md by running the tutorial.

Every output block, number and claim of the tutorial comes from a real run of the program, so
the page cannot go stale: after a change of the model run

    python docs/build_tutorial.py            # rewrite docs/tutorial.md in place
    python docs/build_tutorial.py --check    # exit 1 (with a diff) if the page is stale

``tests/test_tutorial.py`` runs the check. The tutorial's commands run in a fresh scratch
folder (a temporary directory; ``--keep DIR`` keeps the files there), as a reader runs them in
``~/dermsim-tutorial``. ``dermsim`` commands run in this process (one import, one numba
warm-up), so the whole page builds in about a minute on two cores.

Markers in the markdown (HTML comments, invisible on the rendered page)
-----------------------------------------------------------------------
``<!-- tutorial:file NAME -->``
    before a fenced block: its text is saved as NAME in the scratch folder.
``<!-- tutorial:run -->``
    before a fenced ``bash`` block (``dermsim`` command lines only; ``#`` comments allowed)
    or ``python`` block: it is run; its standard output is kept.
``<!-- tutorial:output -->``
    before a fenced block: replaced by the output of the last ``run`` block.
``<!-- tutorial:output NAME -->``
    before a fenced block: replaced by the output of the function ``NAME`` in
    :data:`GENERATORS` (outputs that need more than one command, e.g. error messages).
``<!-- tutorial:value KEY -->TEXT<!-- /value -->``
    inline: TEXT is replaced by the value ``KEY`` of :data:`VALUES`, computed from the files
    the run wrote.

``<!-- tutorial:claim NAME -->``
    in a paragraph: the statement ``NAME`` of :data:`CLAIMS` (e.g. "the response is
    concentrated in the papillary dermis") is tested on the files the run wrote; the build
    fails, naming the claim, when the model no longer supports it.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TUTORIAL = HERE / "tutorial.md"

BLOCK = re.compile(r"<!-- tutorial:(file|run|output)(?: (\S+))? -->\n(```[^\n]*\n)(.*?)^```$",
                   re.S | re.M)
VALUE = re.compile(r"<!-- tutorial:value (\S+) -->(.*?)<!-- /value -->", re.S)
CLAIM = re.compile(r"<!-- tutorial:claim (\S+) -->")
#: Parts of the outputs that differ from run to run (wall time, number of worker processes);
#: the check ignores them.
VOLATILE = (re.compile(r"in \d+(?:\.\d+)? (?:s|min)\b"),
            re.compile(r"on \d+ worker process(?:es)?"))
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


class TutorialError(RuntimeError):
    """A tutorial command failed, or the model no longer supports a statement of the text."""


# ------------------------------------------------------------------------------------------
# running the blocks
# ------------------------------------------------------------------------------------------

def run_dermsim(argv: list[str], stderr: bool = False) -> tuple[int, str]:
    """Run one ``dermsim`` command in this process; (exit status, its standard output, and
    its standard error too when ``stderr``)."""
    from dermsim.cli import main

    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse errors
            rc = int(exc.code or 0)
    return rc, out.getvalue() + (err.getvalue() if stderr else "")


def run_bash(src: str) -> str:
    """Run the ``dermsim`` command lines of a bash block; their standard output."""
    chunks = []
    for line in src.splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        if argv[0] != "dermsim":
            raise TutorialError(f"only dermsim commands run in a tutorial:run block: {line!r}")
        rc, out = run_dermsim(argv[1:])
        if rc != 0:
            raise TutorialError(f"`{line.strip()}` exited with status {rc}:\n{out}")
        chunks.append(out)
    return "".join(chunks)


def run_python(src: str, namespace: dict[str, Any]) -> str:
    """Run a python block in the tutorial's namespace; its standard output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(src, "<tutorial>", "exec"), namespace)
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# outputs, values and claims that need more than one command
# ------------------------------------------------------------------------------------------

def _config_errors(folder: Path) -> str:
    """The one-line messages for an out-of-range value and a misspelt key."""
    good = (folder / "my_scenario.toml").read_text(encoding="utf-8")
    lines = []
    for bad in (good.replace("passes = 6", "passes = -2"),
                good.replace("needle_length_um", "needle_lenght_um")):
        (folder / "mistake.toml").write_text(bad, encoding="utf-8")
        rc, out = run_dermsim(["run", "mistake.toml", "-o", "out", "--no-figure"], stderr=True)
        if rc == 0:
            raise TutorialError("a scenario with a mistake ran without an error")
        lines.append(out.strip().splitlines()[-1])
    (folder / "mistake.toml").unlink()
    return "\n".join(lines) + "\n"


#: Output blocks filled by a function of the scratch folder.
GENERATORS: dict[str, Callable[[Path], str]] = {"config-errors": _config_errors}


def _open(folder: Path, name: str) -> Any:
    import xarray as xr

    return xr.load_dataset(folder / "out" / name)


def _compare(folder: Path) -> Any:
    return _open(folder, "compare.nc")


def _outcome(folder: Path, name: str, scenario: str) -> float:
    return float(_compare(folder)[name].sel(scenario=scenario))


def _fmt(v: float, digits: int = 0) -> str:
    return f"{v:.{digits}f}"


def _sweep(folder: Path) -> Any:
    return _open(folder, "pen_length_passes.nc")


def _range(folder: Path, name: str, **sel: Any) -> str:
    da = _sweep(folder)[name].sel(**sel)
    return f"{float(da.min()):.0f} → {float(da.max()):.0f}"


#: Inline values of the prose, computed from the files the tutorial wrote.
VALUES: dict[str, Callable[[Path], str]] = {
    "pen-depth": lambda f: f"{round(float(_open(f, 'baseline.nc')['effective_depth'][0]), -1):.0f}",
    "roller-surface": lambda f: _fmt(100 * _outcome(f, "surface_fraction_punctured",
                                                    "neck_roller"), 1),
    "pen-surface": lambda f: _fmt(100 * _outcome(f, "surface_fraction_punctured", "baseline")),
    "roller-papillary": lambda f: _fmt(_outcome(f, "collagen_I_change_papillary_pct",
                                                "neck_roller")),
    "roller-reticular": lambda f: _fmt(_outcome(f, "collagen_I_change_reticular_pct",
                                                "neck_roller")),
    "downtime-range": lambda f: _range(f, "downtime_h"),
    "collagen-500": lambda f: _range(f, "collagen_I_change_pct", needle_length_um=500),
    "collagen-deep": lambda f: _fmt(float(_sweep(f)["collagen_I_change_pct"].sel(
        needle_length_um=[1000, 1500]).mean())),
}


def _claim_roller_papillary(folder: Path) -> bool:
    return (_outcome(folder, "collagen_I_change_papillary_pct", "neck_roller")
            > 2 * _outcome(folder, "collagen_I_change_reticular_pct", "neck_roller"))


def _claim_roller_no_downtime(folder: Path) -> bool:
    return _outcome(folder, "downtime_h", "neck_roller") == 0.0


def _claim_downtime_grows(folder: Path) -> bool:
    import numpy as np

    d = _sweep(folder)["downtime_h"].transpose("needle_length_um", "passes").values
    return bool((np.diff(d, axis=0) > 0).all() and (np.diff(d, axis=1) > 0).all())


def _claim_collagen_grows_then_levels(folder: Path) -> bool:
    import numpy as np

    c = _sweep(folder)["collagen_I_change_pct"].transpose("needle_length_um", "passes").values
    by_length = np.diff(c, axis=0)  # 500 → 1000 and 1000 → 1500 µm at each pass count
    by_passes = np.diff(c, axis=1)
    return bool((by_length[0] > 0).all() and (np.abs(by_length[1]) < 1.0).all()
                and (np.abs(by_passes[1:]) < 1.0).all())


#: Statements of the prose that are not numbers, by the name of their marker
#: ``<!-- tutorial:claim NAME -->`` in the paragraph that makes them: (statement, test).
CLAIMS: dict[str, tuple[str, Callable[[Path], bool]]] = {
    "roller-papillary": ("the roller's collagen response is concentrated in the papillary "
                         "dermis (more than twice the reticular change)",
                         _claim_roller_papillary),
    "roller-no-downtime": ("the roller's erythema proxy never crosses its threshold "
                           "(downtime 0 h)", _claim_roller_no_downtime),
    "downtime-grows": ("the downtime proxy grows with needle length and with passes",
                       _claim_downtime_grows),
    "collagen-grows": ("the collagen I gain grows from 500 to 1000 µm at every pass count and "
                       "changes by less than a point from 1000 to 1500 µm and with passes at "
                       "1000-1500 µm", _claim_collagen_grows_then_levels),
}


# ------------------------------------------------------------------------------------------
# the build
# ------------------------------------------------------------------------------------------

def build(text: str, folder: Path) -> str:
    """The tutorial ``text`` with every output block and value regenerated by running it in
    ``folder``."""
    namespace: dict[str, Any] = {"__name__": "__tutorial__"}
    last: list[str] = [""]

    def block(m: re.Match[str]) -> str:
        kind, arg, fence, body = m.group(1), m.group(2), m.group(3), m.group(4)
        if kind == "file":
            (folder / str(arg)).write_text(body, encoding="utf-8")
        elif kind == "run":
            lang = fence.strip("`\n ").split(" ")[0]
            last[0] = run_python(body, namespace) if lang == "python" else run_bash(body)
        else:
            out = GENERATORS[arg](folder) if arg else last[0]
            if not out.strip():
                raise TutorialError("an output block follows a run block that printed nothing")
            body = out if out.endswith("\n") else out + "\n"
        return f"<!-- tutorial:{kind}{' ' + arg if arg else ''} -->\n{fence}{body}```"

    cwd = Path.cwd()
    os.chdir(folder)
    try:
        text = BLOCK.sub(block, text)
        text = VALUE.sub(lambda m: f"<!-- tutorial:value {m.group(1)} -->"
                         f"{VALUES[m.group(1)](folder)}<!-- /value -->", text)
        failed = [f"{name}: {CLAIMS[name][0]}" for name in CLAIM.findall(text)
                  if not CLAIMS[name][1](folder)]
    finally:
        os.chdir(cwd)
    if failed:
        raise TutorialError("the model no longer supports these statements of docs/tutorial.md;"
                            " rewrite the paragraphs with these claim markers (and CLAIMS in"
                            " docs/build_tutorial.py):\n  "
                            + "\n  ".join(failed))
    return text


def _mask(text: str) -> str:
    for pattern in VOLATILE:
        text = pattern.sub("…", text)
    return text


def _numbers_close(a: str, b: str) -> bool:
    """Two printed numbers agree to their last printed digit (so that a rounding flip in the
    fourth significant digit on another machine is not reported as stale)."""
    x, y = float(a), float(b)
    digits = max(len(a.split(".")[1]) if "." in a else 0, len(b.split(".")[1]) if "." in b else 0)
    return abs(x - y) <= max(1.01 * 10.0 ** -digits, 1e-3 * max(abs(x), abs(y)))


def same(expected: str, actual: str) -> bool:
    """``actual`` equals ``expected`` up to :data:`VOLATILE` parts and last-digit rounding."""
    e, a = _mask(expected), _mask(actual)
    if NUMBER.split(e) != NUMBER.split(a):
        return False
    ne, na = NUMBER.findall(e), NUMBER.findall(a)
    return len(ne) == len(na) and all(_numbers_close(x, y) for x, y in zip(ne, na))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 with a diff if docs/tutorial.md is stale")
    parser.add_argument("--keep", metavar="DIR", help="run in DIR and keep its files")
    parser.add_argument("--path", default=str(TUTORIAL), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = Path(args.path)
    old = path.read_text(encoding="utf-8")
    os.environ.setdefault("MPLBACKEND", "Agg")
    with contextlib.ExitStack() as stack:
        if args.keep:
            folder = Path(args.keep).resolve()
            folder.mkdir(parents=True, exist_ok=True)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dermsim-tut")))
        try:
            new = build(old, folder)
        except TutorialError as exc:
            print(f"build_tutorial: {exc}", file=sys.stderr)
            return 1
    if args.check:
        if same(old, new):
            print(f"{path.name} is up to date")
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            f"{path.name} (committed)", f"{path.name} (generated)"))
        print(f"\n{path.name} is stale: run `python docs/build_tutorial.py`", file=sys.stderr)
        return 1
    if new != old:
        path.write_text(new, encoding="utf-8")
        print(f"wrote {path}")
    else:
        print(f"{path.name} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
