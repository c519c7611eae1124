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

# A helper shared by the notebooks that run the stages one by one: it turns the penetration
# and signalling outputs of one session into the drive of the remodelling model.
DRIVE_HELPER = '''\
from dataclasses import replace

from dermsim import pipeline


def coupled_signalling_config(**changes):
    """Growth-factor parameters as the coupled pipeline uses them (the remodelling model's
    macrophages secrete the late TGF-beta and PDGF, so the PDE carries only the platelet
    burst and the early damage release); no topical product in these notebooks."""
    return replace(pipeline.coupled_signalling_config(), topical_concentration_ng_ml=0.0,
                   **changes)


def session_drive(day, grid, injury, inputs, gf, coagulated=None, heat_shock=None):
    """Remodelling drive of one session (dermsim.pipeline.session_drive)."""
    return pipeline.session_drive(grid, injury, inputs, gf, coagulated, heat_shock, day=day)
'''

IMPORTS = '''\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd

import dermsim
from dermsim import remodelling as rm
from dermsim import signalling as sg
from dermsim.devices import make_device
from dermsim.penetration import PenetrationConfig, injury_field, penetrate
from dermsim.tissue import LAYER_NAMES, make_grid, site_stack
from dermsim.viz import LAYER_COLOURS
from dermsim.viz.signalling import figure_snapshots

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
from matplotlib.colors import ListedColormap

ext = (0, grid.width * 1e6, grid.depth * 1e6, 0)
fig, ax = plt.subplots(figsize=(8, 4))
ax.imshow(grid.layer, cmap=ListedColormap(LAYER_COLOURS), vmin=-0.5, vmax=4.5, extent=ext,
          aspect="auto")
ax.imshow(np.ma.masked_less(injury, 0.02), cmap="Greys", vmin=0, vmax=1, extent=ext,
          aspect="auto")
ax.plot(res.positions_um, res.depths_um, "rv", label="needle tips")
ax.axhline(res.nominal_length_um, color="tab:blue", ls="--", label="nominal length")
ax.set(xlabel="x [µm]", ylabel="depth [µm]", ylim=(2000, 0),
       title="channels (grey) through the layers")
ax.legend(loc="lower right");'''),
    ("md", """\
## 3. Growth factors

Bleeding channels fill with blood whose platelets release TGF-β1 and PDGF within minutes,
and injured cells release more over the first hours. The factors diffuse (slowed by binding
to the matrix) and decay. The later wave — macrophages secreting TGF-β and PDGF at days 2–5
(Yang 1999: active TGF-β peaks at 1 h and again at day 5; Marikovsky 1993: heparin-binding
factors peak at day 2–3) — is produced by the remodelling model's macrophages (section 4)."""),
    ("md", """\
The stages are coupled by two small helpers (the same steps as `dermsim.pipeline`): the
growth-factor parameters used with the remodelling model, and the conversion of one session's
injury and growth factors into the drive of the collagen model (section 4)."""),
    ("code", DRIVE_HELPER),
    ("code", '''\
scfg = coupled_signalling_config()
inputs = sg.session_inputs(grid, injury, res)
gf = sg.run_acute_window(grid, injury, cfg=scfg, topical=False,
                         snapshot_times_h=(1.0, 6.0, 24.0, 72.0), **inputs)
fig = figure_snapshots(gf)'''),
    ("code", '''\
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
for ax, s in zip(axes, ("tgfb1", "pdgf")):
    band = gf["gf_band"].sel(species=s)
    for b in range(0, gf.sizes["band"], 4):
        ax.plot(gf["time"] * 24, band.isel(band=b), label=f"{float(gf.band[b]):.0f} µm")
    ax.set(xscale="log", xlabel="hours after the session", ylabel="band mean [ng/mL]",
           title=sg.SPECIES_LABELS[s])
    ax.legend(fontsize=7)'''),
    ("md", """\
## 4. Collagen remodelling

Each 50 µm depth band of the dermis is a well-mixed compartment: damage → neutrophils and
macrophages → active TGF-β and PDGF → fibroblasts → collagen III first, then collagen I; the
matrix metalloproteinases remodel it. The drive of the model is the injury and growth-factor
exposure of each band (`session_drive` above)."""),
    ("code", '''\
drive = session_drive(0.0, grid, injury, inputs, gf)
rem = rm.simulate_remodelling(gf["band"].values, [drive], 180.0)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
injured = rem.isel(band=np.flatnonzero(drive.band_injury > 0))
for v in ("neutrophils", "macrophages", "fibroblasts"):
    s = injured[v].mean("band")
    axes[0].plot(s.time, (s - s[0]) / (s.max() - s[0]), label=v)
axes[0].set(xlim=(0, 30), xlabel="day", ylabel="relative to peak", title="cells")
axes[0].legend()
for v, c in (("collagen_I_rel_change", "tab:blue"), ("collagen_III_rel_change", "tab:orange")):
    axes[1].plot(rem.time, 100 * injured[v].mean("band"), color=c, label=v.split("_rel")[0])
axes[1].axhline(0, color="k", lw=0.5)
axes[1].set(xlabel="day", ylabel="change vs baseline [%]", title="collagen (injured bands)")
axes[1].legend();'''),
    ("code", '''\
print(f"downtime proxy (erythema): {rm.downtime_h(rem):.0f} h")
ch = rm.collagen_change(rem, [30.0, 90.0, 180.0])
(100 * ch["collagen_I_rel_change"]).plot(x="time", y="band", yincrease=False,
                                          cbar_kwargs={"label": "collagen I change [%]"})
plt.title("collagen I change by depth at 1, 3 and 6 months");'''),
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
    ("code", DRIVE_HELPER),
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
one = session_drive(0.0, grid, injury, inputs, gf)


