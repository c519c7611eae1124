"""The RF timeline: phases (pre-cooling, sub-pulses, gaps, cooling), their time steps, and the
PI temperature controller of the generator.

Every pulse on/off starts with L-stable backward-Euler half-steps (Rannacher 1984) before the
Peaceman–Rachford steps; while RF is off the step doubles up to ``rf.dt_cooling_max_ms``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from dermsim.thermal.bioheat import Scheme
    from dermsim.thermal.config import RFConfig

__all__ = ["PIController", "Phase", "phase_steps", "timeline"]


@dataclass(frozen=True)
class Phase:
    """A stretch of the RF timeline: RF on or off, duration [s], and its base step [s]."""

    on: bool
    duration: float
    dt: float
    dt_max: float
    label: str


def timeline(cfg: RFConfig) -> list[Phase]:
    """Phases of a delivery: optional pre-cooling, sub-pulses and gaps, then cooling."""
    dt_on = cfg.dt_pulse_ms * 1e-3
    dt_max = max(dt_on, cfg.dt_cooling_max_ms * 1e-3)
    phases: list[Phase] = []
    if cfg.cooling == "contact" and cfg.contact_precool_s > 0:
        phases.append(Phase(False, cfg.contact_precool_s, dt_on, dt_max, "precool"))
    t_on = cfg.conduction_time_ms * 1e-3 / cfg.sub_pulses
    for i in range(cfg.sub_pulses):
        phases.append(Phase(True, t_on, dt_on, dt_on, f"pulse {i + 1}"))
        if i < cfg.sub_pulses - 1 and cfg.sub_pulse_gap_ms > 0:
            phases.append(Phase(False, cfg.sub_pulse_gap_ms * 1e-3, dt_on, dt_max, f"gap {i + 1}"))
    if cfg.cooling_time_s > 0:
        phases.append(Phase(False, cfg.cooling_time_s, dt_on, dt_max, "cooling"))
    return phases


def phase_steps(ph: Phase, restart_steps: int,
                growth_every: int = 4) -> list[tuple[float, Scheme]]:
    """(dt, scheme) of each step of a phase: ``restart_steps`` backward-Euler half-steps, then
    Peaceman–Rachford steps at ``ph.dt`` (doubling every ``growth_every`` steps up to
    ``ph.dt_max``), the last ones shortened to end exactly at the phase end."""
    steps: list[tuple[float, Scheme]] = []
    remaining = ph.duration
    eps = 1e-12 * max(1.0, ph.duration)
    be = 0.5 * ph.dt
    if restart_steps * be >= remaining - eps:
        n = restart_steps
        return [(remaining / n, "be")] * n
    for _ in range(restart_steps):
        steps.append((be, "be"))
        remaining -= be
    dt = ph.dt
    count = 0
    while remaining > eps:
        if ph.dt_max <= ph.dt + eps:
            n = max(1, math.ceil(remaining / dt - 1e-9))
            steps.extend([(remaining / n, "pr")] * n)
            break
        if remaining <= dt * (1 + 1e-9):
            steps.append((remaining, "pr"))
            break
        steps.append((dt, "pr"))
        remaining -= dt
        count += 1
        if count % growth_every == 0:
            dt = min(2.0 * dt, ph.dt_max)
    return steps


@dataclass
class PIController:
    """PI controller of the normalised power u ∈ [0, 1] on the electrode temperature.

    Attributes
    ----------
    setpoint_k : float
        Electrode temperature to hold [K].
    kp : float
        Proportional gain [1/K] (full power at an error of ``1/kp``).
    ti : float
        Integral time [s].
    integral, u : float
        Integrator state and the last output.
    """

    setpoint_k: float
    kp: float
    ti: float
    integral: float = 0.0
    u: float = 1.0

    def update(self, t_meas_k: float, dt: float) -> float:
        """New output from the measured temperature [K] over a step ``dt`` [s]."""
        e = self.setpoint_k - t_meas_k
        u_unsat = self.kp * e + self.integral
        u = min(1.0, max(0.0, u_unsat))
        # conditional integration (anti-windup)
        if (0.0 < u_unsat < 1.0) or (u_unsat >= 1.0 and e < 0) or (u_unsat <= 0.0 and e > 0):
            self.integral += self.kp * e * dt / self.ti
            self.integral = min(1.0, max(-1.0, self.integral))
        self.u = u
        return u
