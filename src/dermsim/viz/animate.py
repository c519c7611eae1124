"""Animations of a dermsim result: growth-factor spread and collagen deposition.

``dermsim animate RESULT.nc [-o out.gif] [--mp4]`` writes a GIF (Pillow writer) and, with
``--mp4`` when ffmpeg is installed, an MP4 of the protocol:

1. **Growth-factor spread** after the first session: one frame per stored field snapshot
   (``gf_snapshot``), on the skin cross-section with the layer outlines, and the band-mean
   concentration by depth beside it (``gf_band``) when present.
2. **Collagen deposition** over the protocol: the collagen I and III change relative to
   baseline per depth band (``collagen_I_change``, ``collagen_III_change``) drawn as a depth
   profile over the layers (the model has one value per band, so nothing is painted across
   the slice width), and the depth-mean time course with a moving cursor and the sessions.

Every frame carries a time label. A result holding only the penetration stage is animated
session by session (the injury field of each session, with needle tips and layers).

Files are written atomically (temporary file in the same folder, then renamed) with the same
permissions as every other output. Only the standard library is imported at module level.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Frame", "add_cli", "animate_result", "build_frames", "ffmpeg_available"]


@dataclass(frozen=True)
class Frame:
    """One animation frame: which phase, which index into its data, and its time label."""

    phase: str  # "gf", "collagen" or "injury"
    index: int
    label: str


def ffmpeg_available() -> bool:
    """Whether matplotlib can write MP4 through ffmpeg."""
    try:
        from matplotlib import animation

        return bool(animation.writers.is_available("ffmpeg")) and shutil.which(
            "ffmpeg") is not None
    except Exception:
        return False


def _session_days(ds: Any) -> list[float]:
    return [float(v) for v in ds["session_day"].values] if "session_day" in ds else []


def species_in(ds: Any) -> list[str]:
    """Growth factors of a result's snapshots (empty if it has none)."""
    if "gf_snapshot" in ds and "species" in ds["gf_snapshot"].dims:
        return [str(s) for s in ds["gf_snapshot"]["species"].values]
    return []


def _gf_species(ds: Any, species: str | None) -> Any:
    snap = ds["gf_snapshot"]
    if "species" in snap.dims:
        names = species_in(ds)
        if species is not None and species not in names:
            from dermsim.errors import DermsimError

            raise DermsimError(f"--species {species!r}: this result has {', '.join(names)}")
        pick = species or ("tgfb1" if "tgfb1" in names else names[0])
        return snap.sel(species=pick), pick
    return snap, species or "growth factor"


def build_frames(ds: Any, max_collagen_frames: int = 48) -> list[Frame]:
    """The frame list for ``ds`` (see the module docstring for the phases)."""
    import numpy as np

    from dermsim.viz import style

    frames: list[Frame] = []
    if "gf_snapshot" in ds and "snapshot_time" in ds["gf_snapshot"].dims:
        for i, t in enumerate(ds["gf_snapshot"]["snapshot_time"].values):
            frames.append(Frame("gf", i, f"session 1 + {style.time_label(float(t))}"))
    if "collagen_I_change" in ds and "time" in ds["collagen_I_change"].dims:
        t = ds["collagen_I_change"]["time"].values
        n = min(max_collagen_frames, t.size)
        targets = np.linspace(t[0], t[-1], n)
        idx = sorted({int(np.argmin(np.abs(t - x))) for x in targets})
        days = _session_days(ds)
        for i in idx:
            past = [k + 1 for k, d in enumerate(days) if d <= t[i] + 1e-9]
            extra = f" (after session {past[-1]})" if past else ""
            frames.append(Frame("collagen", i, f"day {t[i]:.0f}{extra}"))
    if not frames and "injury" in ds and "session" in ds.dims:
        days = _session_days(ds)
        for i, s in enumerate(ds["session"].values):
            lab = f"session {int(s)}" + (f", day {days[i]:g}" if days else "")
            frames.append(Frame("injury", i, lab))
    return frames


def _extent(ds: Any) -> tuple[float, float, float, float]:
    x, z = ds["x"].values, ds["z"].values
    hx = float(x[1] - x[0]) if x.size > 1 else 1.0
    hz = float(z[1] - z[0]) if z.size > 1 else 1.0
    return (float(x[0] - hx / 2), float(x[-1] + hx / 2), float(z[-1] + hz / 2),
            float(z[0] - hz / 2))


