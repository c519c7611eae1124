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

Only the standard library is imported at module level.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from dermsim import schema

__all__ = ["MODEL_SUMMARY", "add_cli", "build_html", "stage_figures", "write_report"]

DISCLAIMER = ("dermsim is a research and teaching tool. It is not medical advice and must not "
              "be used to plan the treatment of patients.")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1100px;padding:0 1.2em 3em;color:#1d2430;line-height:1.45}
h1{font-size:1.6em;margin:.8em 0 .2em}h2{border-bottom:2px solid #d9737a;padding-bottom:.15em;
margin-top:1.8em}h3{margin-bottom:.3em}.meta{color:#555;margin:.2em 0 1em}
.disclaimer{background:#fff4e5;border-left:5px solid #e8a33d;padding:.6em 1em;margin:1em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.93em}th,td{border:1px solid #ccd;
padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f1f2f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.absent td{color:#999}
figure{margin:1.2em 0;padding:.5em;border:1px solid #e3e3ea;border-radius:4px}
figure img{max-width:100%;height:auto;display:block;margin:0 auto}
figcaption{color:#444;font-size:.92em;margin-top:.4em}
pre{background:#f6f7f9;padding:.8em;overflow-x:auto;font-size:.85em;border-radius:4px}
nav ul{columns:2;list-style:square}.pass{color:#1a7f37;font-weight:600}
.fail,.error{color:#c62828;font-weight:600}.na{color:#888}.warn{color:#b26a00}
footer{margin-top:3em;color:#666;font-size:.88em;border-top:1px solid #ddd;padding-top:.6em}
"""

_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.body.setAttribute("data-images-ok", ok + "/" + imgs.length);
});
"""

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


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return "—"
    if f == 0:
        return "0"
    if abs(f) >= 1e5 or abs(f) < 1e-3:
        return f"{f:.3e}"
    return f"{f:.4g}"


def _png_base64(fig: Any, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # a Figure not managed by pyplot
        pass
    return base64.b64encode(buf.getvalue()).decode("ascii")


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
    return report_figures.stage_figures(ds, _png_base64)


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
    from datetime import UTC, datetime

    from dermsim import __version__
    from dermsim.metrics import scalar_outcomes

    _import_stage_modules()
    a = ds.attrs
    name = a.get("scenario", "result")
    parts: list[str] = []
    add = parts.append
    add("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    add("<meta name='viewport' content='width=device-width, initial-scale=1'>")
    add(f"<title>dermsim report: {_esc(name)}</title><style>{_CSS}</style></head><body>")
    add(f"<header><h1>dermsim report — {_esc(name)}</h1>")
    meta = " · ".join(_esc(x) for x in (a.get("site", ""), a.get("device_preset", ""),
                                          f"dermsim {a.get('dermsim_version', __version__)}") if x)
    add(f"<p class='meta'>{meta}</p>")
    add(f"<div class='disclaimer' id='disclaimer'><strong>Disclaimer.</strong> {_esc(DISCLAIMER)}"
        "</div></header>")
    for line in str(a.get("patient_warnings", "")).splitlines():  # [patient] warnings
        add(f"<div class='disclaimer patient-warning'><strong>Warning.</strong> {_esc(line)}"
            "</div>")
    sections = [("scenario", "Scenario"), ("outcomes", "Outcomes"), ("figures", "Figures"),
                ("model", "Model assumptions"), ("validation", "Validation status"),
                ("disclaimer-end", "Disclaimer")]
    add("<nav><ul>" + "".join(f"<li><a href='#{k}'>{_esc(t)}</a></li>" for k, t in sections)
        + "</ul></nav>")

    # scenario
    add("<section id='scenario'><h2>Scenario</h2><table>")
    for k, v in _scenario_rows(ds):
        add(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>")
    add("</table>")
    if source is not None:
        add(f"<p>Result file: <code>{_esc(source)}</code></p>")
    if a.get("config_toml"):
        add("<details><summary>Configuration (resolved TOML, as stored in the result)"
            f"</summary><pre>{_esc(a['config_toml'])}</pre></details>")
    add("</section>")

    # outcomes
    add("<section id='outcomes'><h2>Outcomes</h2>")
    try:
        outcomes = scalar_outcomes(ds)
        add("<p>Scalar outcomes (<code>dermsim.metrics.scalar_outcomes</code>); penetration "
            "outcomes are for the first session, changes are relative to the untreated "
            "baseline. “not simulated” marks outcomes of stages absent from this result.</p>")
        add(_outcome_table(outcomes))
    except Exception as exc:
        add(f"<p class='warn'>Outcomes could not be computed: {_esc(exc)}</p>")
    add(_session_table(ds))
    add("</section>")

    # figures
    add("<section id='figures'><h2>Figures</h2>")
    for key, title, caption, b64, err in stage_figures(ds):
        if b64 is None:
            add(f"<p class='warn' data-figure-error='{_esc(key)}'>Figure “{_esc(title)}” could "
                f"not be drawn: {_esc(err)}</p>")
            continue
        add(f"<figure id='fig-{_esc(key)}'><img src='data:image/png;base64,{b64}' "
            f"alt='{_esc(title)}'><figcaption><strong>{_esc(title)}.</strong> {caption}"
            "</figcaption></figure>")
    add("</section>")

    # model assumptions
    add("<section id='model'><h2>Model assumptions</h2><ul>")
    for item in _ASSUMPTIONS:
        add(f"<li>{_esc(item)}</li>")
    add("</ul><h3>The model in brief</h3><dl>")
    for head, para in MODEL_SUMMARY:
        add(f"<dt><strong>{_esc(head)}</strong></dt><dd>{_esc(para)}</dd>")
    add("</dl><p>Every equation, assumption and parameter with its source is in "
        "<code>docs/model.md</code> of the dermsim repository.</p>")
    add("</section>")

    # validation
    add("<section id='validation'><h2>Validation status</h2>")
    try:
        src, rows = validation_status(validation, source)
        add(f"<p>Source: {src}.</p>")
        if rows:
            add("<table><tr><th>case</th><th>what is checked</th><th>status</th></tr>")
            for case, title, status in rows:
                cls = {"pass": "pass", "fail": "fail", "error": "error"}.get(status, "na")
                add(f"<tr><td>{_esc(case)}</td><td>{_esc(title)}</td>"
                    f"<td class='{cls}'>{_esc(status)}</td></tr>")
            add("</table>")
            n_pass = sum(s == "pass" for _, _, s in rows)
            add(f"<p>{n_pass} of {len(rows)} cases pass.</p>")
    except Exception as exc:
        add(f"<p class='warn'>Validation status unavailable: {_esc(exc)}</p>")
    add("</section>")

    add(f"<section id='disclaimer-end'><h2>Disclaimer</h2><p>{_esc(DISCLAIMER)} Results are "
        "model outputs for an average skin under stated assumptions; they are not predictions "
        "for any individual.</p></section>")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    add(f"<footer>Generated by dermsim {_esc(__version__)} (<code>dermsim report</code>) on "
        f"{_esc(now)}. Self-contained page: no network access, figures embedded.</footer>")
    add(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)


def write_report(result: str | Path, output: str | Path | None = None,
                 validation: str = "auto") -> Path:
    """Write the HTML report of a result file atomically; returns the path written.

    Parameters
    ----------
    result
        A result NetCDF written by ``dermsim run`` / :func:`dermsim.io.write_netcdf`.
    output
        HTML path (default: the result path with suffix ``.html``).
    validation
        See :func:`validation_status`.
    """
    from dermsim.io import atomic_write_bytes, open_run_result

    result = Path(result)
    ds = open_run_result(result, "report")
    out = Path(output) if output is not None else result.with_suffix(".html")
    return atomic_write_bytes(build_html(ds, validation, result).encode("utf-8"), out)


def cmd_report(args: Any) -> int:
    """``dermsim report RESULT.nc [-o out.html]``."""
    path = write_report(args.result, args.output, args.validation)
    if not args.quiet:
        print(f"wrote {path}")
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim report`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "report", help="one self-contained HTML page of a result",
        description="Write one self-contained HTML page (figures embedded, no network) with "
                    "the scenario, outcomes table, figures, model assumptions, validation "
                    "status and the disclaimer.", epilog=epilog)
    p.add_argument("result", help="result NetCDF written by `dermsim run`")
    p.add_argument("-o", "--output", metavar="HTML",
                   help="output file (default: RESULT with suffix .html)")
    p.add_argument("--validation", choices=("auto", "cached", "run", "skip"), default="auto",
                   help="validation status: from docs/validation.md if found, else run the fast "
                        "cases (auto, default); cached; run all cases; skip")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=cmd_report)