def protocol(n_sessions, interval_days, follow_up_days=200.0):
    days = [k * interval_days for k in range(n_sessions)]
    drives = [session_drive(d, grid, injury, inputs, gf) for d in days]
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
        rows.append({"sessions": n, "after last [months]": months,
                     "collagen I papillary [%]":
                         100 * float(ch.collagen_I_rel_change_layer.sel(layer="papillary")[0]),
                     "collagen I reticular [%]":
                         100 * float(ch.collagen_I_rel_change_layer.sel(layer="reticular")[0]),
                     "collagen III papillary [%]":
                         100 * float(ch.collagen_III_rel_change_layer.sel(layer="papillary")[0])})
pd.DataFrame(rows).round(1)'''),
    ("code", '''\
fig, ax = plt.subplots(figsize=(9, 4))
for n, ds in runs.items():
    s = rm.layer_mean(ds, "collagen_I_rel_change", labels, ["papillary"]).isel(layer=0)
    ax.plot(s.time, 100 * s, label=f"{n} session(s)")
ax.axhline(0, color="k", lw=0.5)
ax.set(xlabel="day", ylabel="collagen I change, papillary [%]",
       title="more sessions, more collagen — with diminishing returns?")
ax.legend();'''),
    ("md", """\
## Interval between sessions (4 sessions)

Short intervals stack a new injury on an inflammation that has not resolved; long intervals
let each response run its course."""),
    ("code", '''\
fig, ax = plt.subplots(figsize=(9, 4))
rows = []
for interval in (14.0, 28.0, 42.0):
    ds, days = protocol(4, interval)
    s = rm.layer_mean(ds, "collagen_I_rel_change", labels, ["papillary"]).isel(layer=0)
    ax.plot(s.time, 100 * s, label=f"every {interval:.0f} days")
    t_end = days[-1] + 91.0
    rows.append({"interval [days]": interval, "course length [days]": days[-1],
                 "collagen I papillary 3 months after [%]": 100 * float(s.interp(time=t_end)),
                 "peak inflammation [cells/mm³]": rm.peak_inflammation(ds)[0]})
ax.axhline(0, color="k", lw=0.5)
ax.set(xlabel="day", ylabel="collagen I change, papillary [%]")
ax.legend()
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
    ("code", DRIVE_HELPER),
    ("md", """\
## The RF pulse

The preset sets 15 W for 100 ms (about 31 mJ per pin). The pins of this slice reach
different depths (penetration scatter) and the current crowds at the shallower one; the
generator's power limiter (`rf.limiter`) lowers the power whenever the hottest tissue would
pass 100 °C (tissue desiccation and the impedance rise that makes real generators cut
back), so less energy is delivered than set."""),
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

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for ax, g, inj, title in ((axes[0], grid_pen, inj_pen, "pen 1.5 mm"),
                          (axes[1], grid_rf, inj_rf, "RF tip (channels + coagulation)")):
    ax.imshow(inj, cmap="magma_r", vmin=0, vmax=1, aspect="auto",
              extent=(0, g.width * 1e6, g.depth * 1e6, 0))
    for top in g.interfaces_m[1:-1] * 1e6:
        ax.axhline(top, color="tab:blue", lw=0.6)
    ax.set(title=title, xlabel="x [µm]", ylabel="depth [µm]", ylim=(2000, 0))
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
    drives = [session_drive(d, g, mech, inputs, gf, coag, heat) for d in (0.0, 28.0, 56.0)]
    out[name] = rm.simulate_remodelling(gf["band"].values, drives, 56.0 + 120.0)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for name, ds in out.items():
    labels = rm.default_band_layers(ds.band.values)
    for ax, layer in zip(axes, ("papillary", "reticular")):
        s = rm.layer_mean(ds, "collagen_I_rel_change", labels, [layer]).isel(layer=0)
        ax.plot(s.time, 100 * s, label=name)
        ax.set(title=f"collagen I, {layer} dermis", xlabel="day", ylabel="change [%]")