def _layer_outlines(ax: Any, ds: Any, color: str = "w", z_limit: float | None = None) -> None:
    """Layer boundaries (horizontal lines at the layer tops, labelled on the right)."""
    if "layer_top" not in ds:
        return
    names = [str(n).replace("_", " ") for n in ds["layer_name"].values] \
        if "layer_name" in ds else []
    tops = [float(v) for v in ds["layer_top"].values]
    z_max = float(ds["z"].values[-1]) if z_limit is None else z_limit
    x1 = ax.get_xlim()[1] if ax.get_xlim()[1] > 1 else float(ds["x"].values[-1])
    for k, top in enumerate(tops):
        if top > 0:
            ax.axhline(top, color=color, lw=0.8, alpha=0.8, ls="--")
        bottom = tops[k + 1] if k + 1 < len(tops) else z_max
        if names and k < len(names) and bottom - top > 0.04 * z_max and top < z_max:
            ax.text(x1, 0.5 * (top + min(bottom, z_max)), names[k], color=color, fontsize=7,
                    ha="right", va="center", alpha=0.9, clip_on=True)


def _depth_limit(ds: Any) -> float:
    z = ds["z"].values
    limit = float(z[-1])
    if "layer_top" in ds and len(ds["layer_top"]) >= 5:
        limit = min(limit, float(ds["layer_top"].values[4]) + 400.0)
    if "needle_depth" in ds:
        import numpy as np

        deepest = float(np.nanmax(ds["needle_depth"].values))
        limit = max(min(float(z[-1]), deepest + 300.0), min(limit, float(z[-1])))
    return limit


def _make_drawer(ds: Any, frames: list[Frame], species: str | None) -> tuple[Any,
                                                                            Callable[[int], None]]:
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    from dermsim.viz import style

    # a fixed layout (constrained layout would be recomputed for every frame)
    fig = Figure(figsize=(10.5, 4.6))
    ax_map = fig.add_axes((0.07, 0.12, 0.50, 0.74))
    cax = fig.add_axes((0.58, 0.12, 0.012, 0.74))
    ax_side = fig.add_axes((0.745, 0.12, 0.235, 0.74))
    ext = _extent(ds)
    zlim = _depth_limit(ds)
    title = fig.suptitle("", fontsize=11)
    days = _session_days(ds)
    # true aspect ratio: show as much of the slice width as the panel holds at equal scales
    box_ratio = (0.50 * 10.5) / (0.74 * 4.6)
    x_right = min(ext[1], ext[0] + (zlim - ext[3]) * box_ratio)
    z_label = style.label(ds["z"]) if "z" in ds else "depth [µm]"
    x_label = style.label(ds["x"]) if "x" in ds else "x [µm]"

    gf: Any = None
    gf_name: Any = None
    gf_norm: Any = None
    if any(f.phase == "gf" for f in frames):
        gf, gf_name = _gf_species(ds, species)
        vmax = float(np.nanmax(gf.values)) or 1.0
        gf_norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax)
    c1: Any = ds["collagen_I_change"] if "collagen_I_change" in ds else None
    c3: Any = ds["collagen_III_change"] if "collagen_III_change" in ds else None
    c_lo = c_hi = 0.0
    if c1 is not None:
        both = [c1.values] + ([c3.values] if c3 is not None else [])
        c_lo = min(0.0, *(float(np.nanmin(v)) for v in both))
        c_hi = max(1.0, *(float(np.nanmax(v)) for v in both))

    def colorbar(mappable: Any, text: str) -> None:
        cax.clear()
        cax.set_visible(True)
        fig.colorbar(mappable, cax=cax, label=text)

    def draw(i: int) -> None:
        f = frames[i]
        ax_map.clear()
        ax_side.clear()
        if f.phase == "gf":
            field = gf.isel(snapshot_time=f.index).values
            im = ax_map.imshow(np.maximum(field, gf_norm.vmin), cmap="magma", norm=gf_norm,
                               extent=ext, aspect="auto", interpolation="nearest")
            name = style.species_name(gf_name)
            colorbar(im, f"{name} [{style.pretty_units(gf.attrs.get('units', 'ng/mL'))}]")
            ax_map.set_title(f"{name} after session 1 (logarithmic colour scale)", fontsize=10)
            if "gf_band" in ds:
                _side_gf_profile(ax_side, ds, gf_name, gf["snapshot_time"].values[f.index])
            else:
                ax_side.set_visible(False)
            ax_map.set_xlim(ext[0], x_right)
            _layer_outlines(ax_map, ds, "w", zlim)
            ax_map.set_xlabel(x_label)
        elif f.phase == "collagen":
            # the collagen model is one value per depth band: draw it as a depth profile over
            # the layers, not painted across the slice width
            ax_side.set_visible(True)
            cax.set_visible(False)
            style.layer_bands(ax_map, ds, z_max=zlim)
            band = c1["band"].values
            ax_map.plot(c1.isel(time=f.index).values, band, "o-", color=style.COLLAGEN_I,
                        ms=3, lw=1.6, label="collagen I")
            if c3 is not None:
                ax_map.plot(c3.isel(time=f.index).values, band, "s-", color=style.COLLAGEN_III,
                            ms=3, lw=1.6, label="collagen III")
            ax_map.axvline(0, color="k", lw=0.6)
            ax_map.set_xlim(c_lo, c_hi * 1.05)
            ax_map.legend(loc="lower right", fontsize=8)
            units = style.pretty_units(c1.attrs.get("units", "%"))
            ax_map.set_xlabel(f"change relative to untreated skin [{units}] (per depth band)")
            ax_map.set_title("collagen deposition by depth", fontsize=10)
            _side_collagen(ax_side, ds, c1, f.index, days)
        else:
            ax_side.set_visible(True)
            if "layer" in ds:
                ax_map.imshow(ds["layer"].values, cmap=style.layer_cmap(), vmin=-0.5,
                              vmax=len(style.LAYER_COLOURS) - 0.5, extent=ext, aspect="auto",
                              interpolation="nearest")
            ax_map.imshow(style.injury_rgba(ds["injury"].isel(session=f.index).values),
                          extent=ext, aspect="auto", interpolation="nearest")
            from matplotlib.cm import ScalarMappable

            sm = ScalarMappable(cmap=style.injury_cmap())
            sm.set_clim(0, 1)
            colorbar(sm, style.label(ds["injury"]))
            if "needle_x" in ds and "needle_depth" in ds:
                nx_ = ds["needle_x"].isel(session=f.index).values
                nd = ds["needle_depth"].isel(session=f.index).values
                ok = np.isfinite(nx_)
                ax_map.plot(nx_[ok], nd[ok], "v", color="#1f5fa8", ms=4)
            ax_map.set_title("needle channels and injured tissue", fontsize=10)
            _side_sessions(ax_side, ds, f.index)
            ax_map.set_xlim(ext[0], x_right)
            _layer_outlines(ax_map, ds, "k", zlim)
            ax_map.set_xlabel(x_label)
        ax_map.set_ylim(zlim, ext[3])
        ax_map.set_ylabel(z_label)
        title.set_text(f"{ds.attrs.get('scenario', 'dermsim')} — {f.label}")

    return fig, draw


