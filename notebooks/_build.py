"""Build the teaching notebooks from the cell sources below (outputs stripped).

Run ``python notebooks/_build.py`` after editing a notebook's cells here; the ``.ipynb`` files
are generated, never edited by hand, so they are reproducible and carry no outputs. The test
suite (``tests/test_notebooks.py``) checks that the files match this script and executes
every notebook with nbclient.

Each notebook uses small grids (20 µm cells, 1–2 mm wide) so it runs in well under a minute.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

DISCLAIMER = ("> **Disclaimer.** dermsim is a research and teaching tool. It is **not medical "
              "advice** and must not be used to plan the treatment of patients.")

IMPORTS = '''\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd

import dermsim
from dermsim import remodelling as rm
from dermsim import schema
from dermsim import signalling as sg
from dermsim.coupling import coupled_signalling_config, session_drive
from dermsim.devices import make_device
from dermsim.penetration import PenetrationConfig, injury_field, penetrate
from dermsim.tissue import LAYER_NAMES, make_grid, site_stack
from dermsim.viz import style
from dermsim.viz.section import plot_injury_section
from dermsim.viz.signalling import figure_snapshots

style.use()  # the fonts and colours of every dermsim figure
plt.rcParams["figure.dpi"] = 80
'''

# ------------------------------------------------------------------------------------------------
# 01 mechanism of action
# ------------------------------------------------------------------------------------------------

NB01 = [
    ("md", f"""\
# 01 — Mechanism of action: one session from needle to collagen

Microneedling (percutaneous collagen induction) makes thousands of tiny channels in the skin.
The injury releases growth factors, inflammatory cells arrive, fibroblasts are activated and
lay down new collagen — first type III, then type I — over the following months.

This notebook runs **each stage of dermsim by hand** for one session of a motorized pen with
1.5 mm needles on the cheek:

1. the layered skin,
2. needle penetration and the injury field,
3. growth-factor release and reaction–diffusion over the acute window,
4. collagen remodelling over six months,
5. and finally the same in one call, `dermsim.simulate`.

{DISCLAIMER}"""),
    ("code", IMPORTS),
    ("md", """\
## 1. The skin

Five layers with body-site thicknesses (cheek: Meng 2022, Chopra 2015, Iyengar 2018; see
`docs/model.md`). The simulation works on a 2-D slice: depth `z` downwards, lateral `x`
periodic."""),
    ("code", '''\
stack = site_stack("cheek")
tops = stack.interfaces_um
pd.DataFrame({"top [µm]": tops[:-1], "bottom [µm]": tops[1:],
              "thickness [µm]": stack.thickness_um}, index=list(LAYER_NAMES))'''),
    ("md", """\
## 2. Penetration

A pen drives its needles at about 0.5 m/s, so they bury most of their length (impact
insertion); a hand roller is slow and buries only a fraction (notebook 04). The slice holds
one row of the needle array; each channel is surrounded by a damaged rim."""),
    ("code", '''\
device = make_device({"preset": "pen_12", "needle_length_um": 1500.0})
pcfg = PenetrationConfig()
res = penetrate(device, stack, pcfg, np.random.default_rng(1), width_um=1500.0, h_um=20.0)
grid = make_grid(stack, h_um=20.0, width_um=res.slice_nx * 20.0, depth_um=2500.0)
injury = injury_field(grid, res, device, pcfg)
pd.Series(res.summary())'''),
    ("code", '''\
fig = plot_injury_section(grid, injury, res,
                          title="channels and their injured rims (dark), true aspect ratio")'''),
    ("md", """\
The slice runs through the centres of one row of needles, so it shows every channel at its
widest: the injured share of the slice is much larger than the share of the skin surface
punctured (`surface_fraction_punctured` in the table above, a 3-D quantity)."""),
    ("md", """\
## 3. Growth factors