for ax in axes:
    ax.axhline(0, color="k", lw=0.5)
    ax.legend()'''),
    ("code", '''\
rows = {}
for name, ds in out.items():
    labels = rm.default_band_layers(ds.band.values)
    ch = rm.collagen_change(ds, [176.0], labels, ["papillary", "reticular"])
    rows[name] = {
        "collagen I papillary [%]": 100 * float(ch.collagen_I_rel_change_layer[0, 0]),
        "collagen I reticular [%]": 100 * float(ch.collagen_I_rel_change_layer[0, 1]),
        "downtime proxy [h]": rm.downtime_h(ds),
        "peak inflammation [cells/mm³]": rm.peak_inflammation(ds)[0],
    }
pd.DataFrame(rows).round(1)'''),
    ("md", """\
**Limits.** The RF model is quasi-static and σ-only. Above 100 °C the generator's power
limiter takes over instead of a model of desiccation, and the narrower 2 MHz zones reported by
Wootten 2020 appear only where the exposed tip spans the dermis/fat boundary (validation case
V12 in `docs/validation.md`; docs/model.md §8)."""),
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
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.semilogx(v, buried_fraction(v, pcfg), "k-")
for name, d in devices.items():
    vd = d.insertion_velocity_m_s()
    ax.plot(vd, buried_fraction(vd, pcfg), "o", label=f"{name} ({vd:.2g} m/s)")
ax.set(xlabel="insertion speed [m/s]", ylabel="buried fraction η", ylim=(0, 1))
ax.legend(fontsize=8);'''),
    ("md", "## Needle length → effective depth and layers reached"),
    ("code", '''\
lengths = np.arange(250.0, 2550.0, 50.0)
stack = site_stack("cheek")
fig, ax = plt.subplots(figsize=(8, 4))
for name, d in devices.items():
    ax.plot(lengths, effective_depth_um(lengths, d.insertion_velocity_m_s(), pcfg), label=name)
for top, lname in zip(stack.interfaces_um[1:5], LAYER_NAMES[1:5]):
    ax.axhline(top, color="0.6", lw=0.7, ls=":")
    ax.text(260, top + 20, f"top of {lname.replace('_', ' ')}", fontsize=7, va="top")
ax.plot(lengths, lengths, "k--", lw=0.8, label="nominal")
ax.set(xlabel="nominal needle length [µm]", ylabel="effective depth [µm] (cheek)")
ax.invert_yaxis()
ax.legend(fontsize=8);'''),
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
axes[0].set(xlabel="punctures per cm²", ylabel="surface punctured [%]")
axes[1].set(xlabel="punctures per cm²", ylabel="dermal injury [mm³/cm²]")
axes[0].legend()
df.round(2)'''),
    ("md", "## Cross-sections for three needle lengths"),
    ("code", '''\
from matplotlib.colors import ListedColormap

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), layout="constrained", sharey=True)
for ax, L in zip(axes, (500.0, 1000.0, 2000.0)):
    d = make_device({"preset": "pen_12", "needle_length_um": L})
    r = penetrate(d, stack, pcfg, np.random.default_rng(4), width_um=1200.0, h_um=20.0)
    g = make_grid(stack, h_um=20.0, width_um=r.slice_nx * 20.0, depth_um=2500.0)
    inj = injury_field(g, r, d, pcfg)
    ext = (0, g.width * 1e6, g.depth * 1e6, 0)
    ax.imshow(g.layer, cmap=ListedColormap(LAYER_COLOURS), vmin=-0.5, vmax=4.5, extent=ext,
              aspect="auto")
    ax.imshow(np.ma.masked_less(inj, 0.02), cmap="Greys", vmin=0, vmax=1, extent=ext,
              aspect="auto")
    ax.set(title=f"{L:.0f} µm: {r.mean_effective_depth_um:.0f} µm deep, "
                 f"{r.deepest_layer.replace('_', ' ')}", xlabel="x [µm]", ylim=(2300, 0))
    ax.title.set_fontsize(9)
axes[0].set_ylabel("depth [µm]");'''),
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
