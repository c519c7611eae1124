"""Study 1: collagen I gain and downtime vs number of sessions and interval.

One command reproduces the study (sweep + figures + tables)::

    python experiments/sessions_interval.py              # all local cores
    python experiments/sessions_interval.py --serial     # any `dermsim sweep` option works

Writes out/experiments/sessions_interval.nc, sessions_interval_heatmap.png,
sessions_interval_lines.png and sessions_interval_course.png (collagen I gain, course downtime
and gain per day of downtime), and prints the best protocols and the gain per downtime day.
An interrupted run resumes where it stopped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sessions_interval.toml"


def summary(path: Path) -> None:
    """Course totals: the downtime proxy is per session (after session 1; every session of a
    protocol uses the same device), so a course costs ``sessions x downtime_h``. Prints and
    draws collagen I gain, course downtime and gain per day of downtime."""
    from dermsim.io import open_result, save_figure
    from dermsim.viz.sweep import plot_heatmap

    ds = open_result(path)
    gain, down = ds["collagen_I_change_pct"], ds["downtime_h"]
    if not np.isfinite(gain).any():
        print("collagen outcomes are NaN: the remodelling stage did not run")
        return
    ds["course_downtime_day"] = (down * ds["sessions"] / 24.0).assign_attrs(
        units="day", long_name="course downtime (sessions x downtime after one session)")
    ds["gain_per_downtime_day"] = (gain / ds["course_downtime_day"].where(down > 0)).assign_attrs(
        units="%/day", long_name="collagen I gain per day of downtime")
    ratio = ds["gain_per_downtime_day"].transpose("sessions", "interval_days")
    print("\ncollagen I gain per day of course downtime [%/day] (rows: sessions, cols: interval "
          "days)")
    print("          " + "".join(f"{d:>9g}" for d in ds["interval_days"].values))
    for s, row in zip(ds["sessions"].values, ratio.values):
        print(f"  {s:>6d}  " + "".join(f"{v:9.3g}" for v in row))
    fig = plot_heatmap(ds, ["collagen_I_change_pct", "course_downtime_day",
                            "gain_per_downtime_day"], "interval_days", "sessions")
    print(f"  wrote {save_figure(fig, path.parent / 'sessions_interval_course.png')}")


def main(argv: list[str]) -> int:
    from dermsim.sweep import run_study

    return run_study(SPEC, "collagen_I_change_pct", argv, summary)


if __name__ == "__main__":  # required: worker processes may re-import this file
    sys.exit(main(sys.argv[1:]))