Bleeding channels fill with blood whose platelets release TGF-β1 and PDGF within minutes,
and injured cells release more over the first hours. The factors diffuse (slowed by binding
to the matrix) and decay. The later wave — macrophages secreting TGF-β and PDGF at days 2–5
(Yang 1999: active TGF-β peaks at 1 h and again at day 5; Marikovsky 1993: heparin-binding
factors peak at day 2–3) — is produced by the remodelling model's macrophages (section 4)."""),
    ("md", """\
The stages are coupled by two functions of `dermsim.coupling` (the same steps
`dermsim.simulate` takes): `coupled_signalling_config` gives the growth-factor parameters
used together with the remodelling model, and `session_drive` turns one session's injury and
growth factors into the drive of the collagen model (section 4)."""),
    ("code", '''\
scfg = coupled_signalling_config()
inputs = sg.session_inputs(grid, injury, res)
gf = sg.run_acute_window(grid, injury, cfg=scfg, topical=False,
                         snapshot_times_h=(1.0, 6.0, 24.0, 72.0), **inputs)
fig = figure_snapshots(gf)'''),
    ("code", '''\
bands = range(0, gf.sizes["band"], 4)
colours = plt.cm.viridis_r(np.linspace(0.1, 0.9, len(bands)))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained", sharey=True)
for ax, s in zip(axes, ("tgfb1", "pdgf")):
    band = gf["gf_band"].sel(species=s)
    for b, colour in zip(bands, colours):
        ax.plot(gf["time"] * 24, band.isel(band=b), color=colour,
                label=f"{float(gf.band[b]):.0f} µm")
    ax.set(xscale="log", xlabel=schema.label("gf_time"), title=style.species_name(s))
axes[0].set_ylabel(schema.label(gf["gf_band"]))
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper",
           title="band depth");'''),
    ("md", """\
## 4. Collagen remodelling

Each 50 µm depth band of the dermis is a well-mixed compartment: damage → neutrophils and
macrophages → active TGF-β and PDGF → fibroblasts → collagen III first, then collagen I; the
matrix metalloproteinases remodel it. The drive of the model is the injury and growth-factor
exposure of each band (`session_drive` above)."""),
    ("code", '''\
drive = session_drive(grid, injury, inputs, gf, day=0.0)
rem = rm.simulate_remodelling(gf["band"].values, [drive], 180.0)
injured = rem.isel(band=np.flatnonzero(drive.band_injury > 0))
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for v, colour in (("neutrophils", "#e6a100"), ("macrophages", style.INFLAMMATION)):
    axes[0].plot(rem.time, injured[v].mean("band"), color=colour,
                 label=schema.get(v).short)
axes[0].set(xlim=(0, 30), xlabel=schema.label("time"), ylabel=schema.label("inflammation"),
            title="cells (mean of the injured bands)")
fib = axes[0].twinx()
fib.spines["right"].set_visible(True)
fib.plot(rem.time, injured["fibroblasts"].mean("band"), color=style.FIBROBLASTS,
         label=schema.get("fibroblasts").short)
fib.set_ylabel(schema.label(rem["fibroblasts"]), color=style.FIBROBLASTS)
axes[0].legend(axes[0].get_lines() + fib.get_lines(),
               [line.get_label() for line in axes[0].get_lines() + fib.get_lines()])
for v, colour in (("collagen_I_rel_change", style.COLLAGEN_I),
                  ("collagen_III_rel_change", style.COLLAGEN_III)):
    axes[1].plot(rem.time, 100 * injured[v].mean("band"), color=colour,
                 label=schema.get(v.replace("_rel", "")).short)
axes[1].axhline(0, color="k", lw=0.5)
axes[1].set(xlabel=schema.label("time"), title="collagen (mean of the injured bands)",
            ylabel=schema.pretty_label("change relative to baseline", "%"))
axes[1].legend();'''),
    ("code", '''\
print(f"downtime proxy (erythema): {rm.downtime_h(rem):.0f} h")
ch = rm.collagen_change(rem, [30.0, 90.0, 180.0])
fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
for t, colour in zip(ch["time"].values, ("#9ecae1", "#4292c6", "#08306b")):
    ax.plot(100 * ch["collagen_I_rel_change"].sel(time=t), ch["band"], "o-", ms=3,
            color=colour, label=f"day {t:.0f}")
ax.axvline(0, color="k", lw=0.5)
ax.set(xlabel=schema.label("collagen_I_change"), ylabel=schema.label("band"),
       title="collagen I change by depth at 1, 3 and 6 months")
ax.invert_yaxis()
ax.legend(loc="center left");'''),
    ("md", """\
## 5. All of it in one call

`dermsim.simulate` runs the same chain for a scenario (TOML file or dict) and returns one
labelled `xarray.Dataset`; `dermsim.viz.plot_result` draws the figure of `dermsim run` and
`dermsim.metrics.scalar_outcomes` the headline numbers (NaN for a stage the result does not
hold)."""),
    ("code", '''\
scenario = dermsim.load_scenario({
    "name": "one_session", "seed": 1,
    "device": {"preset": "pen_12", "needle_length_um": 1500.0},
    "protocol": {"sessions": 1, "follow_up_days": 90.0},
    "grid": {"h_um": 20.0, "width_um": 1500.0},
})
ds = dermsim.simulate(scenario)
from dermsim.metrics import scalar_outcomes
from dermsim.viz import plot_result

fig = plot_result(ds)
pd.Series(scalar_outcomes(ds))'''),
]