def _side_gf_profile(ax: Any, ds: Any, species: str, t_h: float) -> None:
    import numpy as np

    gb = ds["gf_band"]
    if "session" in gb.dims:
        gb = gb.isel(session=0)
    if "species" in gb.dims:
        names = [str(s) for s in gb["species"].values]
        gb = gb.sel(species=species if species in names else names[0])
    tdim = next(d for d in gb.dims if d != "band")
    tt = gb[tdim].values if tdim in gb.coords else np.arange(gb.shape[0])
    units = gb[tdim].attrs.get("units", "h") if tdim in gb.coords else "h"
    t_in = t_h / 24.0 if units.startswith("d") else t_h
    k = int(np.argmin(np.abs(tt - t_in)))
    band = gb["band"].values
    from dermsim.viz import style

    ax.plot(gb.isel({tdim: k}).values, band, "o-", color="#2e8b57", ms=3)
    ax.set_ylim(band[-1] + 50, 0)
    ax.set_xlim(0, max(float(np.nanmax(gb.values)), 1e-12) * 1.05)
    ax.set(xlabel=style.label(gb, short=True), ylabel=style.label(gb["band"], short=True),
           title="band mean by depth (fixed scale)")
    ax.title.set_fontsize(9)


def _side_collagen(ax: Any, ds: Any, c1: Any, k: int, days: list[float]) -> None:
    from dermsim.viz import style

    t = c1["time"].values
    mean = c1.mean("band").values
    ax.plot(t, mean, color=style.COLLAGEN_I, label="collagen I, band mean")
    if "collagen_III_change" in ds:
        ax.plot(t, ds["collagen_III_change"].mean("band").values, color=style.COLLAGEN_III,
                label="collagen III, band mean")
    style.session_marks(ax, days, label=None)
    ax.axvline(t[k], color="k", lw=1.2)
    ax.plot([t[k]], [mean[k]], "o", color=style.COLLAGEN_I)
    ax.axhline(0, color="k", lw=0.4)
    units = style.pretty_units(c1.attrs.get("units", "%"))
    ax.set(xlabel=style.label(c1["time"]), ylabel=f"change vs untreated skin [{units}]",
           xlim=(0, t[-1]))
    ax.set_title("over the protocol (▼ sessions)", pad=12)
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="upper left")


