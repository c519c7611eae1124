"""Recorders of the RF stepping loop: time series, snapshots and the delivered energy.

The loop of :func:`dermsim.thermal.pulse.run_rf` hands every step to each recorder as a
:class:`StepEvent` (and tells them when a phase ends); each recorder keeps what it needs and
returns its result from :meth:`Recorder.finalise`. The design follows the trackers of py-pde
(Zwicker 2020, J Open Source Softw 5:2158): small objects with a per-step ``handle`` method
instead of closures inside the loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.thermal.bioheat import BioheatModel

__all__ = [
    "EnergyRecorder",
    "Recorder",
    "SeriesRecorder",
    "SliceMapping",
    "SnapshotRecorder",
    "StepEvent",
]


@dataclass(frozen=True)
class SliceMapping:
    """2-D ↔ 3-D mapping of the slice (see :mod:`dermsim.thermal.pulse`).

    Attributes
    ----------
    pins : int
        Pins of the whole tip (the device power is spread evenly over them).
    n_slice : int
        Pins in the slice.
    spacing_m : float
        In-plane pin spacing p [m].
    out_of_plane_m : float
        Out-of-plane depth carried by each pin, f p [m].
    """

    pins: int
    n_slice: int
    spacing_m: float
    out_of_plane_m: float

    def power_per_m(self, p_total_w: float) -> float:
        """Device power [W] → power per metre of the slice [W/m]."""
        return p_total_w / self.pins * self.n_slice / self.out_of_plane_m

    def tip_power_w(self, per_m: float) -> float:
        """Power per metre of the slice [W/m] → device power [W]."""
        return per_m * self.out_of_plane_m / self.n_slice * self.pins

    def per_pin(self, per_m: float) -> float:
        """A quantity per metre of the slice → per pin (e.g. J/m → J)."""
        return per_m * self.out_of_plane_m / self.n_slice


@dataclass(frozen=True)
class StepEvent:
    """What happened in one time step.

    Attributes
    ----------
    time_s : float
        Time at the end of the step [s] (0 = first pulse on).
    dt : float
        Step [s].
    requested : float
        Joule scale [V²] the control mode asked for.
    delivered : float
        Joule scale [V²] delivered (after the generator's limiter or cut-off).
    unit_power_per_m : float
        Power per metre of the slice per V² of the Joule field used in the step [W/m/V²].
    cut_started : bool
        The generator cut the sub-pulse off in this step.
    """

    time_s: float
    dt: float
    requested: float
    delivered: float
    unit_power_per_m: float
    cut_started: bool = False


class Recorder:
    """Base class: override the hooks you need; :meth:`finalise` returns the result."""

    def start(self, time_s: float, model: BioheatModel) -> None:
        """Called once before the first step with the initial state."""

    def handle(self, event: StepEvent, model: BioheatModel) -> None:
        """Called after every step."""

    def end_phase(self, time_s: float, model: BioheatModel, on: bool, last: bool) -> None:
        """Called at the end of every phase (``on``: RF was on; ``last``: the final phase)."""

    def finalise(self) -> Any:
        """The recorded result."""
        return None


class SeriesRecorder(Recorder):
    """Electrode-surface, maximum and epidermal temperature, power and voltage at every step."""

    NAMES = ("tip", "tmax", "epi", "power", "volt", "power_req", "impedance")

    def __init__(self, sensor: np.ndarray, epidermis: np.ndarray, mapping: SliceMapping) -> None:
        self.sensor = sensor
        self.epidermis = epidermis
        self.mapping = mapping
        self.times: list[float] = []
        self.series: dict[str, list[float]] = {k: [] for k in self.NAMES}

    def _record(self, time_s: float, model: BioheatModel, p_w: float, v: float,
                p_req: float, r_ohm: float) -> None:
        t = model.T
        self.times.append(time_s)
        self.series["tip"].append(float(t[self.sensor].mean()) if self.sensor.any() else math.nan)
        self.series["tmax"].append(float(t.max()))
        self.series["epi"].append(float(t[self.epidermis].max()))
        self.series["power"].append(p_w)
        self.series["volt"].append(v)
        self.series["power_req"].append(p_req)
        self.series["impedance"].append(r_ohm)

    def start(self, time_s: float, model: BioheatModel) -> None:
        self._record(time_s, model, 0.0, 0.0, 0.0, math.nan)

    def handle(self, event: StepEvent, model: BioheatModel) -> None:
        p_req = self.mapping.tip_power_w(event.requested * event.unit_power_per_m)
        p_w = self.mapping.tip_power_w(event.delivered * event.unit_power_per_m)
        unit_w = self.mapping.tip_power_w(event.unit_power_per_m)
        r_ohm = 1.0 / unit_w if unit_w > 0 else math.inf
        self._record(event.time_s, model, p_w, math.sqrt(event.delivered), p_req, r_ohm)

    def finalise(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Times [s] and the series (temperatures in K, power in W, voltage in V RMS, load
        impedance of the whole tip in Ω)."""
        return np.asarray(self.times), {k: np.asarray(v) for k, v in self.series.items()}


class SnapshotRecorder(Recorder):
    """Temperature field at the end of every pulse and of the run."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.fields: list[np.ndarray] = []

    def end_phase(self, time_s: float, model: BioheatModel, on: bool, last: bool) -> None:
        if on or last:
            self.fields.append(model.T.copy())
            self.times.append(time_s)

    def finalise(self) -> tuple[np.ndarray, np.ndarray]:
        """Snapshot times [s] and fields [K]."""
        return np.asarray(self.times), np.asarray(self.fields)


class EnergyRecorder(Recorder):
    """Delivered and requested energy, time under the limiter, cut-offs and steps."""

    def __init__(self, mapping: SliceMapping) -> None:
        self.mapping = mapping
        self.energy_per_m = 0.0
        self.energy_requested_per_m = 0.0
        self.limited_s = 0.0
        self.cutoffs = 0
        self.steps = 0

    def handle(self, event: StepEvent, model: BioheatModel) -> None:
        self.energy_requested_per_m += event.requested * event.unit_power_per_m * event.dt
        self.energy_per_m += event.delivered * event.unit_power_per_m * event.dt
        if event.delivered < event.requested:
            self.limited_s += event.dt
        if event.cut_started:
            self.cutoffs += 1
        self.steps += 1

    def finalise(self) -> dict[str, float]:
        """Energy per pin [J] (delivered and requested), limited time [s], cut-offs, steps."""
        return {
            "energy_per_pin_J": self.mapping.per_pin(self.energy_per_m),
            "energy_requested_per_pin_J": self.mapping.per_pin(self.energy_requested_per_m),
            "limited_time_s": self.limited_s,
            "cutoffs": float(self.cutoffs),
            "steps": float(self.steps),
        }
