"""Treatment protocols: the timeline of sessions.

A protocol is a number of treatment sessions a fixed interval apart, optional per-session
device overrides (needle length, passes, …), optional maintenance sessions after the course,
and a follow-up horizon after the last session (default 6 months). Typical practice: 3-6
sessions 2-6 weeks apart (most often 4 weeks), maintenance every 6-12 months (practitioner
guidance [S]; Harris et al. 2015 review: median 3 treatments 4 weeks apart [V]; El-Domyati et al.
2015: 6 sessions 2 weeks apart; Lotfi et al. 2013: 5 monthly sessions).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dermsim.errors import ConfigError
from dermsim.parameters import card, param_field, validate_dataclass

SESSIONS = card("protocol.sessions", 4, "-", 1, 50,
                "3-6 sessions typical (practitioner guidance [S]); El-Domyati 2015: 6, "
                "Lotfi 2013: 5, Harris 2015 review: median 3", "S",
                "number of treatment sessions", integer=True)
INTERVAL = card("protocol.interval_days", 28.0, "day", 1.0, 365.0,
                "2-6 weeks typical, most often 4 (practitioner guidance [S]; Harris 2015 review: "
                "median 4 weeks)", "S",
                "days between treatment sessions")
FOLLOW_UP = card("protocol.follow_up_days", 182.0, "day", 0.0, 3650.0,
                 "6-month follow-up as in clinical studies [A]", "A",
                 "simulated days after the last session")
MAINT_SESSIONS = card("protocol.maintenance_sessions", 0, "-", 0, 20,
                      "maintenance every 6-12 months (practitioner guidance) [S]", "S",
                      "maintenance sessions after the course", integer=True)
MAINT_INTERVAL = card("protocol.maintenance_interval_days", 180.0, "day", 7.0, 730.0,
                      "6-12 months (practitioner guidance) [S]", "S",
                      "days between the last session and each maintenance session")


@dataclass(frozen=True)
class Session:
    """One session in the timeline.

    Attributes
    ----------
    index
        1-based session number (treatment and maintenance sessions counted together).
    day
        Day of the session from the start of the protocol [day].
    kind
        ``"treatment"`` or ``"maintenance"``.
    device_overrides
        Device fields changed for this session (e.g. ``{"needle_length_um": 1000}``).
    """

    index: int
    day: float
    kind: str
    device_overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProtocolConfig:
    """Session count, interval, per-session overrides, maintenance and follow-up.

    ``session_overrides`` maps a 1-based session number to device overrides; in TOML::

        [[protocol.session]]
        session = 3
        needle_length_um = 1000
    """

    sessions: int = param_field(SESSIONS)
    interval_days: float = param_field(INTERVAL)
    follow_up_days: float = param_field(FOLLOW_UP)
    maintenance_sessions: int = param_field(MAINT_SESSIONS)
    maintenance_interval_days: float = param_field(MAINT_INTERVAL)
    session_overrides: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], prefix: str) -> ProtocolConfig:
        from dermsim.parameters import build_dataclass

        if not isinstance(table, Mapping):
            raise ConfigError(prefix, table, "a TOML table")
        table = dict(table)
        overrides_list = table.pop("session", [])
        if "session_overrides" in table:
            raise ConfigError(f"{prefix}.session_overrides", table["session_overrides"],
                              "per-session overrides as [[protocol.session]] tables")
        base = build_dataclass(cls, table, prefix)
        overrides: dict[int, dict[str, Any]] = {}
        if not isinstance(overrides_list, list):
            raise ConfigError(f"{prefix}.session", overrides_list, "an array of tables")
        total = base.sessions + base.maintenance_sessions
        for i, entry in enumerate(overrides_list):
            if not isinstance(entry, Mapping):
                raise ConfigError(f"{prefix}.session", entry, "an array of tables",
                                  f"entry {i + 1} is not a table")
            entry = dict(entry)
            n = entry.pop("session", None)
            if isinstance(n, bool) or not isinstance(n, int) or not (1 <= n <= total):
                raise ConfigError(f"{prefix}.session.session", n,
                                  f"a session number in [1, {total}]",
                                  f"entry {i + 1} of [[{prefix}.session]]")
            if n in overrides:
                raise ConfigError(f"{prefix}.session.session", n, "each session at most once",
                                  f"entry {i + 1} of [[{prefix}.session]]")
            overrides[n] = entry
        return dataclasses.replace(base, session_overrides=overrides)

    def validate(self) -> None:
        validate_dataclass(self, "protocol")

    def check_devices(self, device: Any, device_table: Mapping[str, Any]) -> None:
        """Validate every per-session override by building the session's device."""
        for n in self.session_overrides:
            self.device_for(n, device, device_table)

    def device_for(self, n: int, device: Any, device_table: Mapping[str, Any] | None = None) -> Any:
        """The device used in session ``n`` (1-based) given the scenario's device."""
        from dermsim.devices import device_to_dict, make_device

        over = self.session_overrides.get(n)
        if not over:
            return device
        base = device_to_dict(device)
        if "preset" in over or "kind" in over:
            base = {}
        try:
            return make_device({**base, **over})
        except ConfigError as exc:
            raise ConfigError(f"protocol.session[{n}].{exc.field.split('.', 1)[-1]}", exc.value,
                              exc.allowed) from None

    def timeline(self) -> list[Session]:
        """All sessions in order (treatment, then maintenance)."""
        out = [Session(i + 1, i * self.interval_days, "treatment",
                       self.session_overrides.get(i + 1, {}))
               for i in range(self.sessions)]
        last = out[-1].day
        for m in range(self.maintenance_sessions):
            n = self.sessions + m + 1
            out.append(Session(n, last + (m + 1) * self.maintenance_interval_days,
                               "maintenance", self.session_overrides.get(n, {})))
        return out

    @property
    def end_day(self) -> float:
        """Last simulated day: last session + follow-up [day]."""
        return self.timeline()[-1].day + self.follow_up_days

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "sessions": self.sessions,
            "interval_days": self.interval_days,
            "follow_up_days": self.follow_up_days,
            "maintenance_sessions": self.maintenance_sessions,
            "maintenance_interval_days": self.maintenance_interval_days,
        }
        if self.session_overrides:
            d["session"] = [{"session": n, **dict(v)} for n, v in
                            sorted(self.session_overrides.items())]
        return d

