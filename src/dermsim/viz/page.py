"""The page machinery shared by every ``dermsim report`` page (run, compare, sweep).

One HTML skeleton (:func:`page_html`: head with the one stylesheet, header with the
disclaimer, navigation, sections, footer), one image embedding helper (:func:`png_base64`,
:func:`figure_html`) and the text helpers (:func:`esc`, :func:`fmt`). Pages are
self-contained: no network, no external CSS or JavaScript; figures are base64 PNG.

Only the standard library is imported at module level.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

__all__ = ["DISCLAIMER", "draw_figure", "esc", "figure_html", "fmt", "page_html", "png_base64",
           "table_html"]

DISCLAIMER = ("dermsim is a research and teaching tool. It is not medical advice and must not "
              "be used to plan the treatment of patients.")

CSS = """
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

SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.body.setAttribute("data-images-ok", ok + "/" + imgs.length);
});
"""


def esc(x: Any) -> str:
    """``x`` as HTML text (quotes escaped too)."""
    return html.escape(str(x), quote=True)


def fmt(v: Any) -> str:
    """A number for a table cell: 4 significant digits, scientific when very large or small,
    "—" for NaN; strings unchanged."""
    if isinstance(v, str):
        return v
    try:
        f = float(v) + 0.0  # no "-0"
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return "—"
    scientific = f != 0 and not 1e-3 <= abs(f) < 1e5
    return f"{f:.3e}" if scientific else f"{f:.4g}"


def png_base64(fig: Any, dpi: int = 100) -> str:
    """A matplotlib figure as base64 PNG text (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # a Figure not managed by pyplot
        pass
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figure_html(key: str, title: str, caption: str, b64: str | None, error: str = "") -> str:
    """One embedded figure (``caption`` is HTML), or a warning line when it could not be
    drawn (``b64`` None)."""
    if b64 is None:
        return (f"<p class='warn' data-figure-error='{esc(key)}'>Figure “{esc(title)}” could "
                f"not be drawn: {esc(error)}</p>")
    return (f"<figure id='fig-{esc(key)}'><img src='data:image/png;base64,{b64}' "
            f"alt='{esc(title)}'><figcaption><strong>{esc(title)}.</strong> {caption}"
            "</figcaption></figure>")


def draw_figure(key: str, title: str, caption: str, draw: Any) -> str:
    """Call ``draw()`` (returns a Figure) and embed it; an exception becomes a warning line."""
    try:
        return figure_html(key, title, caption, png_base64(draw()))
    except Exception as exc:  # a figure must not cost the whole page
        return figure_html(key, title, caption, None, f"{type(exc).__name__}: {exc}")


def table_html(head: Sequence[str], rows: Sequence[Sequence[Any]],
               num: Sequence[bool] | None = None) -> str:
    """A table from plain cell values (escaped; numbers formatted by :func:`fmt`; columns
    flagged in ``num`` right-aligned)."""
    num = num or [False] * len(head)
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(
            f"<td class='num'>{esc(fmt(c))}</td>" if n else f"<td>{esc(c)}</td>"
            for c, n in zip(r, num)) + "</tr>")
    return "".join(out) + "</table>"


def page_html(title: str, meta: Sequence[str], sections: Sequence[tuple[str, str, str]],
              command: str = "dermsim report") -> str:
    """The whole page: ``sections`` are (id, heading, body HTML), shown in order after the
    header (title, ``meta`` line, disclaimer) and a navigation list; a closing disclaimer
    section and a footer are added."""
    from datetime import UTC, datetime

    from dermsim import __version__

    sections = [*sections, ("disclaimer-end", "Disclaimer",
                            f"<p>{esc(DISCLAIMER)} Results are model outputs for an average "
                            "skin under stated assumptions; they are not predictions for any "
                            "individual.</p>")]
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>dermsim report: {esc(title)}</title><style>{CSS}</style></head><body>",
             f"<header><h1>dermsim report — {esc(title)}</h1>",
             f"<p class='meta'>{' · '.join(esc(m) for m in meta if m)}</p>",
             f"<div class='disclaimer' id='disclaimer'><strong>Disclaimer.</strong> "
             f"{esc(DISCLAIMER)}</div></header>",
             "<nav><ul>" + "".join(f"<li><a href='#{k}'>{esc(t)}</a></li>"
                                   for k, t, _ in sections) + "</ul></nav>"]
    parts += [f"<section id='{k}'><h2>{esc(t)}</h2>{body}</section>" for k, t, body in sections]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    parts.append(f"<footer>Generated by dermsim {esc(__version__)} (<code>{esc(command)}"
                 f"</code>) on {esc(now)}. Self-contained page: no network access, figures "
                 "embedded.</footer>")
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)
