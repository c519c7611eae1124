"""One self-contained HTML report of a dermsim result.

``dermsim report RESULT.nc [-o out.html]`` writes a single HTML file with no external
resources (no network, no external CSS or JavaScript; figures are embedded as base64 PNG):

* the scenario (site, device, protocol and the complete configuration TOML),
* the scalar outcomes (:func:`dermsim.metrics.scalar_outcomes`) and a per-session table,
* figures: the ``dermsim run`` figure (:func:`dermsim.viz.plot_result`) and one figure per
  stage present in the result (sessions' injury, growth factors, collagen, RF heating),
* a summary of the model's assumptions (from ``docs/model.md`` when it can be found),
* the validation status (read from ``docs/validation.md`` or computed by running the fast
  validation cases),
* the disclaimer: dermsim is a research and teaching tool, not medical advice.

Sections and figures appear only when the result holds the variables they need, so a result
of a partial pipeline (e.g. penetration only) still gives a complete page. The file is written
atomically.

A comparison table (``dermsim compare``) gets the page of :mod:`dermsim.viz.report_compare`,
a sweep result (``dermsim sweep``) that of :mod:`dermsim.viz.report_sweep`; any other file is
refused in one line. Every page is assembled by :mod:`dermsim.viz.page`.

Only the standard library is imported at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dermsim import schema
from dermsim.viz.page import esc as _esc
from dermsim.viz.page import figure_html, page_html, png_base64
from dermsim.viz.page import fmt as _fmt

__all__ = ["MODEL_SUMMARY", "add_cli", "build_html", "stage_figures", "write_report"]

_ASSUMPTIONS = (
    "The skin is a 2-D slice (depth × lateral, periodic laterally) through one row of a "
    "needle array; per-area quantities map the slice to 3-D with the array's spacing.",
    "Five homogeneous layers (stratum corneum, viable epidermis, papillary and reticular "
    "dermis, hypodermis) with body-site thicknesses and layer-wise physical properties.",
    "Penetration is phenomenological: the buried fraction of the needle rises from the "
    "quasi-static to the impact value with insertion speed, calibrated to measured depths "
    "(validation case V7), not derived from fracture mechanics.",
    "Growth factors (when simulated) obey linear reaction–diffusion with first-order decay; "
    "effective tissue diffusivities and half-lives are the least certain inputs.",
    "Collagen remodelling is an ODE per depth band (well mixed, no exchange between bands); "
    "its parameters are priors calibrated to timing and magnitude targets (V8–V10), "
    "not fits to patient data.",
    "RF heating (RF tips) uses a quasi-static σ-only potential, Pennes bioheat and Arrhenius "
    "damage (Henriques–Moritz constants); desiccation above 100 °C is not modelled.",
    "Outcomes are relative changes versus the untreated baseline of one average skin; there "
    "is no patient variability, no healing disorder and no adverse-event model.",
)


#: The model, stage by stage, in a few sentences each (the report's "Model" section; the
#: equations, parameters and their sources are in docs/model.md of the dermsim repository).
MODEL_SUMMARY: tuple[tuple[str, str], ...] = (
    ("Skin", "Five layers (stratum corneum, viable epidermis, papillary and reticular dermis, "
     "hypodermis) with body-site thicknesses, on a 2-D grid of depth × lateral position "
     "through one row of the needle array."),
    ("Devices and protocol", "Dermaroller, motorised pen, stamp and RF-microneedling tips "
     "with their needle length, array geometry and speed; a protocol is a number of sessions "
     "a fixed interval apart, optionally with per-session settings, maintenance sessions and "
     "a follow-up period."),
    ("Penetration", "Needles go less deep than their nominal length because the skin "
     "deforms before it is pierced; the buried fraction rises with insertion speed and is "
     "calibrated to measured depths. Each channel leaves an injured rim; needles that reach "
     "the papillary capillaries cause pinpoint bleeding."),
    ("Growth factors", "Platelets in the bleeding channels and the injured tissue release "
     "TGF-β1 and PDGF, which diffuse through the layers and decay (reaction–diffusion, "
     "implicit time stepping) over the first days after each session."),
    ("RF heating", "For RF tips: the electric potential of the pins, Joule heating, Pennes "
     "bioheat transfer with perfusion, and Arrhenius thermal damage; tissue with a damage "
     "integral Ω ≥ 1 is coagulated; tissue water vaporises at 100 °C and the generator "
     "stops at the impedance rise that follows."),
    ("Collagen remodelling", "Per depth band: debris and inflammation (neutrophils, "
     "macrophages), fibroblast recruitment and activation, and the deposition of collagen III "
     "and then collagen I with matrix turnover, integrated over months and restarted at each "
     "session."),
    ("Outcomes", "Effective depth, bleeding and injury of the first session; collagen changes "
     "relative to untreated skin of the same site; inflammation, a downtime proxy "
     "(erythema), time to the collagen plateau and, for RF, peak temperature and coagulated "
     "volume."),
)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _import_stage_modules() -> None:
    """Import the stage modules so that their figure panels and outcome functions register."""
    import importlib

    for m in ("dermsim.signalling", "dermsim.remodelling", "dermsim.thermal", "dermsim.sweep"):
        try:
            importlib.import_module(m)
        except ImportError:
            continue


def _sessions_days(ds: Any) -> list[float]:
    if "session_day" in ds:
        return [float(v) for v in ds["session_day"].values]
    return []


def stage_figures(ds: Any) -> list[tuple[str, str, str, str | None, str]]:
    """Draw every figure whose variables are present
    (:data:`dermsim.viz.report_figures.FIGURES`).

    Returns
    -------
    list of (key, title, caption, base64 PNG or None, error text)
    """
    from dermsim.viz import report_figures

    _import_stage_modules()
    return report_figures.stage_figures(ds, png_base64)


# ------------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------------


def _find_doc(name: str, hint: Path | None = None) -> Path | None:
    candidates = []
    if hint is not None:
        candidates += [hint.parent / "docs" / name, hint.parent.parent / "docs" / name]
    candidates += [Path.cwd() / "docs" / name, Path(__file__).resolve().parents[2] / "docs" / name]
    for c in candidates:
        if c.is_file():
            return c
    return None


def validation_status(mode: str, hint: Path | None = None) -> tuple[str, list[tuple[str, str,
                                                                                   str]]]:
    """Validation status for the report.

    Parameters
    ----------
    mode
        ``"auto"`` (the cached page if found, else run the fast cases), ``"cached"``,
        ``"run"`` (run every case) or ``"skip"``.

    Returns
    -------
    (source text, rows of (case, title, status))
    """
    from dermsim import validation as val

    if mode == "skip":
        return "not included (--validation skip)", []
    if mode in ("auto", "cached"):
        page = _find_doc("validation.md", hint)
        status = val.status_from_markdown(page) if page else None
        if status and page is not None:
            rows = [(k, val.CASES[k].title if k in val.CASES else "", v)
                    for k, v in status.items()]
            return (f"recorded in {page.name} (regenerate with <code>dermsim validate "
                    f"--write</code>)", rows)
        if mode == "cached":
            return "no docs/validation.md found", []
    results = val.run_cases(fast_only=(mode == "auto"))
    rows = [(r.name, r.title, r.status) for r in results]
    which = "fast cases" if mode == "auto" else "all cases"
    return f"run now ({which}; <code>dermsim validate</code> runs them all)", rows


def _scenario_rows(ds: Any) -> list[tuple[str, str]]:
    a = ds.attrs
    rows = [("scenario", a.get("scenario", "")), ("body site", a.get("site", "")),
            ("device", f"{a.get('device_preset', '')} ({a.get('device_kind', '')})")]
    if "session" in ds.dims:
        days = _sessions_days(ds)
        rows.append(("sessions", f"{ds.sizes['session']}"
                     + (f" on days {', '.join(f'{d:g}' for d in days)}" if days else "")))
    if "nominal_length" in ds:
        rows.append(("nominal needle length", f"{float(ds['nominal_length'].values[0]):g} µm"))
    follow = _follow_up(ds)
    if follow:
        rows.append(("follow-up", follow))
    for key, label in (("grid_h_um", "grid cell size [µm]"), ("grid_shape_zx", "grid (z × x)"),
                       ("seed", "seed"), ("dermsim_version", "dermsim version"),
                       ("created", "result created")):
        if key in a:
            rows.append((label, str(a[key])))
    return rows


def _follow_up(ds: Any) -> str:
    if "time" not in ds or "session_day" not in ds:
        return ""
    end = float(ds["time"].values[-1])
    last = float(ds["session_day"].values[-1])
    return f"to day {end:g} ({end - last:g} days after the last session)"


def _session_table(ds: Any) -> str:
    names = ("nominal_length", "effective_depth", "bleeding_fraction", "punctures_per_cm2",
             "epidermal_injury", "dermal_injury")
    cols = [(v, schema.label(ds[v], short=True)) for v in names if v in ds]
    cols = [(v, lab) for v, lab in cols if v in ds and ds[v].dims == ("session",)]
    if "session" not in ds.dims or not cols:
        return ""
    days = _sessions_days(ds)
    head = "<tr><th>session</th>" + ("<th>day</th>" if days else "") + "".join(
        f"<th>{_esc(lab)}</th>" for _, lab in cols) + "</tr>"
    body = []
    for i, s in enumerate(ds["session"].values):
        cells = [f"<td>{int(s)}</td>"]
        if days:
            cells.append(f"<td class='num'>{days[i]:g}</td>")
        cells += [f"<td class='num'>{_fmt(ds[v].values[i])}</td>" for v, _ in cols]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return "<h3>Per session</h3><table>" + head + "".join(body) + "</table>"


def _outcome_table(outcomes: dict[str, float]) -> str:
    rows = []
    for name, value in outcomes.items():
        q = schema.get(name)
        absent = value != value
        cls = " class='absent'" if absent else ""
        shown = "not simulated" if absent else _fmt(value)
        unit = schema.pretty_units(q.units)
        better = {"higher": "higher", "lower": "lower"}.get(q.better or "", "—")
        rows.append(f"<tr{cls}><td>{_esc(q.long_name)}<br><small>{_esc(q.description)}"
                    f"</small></td><td><code>{_esc(name)}</code></td>"
                    f"<td class='num'>{_esc(shown)}</td><td>{_esc(unit)}</td>"
                    f"<td>{_esc(better)}</td></tr>")
    return ("<table><tr><th>outcome</th><th>name</th><th>value</th><th>units</th>"
            "<th>better</th></tr>" + "".join(rows) + "</table>")


def build_html(ds: Any, validation: str = "auto", source: Path | None = None) -> str:
    """The report page as one HTML string (see the module docstring).

    Parameters
    ----------
    ds
        A dermsim result (:func:`dermsim.io.open_result`).
    validation
        ``"auto"``, ``"cached"``, ``"run"`` or ``"skip"`` (see :func:`validation_status`).
    source
        Path of the result file (shown, and used to look for ``docs/`` next to it).
    """
    from dermsim import __version__

    _import_stage_modules()
    a = ds.attrs
    meta = [a.get("site", ""), a.get("device_preset", ""),
            f"dermsim {a.get('dermsim_version', __version__)}"]
    # [patient] warnings (contraindications, risks), one per line of the attribute
    meta += [f"warning: {w}" for w in str(a.get("patient_warnings", "")).splitlines()]
    figures = "".join(figure_html(key, title, caption, b64, err)
                      for key, title, caption, b64, err in stage_figures(ds))
    sections = [("scenario", "Scenario", _scenario_section(ds, source)),
                ("outcomes", "Outcomes", _outcomes_section(ds)),
                ("figures", "Figures", figures),
                ("model", "Model assumptions", _model_section()),
                ("validation", "Validation status", _validation_section(validation, source))]
    return page_html(str(a.get("scenario", "result")), meta, sections)


def _scenario_section(ds: Any, source: Path | None) -> str:
    parts = ["<table>"]
    parts += [f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in _scenario_rows(ds)]
    parts.append("</table>")
    if source is not None:
        parts.append(f"<p>Result file: <code>{_esc(source)}</code></p>")
    if ds.attrs.get("config_toml"):
        parts.append("<details><summary>Configuration (resolved TOML, as stored in the result)"
                     f"</summary><pre>{_esc(ds.attrs['config_toml'])}</pre></details>")
    return "".join(parts)


def _outcomes_section(ds: Any) -> str:
    from dermsim.metrics import scalar_outcomes

    try:
        body = ("<p>Scalar outcomes (<code>dermsim.metrics.scalar_outcomes</code>); penetration "
                "outcomes are for the first session, changes are relative to the untreated "
                "baseline. “not simulated” marks outcomes of stages absent from this result."
                "</p>" + _outcome_table(scalar_outcomes(ds)))
    except Exception as exc:
        body = f"<p class='warn'>Outcomes could not be computed: {_esc(exc)}</p>"
    return body + _session_table(ds)


def _model_section() -> str:
    parts = ["<ul>", *(f"<li>{_esc(item)}</li>" for item in _ASSUMPTIONS),
             "</ul><h3>The model in brief</h3><dl>"]
    parts += [f"<dt><strong>{_esc(head)}</strong></dt><dd>{_esc(para)}</dd>"
              for head, para in MODEL_SUMMARY]
    parts.append("</dl><p>Every equation, assumption and parameter with its source is in "
                 "<code>docs/model.md</code> of the dermsim repository.</p>")
    return "".join(parts)


def _validation_section(validation: str, source: Path | None) -> str:
    try:
        src, rows = validation_status(validation, source)
    except Exception as exc:
        return f"<p class='warn'>Validation status unavailable: {_esc(exc)}</p>"
    parts = [f"<p>Source: {src}.</p>"]
    if rows:
        parts.append("<table><tr><th>case</th><th>what is checked</th><th>status</th></tr>")
        for case, title, status in rows:
            cls = {"pass": "pass", "fail": "fail", "error": "error"}.get(status, "na")
            parts.append(f"<tr><td>{_esc(case)}</td><td>{_esc(title)}</td>"
                         f"<td class='{cls}'>{_esc(status)}</td></tr>")
        parts.append("</table>")
        n_pass = sum(s == "pass" for _, _, s in rows)
        parts.append(f"<p>{n_pass} of {len(rows)} cases pass.</p>")
    return "".join(parts)


def write_report(result: str | Path, output: str | Path | None = None,
                 validation: str = "auto") -> Path:
    """Write the HTML report of a result file atomically; returns the path written.

    Parameters
    ----------
    result
        A file written by ``dermsim run`` (:func:`dermsim.io.write_netcdf`), ``dermsim
        compare`` (:mod:`dermsim.viz.report_compare`) or ``dermsim sweep``
        (:mod:`dermsim.viz.report_sweep`); any other file is refused in one line.
    output
        HTML path (default: the result path with suffix ``.html``).
    validation
        See :func:`validation_status` (run results only).
    """
    from dermsim.io import atomic_write_bytes, open_result_of_kind

    result = Path(result)
    ds, kind = open_result_of_kind(result, "report", ("run", "compare", "sweep"))
    if kind == "compare":
        from dermsim.viz.report_compare import build_compare_html

        page = build_compare_html(ds, result)
    elif kind == "sweep":
        from dermsim.viz.report_sweep import build_sweep_html

        page = build_sweep_html(ds, result)
    else:
        page = build_html(ds, validation, result)
    out = Path(output) if output is not None else result.with_suffix(".html")
    return atomic_write_bytes(page.encode("utf-8"), out)


def cmd_report(args: Any) -> int:
    """``dermsim report RESULT.nc [-o out.html]``."""
    path = write_report(args.result, args.output, args.validation)
    if not args.quiet:
        print(f"wrote {path}")
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim report`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "report", help="HTML page of a run, comparison or sweep result",
        description="Write one self-contained HTML page (figures embedded, no network). A "
                    "`dermsim run` result: the scenario, outcomes table, figures, model "
                    "assumptions, validation status and the disclaimer. A `dermsim compare` "
                    "table: the scenarios, outcomes with units, when they were compared and a "
                    "bar chart per outcome. A `dermsim sweep` result: the spec, parameters, "
                    "outcome summary, ranking by the spec's objective, the sweep figures and "
                    "the failed runs.", epilog=epilog)
    p.add_argument("result", help="NetCDF written by `dermsim run`, `dermsim compare` or "
                                  "`dermsim sweep`")
    p.add_argument("-o", "--output", metavar="HTML",
                   help="output file (default: RESULT with suffix .html)")
    p.add_argument("--validation", choices=("auto", "cached", "run", "skip"), default="auto",
                   help="validation status of a run report: from docs/validation.md if found, "
                        "else run the fast cases (auto, default); cached; run all cases; skip")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=cmd_report)
