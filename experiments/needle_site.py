"""Study 2: needle length x body site — bleeding, epidermal injury and dermal gain.

One command reproduces the study (sweep + figures + tables)::

    python experiments/needle_site.py                    # all local cores
    python experiments/needle_site.py --dask-local 2     # any `dermsim sweep` option works

Writes out/experiments/needle_site.nc, needle_site_heatmap.png and needle_site_lines.png and
prints, per site, the shortest needle that makes at least half of the needles bleed and the
injury it causes. An interrupted run resumes where it stopped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SPEC = HERE / "needle_site.toml"


def summary(path: Path) -> None:
    from dermsim.io import open_result

    ds = open_result(path)
    print("\nshortest needle with pinpoint bleeding in >= 50 % of needles, per site")
    print(f"  {'site':<12} {'length um':>10} {'epid. inj.':>11} {'dermal inj.':>12} "
          f"{'coll. I %':>10}")
    for site in ds["site"].values:
        d = ds.sel(site=site)
        ok = (d["status"] == 0) & (d["bleeding_fraction"] >= 0.5)
        if not ok.any():
            print(f"  {site:<12} {'none':>10}")
            continue
        L = float(d["needle_length_um"].where(ok).min())
        r = d.sel(needle_length_um=L)
        gain = float(r["collagen_I_change_pct"])
        print(f"  {site:<12} {L:10g} {float(r['epidermal_injury_mm3_per_cm2']):11.3g} "
              f"{float(r['dermal_injury_mm3_per_cm2']):12.3g} "
              f"{'n/a' if np.isnan(gain) else f'{gain:.3g}':>10}")


def main(argv: list[str]) -> int:
    from dermsim.sweep import run_study

    return run_study(SPEC, "dermal_injury_mm3_per_cm2", argv, summary)


if __name__ == "__main__":  # required: worker processes may re-import this file
    sys.exit(main(sys.argv[1:]))