# ------------------------------------------------------------------------------------------------
# 02 protocol design
# ------------------------------------------------------------------------------------------------

NB02 = [
    ("md", f"""\
# 02 — Protocol design: how many sessions, how far apart?

Typical courses are 3–6 sessions 2–6 weeks apart, most often 4 weeks (Harris 2015: median
3 × 4 weeks with 1.5 mm). Here the same session (a 1.5 mm pen on the cheek) is repeated with
different counts and intervals and the collagen response is compared.

Every session with the same device injures the skin the same way, so the penetration and
growth-factor stages are computed once and their drive is reused at each session day; only
the remodelling model runs per protocol (the full pipeline, `dermsim.simulate`, recomputes
every session with its own random needle positions).

{DISCLAIMER}"""),
    ("code", IMPORTS),
    ("code", '''\
stack = site_stack("cheek")
device = make_device({"preset": "pen_12", "needle_length_um": 1500.0})
pcfg = PenetrationConfig()
res = penetrate(device, stack, pcfg, np.random.default_rng(2), width_um=1500.0, h_um=20.0)
grid = make_grid(stack, h_um=20.0, width_um=res.slice_nx * 20.0, depth_um=2500.0)
injury = injury_field(grid, res, device, pcfg)
inputs = sg.session_inputs(grid, injury, res)
gf = sg.run_acute_window(grid, injury, cfg=coupled_signalling_config(), topical=False,
                         snapshot_times_h=(), **inputs)
z_band = gf["band"].values


def protocol(n_sessions, interval_days, follow_up_days=200.0):
    days = [k * interval_days for k in range(n_sessions)]
    drives = [session_drive(grid, injury, inputs, gf, day=d) for d in days]
    return rm.simulate_remodelling(z_band, drives, days[-1] + follow_up_days), days'''),
    ("md", """\
## Number of sessions (4 weeks apart)

Outcome: collagen I and III change of the papillary and reticular dermis (thickness-weighted
layer means), 3 and 6 months after the last session."""),
    ("code", '''\
labels = rm.default_band_layers(z_band)
rows, runs = [], {}
for n in (1, 3, 4, 6):
    ds, days = protocol(n, 28.0)
    runs[n] = ds
    for months in (3, 6):
        t = days[-1] + 30.4 * months
        ch = rm.collagen_change(ds, [t], labels, ["papillary", "reticular"])
        rows.append({"sessions": n, "months after the last session": months,
                     schema.label("collagen_I_change_papillary_pct"):
                         100 * float(ch.collagen_I_rel_change_layer.sel(layer="papillary")[0]),
                     schema.label("collagen_I_change_reticular_pct"):
                         100 * float(ch.collagen_I_rel_change_layer.sel(layer="reticular")[0]),
                     "collagen III change, papillary dermis [%]":
                         100 * float(ch.collagen_III_rel_change_layer.sel(layer="papillary")[0])})
table = pd.DataFrame(rows)
table.round(1)'''),
    ("code", '''\
papillary = schema.label("collagen_I_change_papillary_pct")
colours = plt.cm.Blues(np.linspace(0.4, 1.0, len(runs)))
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
for (n, ds), colour in zip(runs.items(), colours):
    s = rm.layer_mean(ds, "collagen_I_rel_change", labels, ["papillary"]).isel(layer=0)
    ax.plot(s.time, 100 * s, color=colour, label=f"{n} session{'s' if n > 1 else ''}")
ax.axhline(0, color="k", lw=0.5)
ax.set(xlabel=schema.label("time"), ylabel=papillary,
       title="collagen I, papillary dermis: 1 to 6 sessions, 4 weeks apart")
ax.legend(loc="center right");'''),
    ("md", """\
### Diminishing returns?

Compare what each additional session adds, 6 months after the last session (the cell below
computes it from the table above, so it always describes the model as it is)."""),
    ("code", '''\
six = table[table["months after the last session"] == 6].set_index("sessions")[papillary]
counts = list(six.index)
steps = [(a, b, (six[b] - six[a]) / (b - a)) for a, b in zip(counts[:-1], counts[1:])]
for a, b, per in steps:
    print(f"{a} -> {b} sessions: {per:+.1f} percentage points of collagen I per added session")
print(f"{counts[-1]} sessions give {six[counts[-1]] / six[counts[0]]:.1f} x the gain of "
      f"{counts[0]} session ({six[counts[-1]]:.1f} % against {six[counts[0]]:.1f} %).")
shrinking = all(later[2] < earlier[2] for earlier, later in zip(steps[:-1], steps[1:]))
print("Diminishing returns: " + (
    "yes - every added session adds less than the one before." if shrinking else
    "no - the gain per added session does not shrink steadily in this range."))'''),
    ("md", """\
Two terms of the collagen model make later sessions add less (`dermsim.remodelling.rhs`):
collagen is degraded in proportion to the amount present (turnover, faster with MMP
activity), and synthesis slows as the total collagen approaches the maximum the dermis can
hold. Each session therefore adds less than the one before, and the course approaches a
plateau; the numbers above say how strongly for this protocol. Whether real skin behaves the
same way is a question for clinical data — the model is not a treatment recommendation."""),
    ("md", """\
## Interval between sessions (4 sessions)

Short intervals stack a new injury on an inflammation that has not resolved; long intervals
let each response run its course."""),
    ("code", '''\
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
rows = []
for interval, colour in zip((14.0, 28.0, 42.0), ("#9ecae1", "#4292c6", "#08306b")):
    ds, days = protocol(4, interval)
    s = rm.layer_mean(ds, "collagen_I_rel_change", labels, ["papillary"]).isel(layer=0)
    ax.plot(s.time, 100 * s, color=colour, label=f"every {interval:.0f} days")
    style.session_marks(ax, days, colour=colour, row=len(rows), label=None, lines=False)
    t_end = days[-1] + 91.0
    rows.append({"interval [days]": interval, "course length [days]": days[-1],
                 "collagen I papillary, 3 months after the last session [%]":
                     100 * float(s.interp(time=t_end)),
                 schema.label("peak_inflammation"): rm.peak_inflammation(ds)[0]})
ax.axhline(0, color="k", lw=0.5)
ax.set(xlabel=schema.label("time"), ylabel=papillary)
ax.legend(loc="lower right", title="4 sessions (▼ session days)")
pd.DataFrame(rows).round(1)'''),
    ("md", """\
## With the full pipeline

The same comparison with `dermsim.simulate` and `dermsim.with_overrides` (every session
recomputed; the outcome names are those of `dermsim.metrics.OUTCOME_NAMES`). For many
protocols use `dermsim sweep` (see `docs/tutorial.md`)."""),
    ("code", '''\
from dermsim.metrics import scalar_outcomes

base = dermsim.load_scenario({
    "name": "protocol", "seed": 2,
    "device": {"preset": "pen_12", "needle_length_um": 1500.0},
    "protocol": {"sessions": 3, "interval_days": 28.0, "follow_up_days": 60.0},
    "grid": {"h_um": 20.0, "width_um": 1000.0},
})
table = {}
for n in (1, 3):
    ds = dermsim.simulate(dermsim.with_overrides(base, {"protocol.sessions": n}))
    table[f"{n} session(s)"] = scalar_outcomes(ds)
from dermsim.viz import plot_result

fig = plot_result(ds)  # the three-session run
pd.DataFrame(table)'''),
]