def _side_sessions(ax: Any, ds: Any, k: int) -> None:
    import numpy as np

    s = ds["session"].values
    if "effective_depth" in ds:
        v = ds["effective_depth"].values
        from dermsim.viz import style

        ax.bar(np.arange(s.size), v, color=["#c0392b" if i == k else "0.7"
                                           for i in range(s.size)])
        ax.set_xticks(np.arange(s.size), [str(int(x)) for x in s])
        ax.set(xlabel="session", ylabel=style.label(ds["effective_depth"]), title="sessions")
        ax.title.set_fontsize(9)
    else:
        ax.set_visible(False)


def _atomic_save(anim: Any, path: Path, writer: Any, dpi: int) -> Path:
    """Save through a temporary file beside ``path`` (same permissions as every other
    output: the umask's, e.g. 0644), then rename."""
    from dermsim.io import shareable_tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = shareable_tempfile(path, suffix=path.suffix)
    try:
        anim.save(tmp, writer=writer, dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def animate_result(ds: Any, output: str | Path, mp4: bool = False, fps: float = 3.0,
                   dpi: int = 80, species: str | None = None,
                   max_collagen_frames: int = 48) -> list[Path]:
    """Write the animation of ``ds`` as a GIF (and an MP4 next to it when asked and possible).

    Parameters
    ----------
    ds
        A dermsim result (:func:`dermsim.io.open_result`).
    output
        GIF path.
    mp4
        Also write ``output`` with suffix ``.mp4`` when ffmpeg is available.
    fps, dpi
        Frames per second and resolution.
    species
        Growth factor to show (default ``tgfb1`` when present).
    max_collagen_frames
        Frames sampled over the remodelling time axis.

    Returns
    -------
    list of Path
        Files written (the GIF first).
    """
    import math

    from matplotlib import animation
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from dermsim.errors import DermsimError
    from dermsim.viz import style

    if not (math.isfinite(fps) and fps > 0):
        raise DermsimError(f"--fps {fps:g}: frames per second must be a number > 0")
    if max_collagen_frames < 1:
        raise DermsimError(f"--frames {max_collagen_frames}: must be at least 1")
    if species is not None:
        names = species_in(ds)
        if species not in names:
            have = ", ".join(names) if names else "no growth-factor snapshots"
            raise DermsimError(f"--species {species!r}: this result has {have}")
    frames = build_frames(ds, max_collagen_frames)
    if not frames:
        raise DermsimError("nothing to animate: the result has no growth-factor snapshots, "
                           "collagen time course or injury fields")
    with style.context():
        fig, draw = _make_drawer(ds, frames, species)
    FigureCanvasAgg(fig)
    anim = animation.FuncAnimation(fig, draw, frames=len(frames), interval=1000.0 / fps,
                                   blit=False, repeat=True)
    out = Path(output)
    rate: Any = fps  # the writers take fractional frame rates (their stubs say int)
    written = [_atomic_save(anim, out, animation.PillowWriter(fps=rate), dpi)]
    if mp4 and ffmpeg_available():
        written.append(_atomic_save(anim, out.with_suffix(".mp4"),
                                    animation.FFMpegWriter(fps=rate), dpi))
    return written


def cmd_animate(args: Any) -> int:
    """``dermsim animate RESULT.nc [-o out.gif] [--mp4]``."""
    import sys

    from dermsim.io import open_run_result

    ds = open_run_result(args.result, "animate")
    out = Path(args.output) if args.output else Path(args.result).with_suffix(".gif")
    written = animate_result(ds, out, mp4=args.mp4, fps=args.fps, species=args.species,
                             max_collagen_frames=args.frames)
    if args.mp4 and not ffmpeg_available():
        print("dermsim animate: ffmpeg not found, MP4 skipped (GIF written)", file=sys.stderr)
    if not args.quiet:
        for p in written:
            print(f"wrote {p}")
    return 0


def add_cli(subparsers: Any, epilog: str) -> None:
    """Register ``dermsim animate`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "animate", help="GIF of growth factors and collagen (MP4 with --mp4)",
        description="Animate a result: growth-factor spread after the first session and "
                    "collagen deposition over the protocol (a penetration-only result is "
                    "animated session by session). Writes a GIF; --mp4 also writes an MP4 "
                    "when ffmpeg is installed.", epilog=epilog)
    p.add_argument("result", help="result NetCDF written by `dermsim run`")
    p.add_argument("-o", "--output", metavar="GIF",
                   help="output GIF (default: RESULT with suffix .gif)")
    p.add_argument("--mp4", action="store_true", help="also write an MP4 (needs ffmpeg)")
    p.add_argument("--fps", type=float, default=3.0, help="frames per second, > 0 (default 3)")
    p.add_argument("--species", help="growth factor to show (default tgfb1)")
    p.add_argument("--frames", type=int, default=48, metavar="N",
                   help="frames over the collagen time course (default 48)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=cmd_animate)