# ------------------------------------------------------------------------------------------------
# 03 RF vs mechanical
# ------------------------------------------------------------------------------------------------

NB03 = [
    ("md", f"""\
# 03 — RF microneedling versus mechanical microneedling

An RF-microneedling tip inserts insulated pins and passes radio-frequency current between
their exposed tips: the tissue around them is heated, and where the Arrhenius damage integral
Ω reaches 1 it coagulates. Here a 7 × 7 insulated bipolar 1 MHz tip (preset
`rf_insulated_49`: 15 W for 100 ms) is compared with a 1.5 mm motorized pen: heating,
injury, growth factors and collagen after three monthly sessions.

{DISCLAIMER}"""),
    ("code", IMPORTS + '''\
from dermsim import thermal
from dermsim.viz.rf import figure_rf
'''),
    ("md", """\
## The RF pulse

The preset sets 15 W for 100 ms (about 31 mJ per pin). The pins of this slice reach
different depths (penetration scatter) and the current crowds at the shallower one. Tissue
water boils at 100 °C next to the electrodes; the dried tissue conducts poorly, the load
impedance rises, and the generator ends the pulse once it has risen by half
(`rf.limiter = "impedance"`), so at high power less energy may be delivered than set."""),
    ("code", '''\
stack = site_stack("cheek")
pcfg = PenetrationConfig()
tip = make_device({"preset": "rf_insulated_49"})
rf_cfg = thermal.RF_PRESETS["rf_insulated_49"][0]
res_rf = penetrate(tip, stack, pcfg, np.random.default_rng(3), width_um=2000.0, h_um=20.0)
grid_rf = make_grid(stack, h_um=20.0, width_um=res_rf.slice_nx * 20.0, depth_um=2500.0,
                    frequency_mhz=rf_cfg.frequency_MHz)
rf = thermal.simulate_rf_pulse(grid_rf, tip, rf_cfg, depth_um=res_rf.depths_um,
                               pin_x_um=res_rf.positions_um)
set_mj = rf_cfg.power_W * rf_cfg.conduction_time_ms / tip.pins
print(f"energy per pin {float(rf.energy_per_pin_mJ):.1f} mJ delivered ({set_mj:.1f} mJ set), "
      f"peak {rf.attrs['peak_temperature_max_C']:.0f} °C, coagulation zone "
      f"{float(rf.coag_width_um):.0f} µm wide × {float(rf.coag_depth_extent_um):.0f} µm deep")
fig = figure_rf(rf)
fig'''),
    ("md", """\
## Injury of one session

The mechanical channels of both devices, plus the RF coagulation zone. The pen makes many
narrow channels; the RF tip makes few channels with a coagulated column at their tips."""),
    ("code", '''\
pen = make_device({"preset": "pen_12", "needle_length_um": 1500.0})
res_pen = penetrate(pen, stack, pcfg, np.random.default_rng(3), width_um=2000.0, h_um=20.0)
grid_pen = make_grid(stack, h_um=20.0, width_um=res_pen.slice_nx * 20.0, depth_um=2500.0)
inj_pen = injury_field(grid_pen, res_pen, pen, pcfg)
inj_rf_mech = injury_field(grid_rf, res_rf, tip, pcfg)
inj_rf = np.maximum(inj_rf_mech, rf["coagulated"].values.astype(float))

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained", sharey=True)
plot_injury_section(grid_pen, inj_pen, res_pen, ax=axes[0], z_max_um=2300.0,
                    title="pen 1.5 mm", legend=False)
plot_injury_section(grid_rf, inj_rf_mech, res_rf, ax=axes[1], z_max_um=2300.0,
                    coagulated=rf["coagulated"].values, title="RF tip: channels + coagulation")
axes[1].set_ylabel("")
pd.DataFrame({"pen": res_pen.summary(), "RF tip": res_rf.summary()}).loc[
    ["effective_depth_um", "punctures_per_cm2", "bleeding_fraction",
     "dermal_injury_mm3_per_cm2"]]'''),
    ("md", """\
## Growth factors and collagen, three monthly sessions

The RF session's drive adds the coagulated and heat-shocked volume fractions per depth band
(`thermal.band_fractions`): coagulated tissue is debris to be cleared and replaced, heat
shock induces heat-shock proteins in surviving fibroblasts."""),
    ("code", '''\
scfg = coupled_signalling_config()
out = {}
for name, g, mech, total, res in (("pen", grid_pen, inj_pen, inj_pen, res_pen),
                                  ("RF", grid_rf, inj_rf_mech, inj_rf, res_rf)):
    # 3-D scale factors and bleeding come from the mechanical channels; the coagulated
    # columns release damage signals too (total injury) but enter remodelling separately
    inputs = sg.session_inputs(g, mech, res)
    gf = sg.run_acute_window(g, total, cfg=scfg, topical=False, snapshot_times_h=(), **inputs)
    coag = heat = None
    if name == "RF":
        edges = np.append(gf["band_top"].values, gf["band_bottom"].values[-1])
        fr = thermal.band_fractions(rf, edges)
        coag, heat = fr["coagulated_fraction"], fr["heat_shock_fraction"]
    drives = [session_drive(g, mech, inputs, gf, coag, heat, day=d) for d in (0.0, 28.0, 56.0)]
    out[name] = rm.simulate_remodelling(gf["band"].values, drives, 56.0 + 120.0)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained", sharey=True)
for (name, ds), colour in zip(out.items(), (style.COLLAGEN_I, "#b2182b")):
    labels = rm.default_band_layers(ds.band.values)
    for ax, layer in zip(axes, ("papillary", "reticular")):
        s = rm.layer_mean(ds, "collagen_I_rel_change", labels, [layer]).isel(layer=0)
        ax.plot(s.time, 100 * s, color=colour, label=name)
        ax.set_title(schema.get(f"collagen_I_change_{layer}_pct").long_name + " (▼ sessions)",
                     pad=14)
        ax.set_xlabel(schema.label("time"))
axes[0].set_ylabel(schema.pretty_label("change relative to baseline", "%"))
for ax in axes:
    ax.axhline(0, color="k", lw=0.5)
    style.session_marks(ax, (0.0, 28.0, 56.0), label=None, lines=False)
axes[0].legend(loc="lower right")'''),
    ("code", '''\
rows = {}
for name, ds in out.items():
    labels = rm.default_band_layers(ds.band.values)
    ch = rm.collagen_change(ds, [176.0], labels, ["papillary", "reticular"])
    rows[name] = {
        schema.label("collagen_I_change_papillary_pct"):
            100 * float(ch.collagen_I_rel_change_layer[0, 0]),
        schema.label("collagen_I_change_reticular_pct"):
            100 * float(ch.collagen_I_rel_change_layer[0, 1]),
        schema.label("downtime_h"): rm.downtime_h(ds),
        schema.label("peak_inflammation"): rm.peak_inflammation(ds)[0],
    }
pd.DataFrame(rows).round(1)'''),
    ("md", """\
**Limits.** The RF model is quasi-static and σ-only; tissue water vaporises at 100 °C
without vapour transport or charring, and the narrower 2 MHz zones reported by Wootten 2020
appear only where the exposed tip spans the dermis/fat boundary and the impedance cut-off acts
(validation case V12 in `docs/validation.md`; docs/model.md §8)."""),
]

# ------------------------------------------------------------------------------------------------
# 04 device design
# ------------------------------------------------------------------------------------------------

NB04 = [
    ("md", f"""\
# 04 — Device design: needle length, density, speed and body site

How deep does a needle really go, how much of the skin surface is punctured, and which layers
are reached? This notebook uses only the penetration stage (`dermsim.penetration`), which is
calibrated to measured depths (validation case V7).

{DISCLAIMER}"""),
    ("code", IMPORTS + '''\
from dermsim.penetration import buried_fraction, effective_depth_um
'''),
    ("md", """\
## Insertion speed decides the buried fraction

Skin tents before it is pierced; slow insertion (hand rolling) buries about a quarter of a
needle (Kalluri 2011: 770 µm → 150 µm), impact insertion most of it (Donnelly 2010: 600 µm →
460 µm)."""),
    ("code", '''\
pcfg = PenetrationConfig()
v = np.logspace(-3, 1, 200)
devices = {name: make_device({"preset": name}) for name in
           ("dermaroller_mf8", "stamp_35", "pen_12", "rf_insulated_49")}
# devices that insert at the same speed share one marker (and one legend entry)
by_speed = {}
for name, d in devices.items():
    by_speed.setdefault(round(d.insertion_velocity_m_s(), 6), []).append(name)
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
ax.semilogx(v, buried_fraction(v, pcfg), "k-", lw=1)
for (vd, names), marker in zip(sorted(by_speed.items()), "osD^"):
    ax.plot(vd, buried_fraction(vd, pcfg), marker, ms=7, mfc="none", mew=1.5,
            label=f"{', '.join(names)} ({vd:.2g} m/s)")
ax.set(xlabel="insertion speed [m/s]", ylim=(0, 1),
       ylabel="buried fraction η of the needle\\n(before the tenting offset)")
fig.legend(loc="outside right upper", title="device (insertion speed)");'''),
    ("md", "## Needle length → effective depth and layers reached"),
    ("code", '''\
lengths = np.arange(250.0, 2550.0, 50.0)
stack = site_stack("cheek")
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
tops = stack.interfaces_um
for k, name in enumerate(LAYER_NAMES):  # the cheek's layers as bands behind the curves
    ax.axhspan(tops[k], min(tops[k + 1], 2600.0), color=style.LAYER_COLOURS[k], alpha=0.5, lw=0)
by_eta = {}  # devices with the same buried fraction share one curve (and one legend entry)
for name, d in devices.items():
    by_eta.setdefault(round(float(buried_fraction(d.insertion_velocity_m_s(), pcfg)), 3),
                      []).append(name)
for eta, names in sorted(by_eta.items()):
    vd = devices[names[0]].insertion_velocity_m_s()
    ax.plot(lengths, effective_depth_um(lengths, vd, pcfg), lw=1.5,
            label=f"{', '.join(names)} (η = {eta:.2f})")
ax.plot(lengths, lengths, "k--", lw=0.8, label="nominal (fully buried)")
ax.set(xlabel=schema.label("nominal_length"), ylabel=schema.label("effective_depth"),
       ylim=(2600, 0), xlim=(lengths[0], lengths[-1]))
fig.legend(loc="outside right upper", title="device (buried fraction)")
fig.legend(handles=style.layer_handles(LAYER_NAMES), loc="outside right lower",
           title="layers (cheek)");'''),
    ("md", """\
## Body site

The same pen reaches different layers on thin and thick skin. The table gives the deepest
layer reached and the fraction of needles that draw blood (pinpoint bleeding: the needles
reached the papillary capillaries)."""),
    ("code", '''\
from dermsim.tissue import SITE_THICKNESS_UM

rows = []
for site in SITE_THICKNESS_UM:
    st = site_stack(site)
    for L in (500.0, 1000.0, 1500.0):
        if L >= st.total_um:
            continue
        d = make_device({"preset": "pen_12", "needle_length_um": L})
        r = penetrate(d, st, pcfg, np.random.default_rng(0))
        rows.append({"site": site, "length [µm]": L, "depth [µm]": r.mean_effective_depth_um,
                     "deepest layer": r.deepest_layer, "bleeding": r.bleeding_fraction})
pd.DataFrame(rows).pivot(index="site", columns="length [µm]", values="deepest layer")'''),
    ("md", """\
## Density: passes and needles

Punctures per cm² grow with passes (and needles per cartridge, stroke frequency, hand speed);
the punctured surface and the injured volume grow with them."""),
    ("code", '''\
rows = []
for name in ("pen_12", "dermaroller_mf8"):
    for passes in (1, 2, 3, 4, 6, 8):
        d = make_device({"preset": name, "needle_length_um": 1000.0, "passes": passes})
        r = penetrate(d, stack, pcfg, np.random.default_rng(0))
        rows.append({"device": name, "passes": passes, "punctures/cm²": r.density_per_cm2,
                     "surface punctured [%]": 100 * r.surface_fraction_punctured,
                     "dermal injury [mm³/cm²]": r.dermal_injury_mm3_per_cm2})
df = pd.DataFrame(rows)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
for name, g in df.groupby("device"):
    axes[0].plot(g["punctures/cm²"], g["surface punctured [%]"], "o-", label=name)
    axes[1].plot(g["punctures/cm²"], g["dermal injury [mm³/cm²]"], "o-", label=name)
# logarithmic axes: the roller and the pen differ by two orders of magnitude in density
axes[0].set(xlabel=schema.label("punctures_per_cm2"), ylabel="surface punctured [%]",
            xscale="log", yscale="log")
axes[1].set(xlabel=schema.label("punctures_per_cm2"), xscale="log", yscale="log",
            ylabel=schema.label("dermal_injury", variable=True))
axes[0].legend()
df.round(2)'''),
    ("md", "## Cross-sections for three needle lengths"),
    ("code", '''\
fig, axes = plt.subplots(1, 3, figsize=(10, 5), layout="constrained", sharey=True)
for ax, L in zip(axes, (500.0, 1000.0, 2000.0)):
    d = make_device({"preset": "pen_12", "needle_length_um": L})
    r = penetrate(d, stack, pcfg, np.random.default_rng(4), width_um=1200.0, h_um=20.0)
    g = make_grid(stack, h_um=20.0, width_um=r.slice_nx * 20.0, depth_um=2500.0)
    inj = injury_field(g, r, d, pcfg)
    title = (f"{L:.0f} µm needles: mean {r.mean_effective_depth_um:.0f} µm deep,\\n"
             f"deepest tip in the {r.deepest_layer.replace('_', ' ')}")
    plot_injury_section(g, inj, r, ax=ax, z_max_um=2300.0, legend=ax is axes[-1], title=title)
for ax in axes[1:]:
    ax.set_ylabel("")'''),
]

NOTEBOOKS = {
    "01_mechanism_of_action.ipynb": NB01,
    "02_protocol_design.ipynb": NB02,
    "03_rf_vs_mechanical.ipynb": NB03,
    "04_device_design.ipynb": NB04,
}


def build(name: str, cells: list[tuple[str, str]]) -> dict:
    """The notebook ``name`` as a plain nbformat-4 dict (deterministic, no outputs)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    stem = name.split("_", 1)[0]
    for i, (kind, src) in enumerate(cells):
        cell = (nbformat.v4.new_markdown_cell(src) if kind == "md"
                else nbformat.v4.new_code_cell(src))
        cell["id"] = f"nb{stem}-{i:02d}"
        nb.cells.append(cell)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return json.loads(nbformat.writes(nb))


def text(nb: dict) -> str:
    """Serialised form written to disk."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    for name, cells in NOTEBOOKS.items():
        (HERE / name).write_text(text(build(name, cells)), encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
