"""The explorer page: one :class:`ExplorePage` per browser session.

The controls edit a dictionary of dotted overrides on the page's base scenario; every change
re-validates the scenario (:func:`dermsim.with_overrides`), sends it to the shared
:class:`~dermsim.viz.explore.compute.Runner` and shows the outcome when it arrives. A run that
fails shows the one-line error; the page never shows a traceback.
"""

from __future__ import annotations

import asyncio
import html
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import panel as pn

import dermsim
from dermsim import scenarios
from dermsim.devices import DEVICE_PRESETS
from dermsim.errors import DermsimError
from dermsim.tissue import SITE_SOURCES, SITE_THICKNESS_UM
from dermsim.topical import TOPICAL_PRODUCTS
from dermsim.viz.explore import controls as ctl
from dermsim.viz.explore.compute import (
    INTERACTIVE_H_UM,
    Outcome,
    Runner,
    interactive_grid,
)
from dermsim.viz.explore.controls import widget
from dermsim.viz.explore.figures import gf_frame, time_label, to_png
from dermsim.viz.explore.mechanism import STEPS, step_figure, step_sentence
from dermsim.viz.explore.outcomes import CSS, outcome_rows, rows_html

DISCLAIMER = ("dermsim is a research and teaching tool. It is not medical advice and must not "
              "be used to plan treatment of patients.")
#: Default RF tip when RF is switched on from a needle device.
DEFAULT_RF_PRESET = "rf_insulated_49"
def is_rf_preset(name: str) -> bool:
    return DEVICE_PRESETS[name][0] == "rf_tip"


class ExplorePage:
    """The widgets, views and state of one browser session."""

    def __init__(self, base: Any, runner: Runner, grid_h_um: float = INTERACTIVE_H_UM) -> None:
        self.base = base
        self.runner = runner
        self.worker = runner.assign()
        self._drawn: set[str] = set()
        self.grid_h_um = max(float(grid_h_um), float(base.grid.h_um))
        self.overrides: dict[str, Any] = {}
        self.scenario = self._compose()
        self.outcome: Outcome | None = None
        self.previous: dict[str, Any] = {}
        self._busy = False
        self._pending = False
        self._syncing = False
        self._last_preset = {True: DEFAULT_RF_PRESET, False: "pen_12"}
        self._last_preset[self.scenario.is_rf] = self.scenario.device_preset or (
            DEFAULT_RF_PRESET if self.scenario.is_rf else "pen_12")
        # no topical product by default: switching it on applies autologous PRP (the
        # library's growth-factor product) at its concentration, unless the user set one
        self._topical_on_value = float(
            TOPICAL_PRODUCTS["prp"].cards()["topical_concentration_ng_ml"])
        self.main_widgets: dict[str, Any] = {}
        self.more_widgets: dict[str, Any] = {}
        self._build_controls()
        self._build_views()
        self.layout = self._build_layout()

    # -- scenario -----------------------------------------------------------------------------

    def _compose(self) -> Any:
        """The base scenario with the page's overrides and the interactive grid."""
        grid = interactive_grid(self.base, self.grid_h_um)
        return dermsim.with_overrides(self.base, {
            "remodelling.cell_width_um": grid["remodelling.cell_width_um"], **self.overrides,
            "grid.h_um": self.grid_h_um})

    # -- controls -----------------------------------------------------------------------------

    def _build_controls(self) -> None:
        s = self.scenario
        self._bases = {f"{self.base.name} (as started)": self.base}
        for name in scenarios.names():
            if name != self.base.name:
                self._bases[name] = name
        self.start = widget(
            pn.widgets.Select, "scenario", options=list(self._bases), tags=["ctl:scenario"],
            sizing_mode="stretch_width", description="Start from another scenario: " + "; ".join(
                f"{n}: {scenarios.describe(n)}" for n in scenarios.names()))
        self.start.param.watch(self._on_start, "value")
        self.site = widget(
            pn.widgets.Select, "body site", options=sorted(SITE_THICKNESS_UM), value=s.skin.site,
            description="Layer thicknesses of the site: " + "; ".join(
                f"{k}: {v}" for k, v in SITE_SOURCES.items()), tags=["ctl:skin.site"],
            sizing_mode="stretch_width")
        self.rf = widget(pn.widgets.Switch, "RF", value=s.is_rf, tags=["ctl:rf"])
        self.preset = widget(
            pn.widgets.Select, "device preset", options=self._preset_options(s.is_rf),
            value=s.device_preset or self._last_preset[s.is_rf], tags=["ctl:device.preset"],
            sizing_mode="stretch_width", description=self._preset_help(s.device_preset))
        topical = ctl.find_control(s, ctl.TOPICAL_SWITCH_KEY)
        self.topical = widget(pn.widgets.Switch, "topical product",
                              value=bool(topical and topical.value), visible=topical is not None,
                              tags=["ctl:topical"])
        self.site.param.watch(lambda e: self._set("skin.site", e.new), "value")
        self.preset.param.watch(self._on_preset, "value")
        self.rf.param.watch(self._on_rf, "value")
        self.topical.param.watch(self._on_topical, "value")
        self.main_box = pn.Column(sizing_mode="stretch_width")
        self.rf_box = pn.Column(sizing_mode="stretch_width", visible=s.is_rf)
        self.topical_box = pn.Column(sizing_mode="stretch_width", visible=self.topical.value)
        self.more_section = widget(pn.widgets.Select, "more parameters", options=[],
                                              sizing_mode="stretch_width")
        self.more_box = pn.Column(sizing_mode="stretch_width")
        self.more_section.param.watch(lambda e: self._fill_more(), "value")
        self._fill_controls()

    def _preset_options(self, rf: bool) -> list[str]:
        return [k for k in DEVICE_PRESETS if is_rf_preset(k) == rf]

    def _preset_help(self, preset: str | None) -> str:
        return DEVICE_PRESETS[preset][2] if preset in DEVICE_PRESETS else "device preset"

    def _control_widget(self, control: ctl.Control, store: dict[str, Any]) -> Any:
        w = ctl.make_widget(control)
        w.param.watch(lambda e, k=control.key: self._set(k, e.new), ctl.watched_parameter(w))
        store[control.key] = w
        return ctl.with_help(w, control)

    @property
    def widgets(self) -> dict[str, Any]:
        """Every card-driven widget on the page, by dotted scenario key."""
        return {**self.more_widgets, **self.main_widgets}

    def _fill_controls(self) -> None:
        """(Re)build the card-driven controls for the current scenario (device kind, stages)."""
        s = self.scenario
        self.main_widgets = {}
        self.main_box[:] = [self._control_widget(c, self.main_widgets)
                            for c in ctl.main_controls(s)]
        self.rf_box[:] = [self._control_widget(c, self.main_widgets)
                          for c in ctl.main_controls(s, ctl.RF_KEYS)]
        self.topical_box[:] = [self._control_widget(c, self.main_widgets)
                               for c in ctl.main_controls(s, ctl.TOPICAL_KEYS)]
        sections = [sec for sec in ctl.SECTIONS if self._more_controls(sec)]
        self._syncing = True
        try:
            self.more_section.options = ["(none)", *sections]
            if self.more_section.value not in self.more_section.options:
                self.more_section.value = "(none)"
        finally:
            self._syncing = False
        self._fill_more()

    def _more_controls(self, section: str) -> list[ctl.Control]:
        """Controls of a section not already among the main ones."""
        if section == "patient" or (section == "rf" and not self.scenario.is_rf):
            return []
        return [c for c in ctl.section_controls(self.scenario, section)
                if c.key not in self.main_widgets]

    def _fill_more(self) -> None:
        section = self.more_section.value
        controls = self._more_controls(section) if section and section != "(none)" else []
        self.more_widgets = {}
        self.more_box[:] = [self._control_widget(c, self.more_widgets) for c in controls]

    def _sync_widgets(self) -> None:
        """Show the scenario's values in the widgets without triggering runs."""
        self._syncing = True
        try:
            for key, w in self.widgets.items():
                c = ctl.find_control(self.scenario, key)
                if c is not None and w.value != c.value:
                    w.value = c.value
        finally:
            self._syncing = False

    def _on_preset(self, event: Any) -> None:
        if self._syncing:
            return
        # a new device replaces the old device's fields and the RF settings paired with it
        self.overrides = {k: v for k, v in self.overrides.items()
                          if not k.startswith(("device.", "rf."))}
        self.overrides["device.preset"] = event.new
        self.preset.description = self._preset_help(event.new)
        self._last_preset[is_rf_preset(event.new)] = event.new
        self._request(rebuild=True)

    def _on_rf(self, event: Any) -> None:
        if self._syncing:
            return
        self.rf_box.visible = event.new
        self._syncing = True
        try:
            self.preset.options = self._preset_options(event.new)
            self.preset.value = self._last_preset[event.new]
        finally:
            self._syncing = False
        self._on_preset(type("E", (), {"new": self.preset.value})())

    def _on_topical(self, event: Any) -> None:
        if self._syncing:
            return
        self.topical_box.visible = event.new
        w = self.widgets.get(ctl.TOPICAL_SWITCH_KEY)
        if event.new:
            value = self._topical_on_value
        else:
            if w is not None and w.value:
                self._topical_on_value = float(w.value)
            value = 0.0
        self._set(ctl.TOPICAL_SWITCH_KEY, value)
        if w is not None:
            self._syncing = True
            w.value = value
            self._syncing = False

    def _set(self, key: str, value: Any) -> None:
        if self._syncing or value is None:
            return
        self.overrides[key] = value
        self._request()

    def _on_start(self, event: Any) -> None:
        chosen = self._bases[event.new]
        try:
            self.base = dermsim.load_scenario(chosen) if isinstance(chosen, str) else chosen
        except DermsimError as exc:
            self._show_error(str(exc))
            return
        self.grid_h_um = max(self.grid_h_um, float(self.base.grid.h_um))
        self.reset()

    def reset(self, event: Any = None) -> None:
        """Back to the base scenario."""
        self.overrides = {}
        self._syncing = True
        try:
            base = self._compose()
            self.site.value = base.skin.site
            self.rf.value = base.is_rf
            self.rf_box.visible = base.is_rf
            self.preset.options = self._preset_options(base.is_rf)
            self.preset.value = base.device_preset or self._last_preset[base.is_rf]
            topical = ctl.find_control(base, ctl.TOPICAL_SWITCH_KEY)
            self.topical.value = self.topical_box.visible = bool(topical and topical.value)
        finally:
            self._syncing = False
        self._request(rebuild=True)

    # -- running --------------------------------------------------------------------------------

    def _request(self, rebuild: bool = False) -> None:
        """Validate the edited scenario and start (or queue) its run."""
        try:
            self.scenario = self._compose()
        except DermsimError as exc:
            self._show_error(str(exc))
            return
        if rebuild:
            self._fill_controls()
            self._sync_widgets()
        self._update_grid_note()
        if self._busy:
            self._pending = True
            return
        if pn.state.curdoc is not None:  # served; tests call compute() themselves
            pn.state.execute(self.compute)

    async def compute(self) -> None:
        """Run the current scenario (the latest one, if controls moved meanwhile) and show it."""
        if self._busy:
            self._pending = True
            return
        self._busy = True
        try:
            while True:
                self._set_busy(True)
                self._pending = False
                t0 = time.perf_counter()
                outcome = await self.runner.outcome(self.scenario.to_dict(), self.worker)
                if self._pending:  # the controls moved meanwhile: run the newest scenario
                    continue
                await self._show(outcome, time.perf_counter() - t0)
                if not self._pending:
                    break
        finally:
            self._busy = False
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        if self.spinner.value == busy:
            return
        self.spinner.value = busy
        self.views.loading = busy
        if busy:
            self.status.object = "computing…"

    # -- views ----------------------------------------------------------------------------------

    def _build_views(self) -> None:
        self.spinner = pn.indicators.LoadingSpinner(value=False, size=22)
        self.status = pn.pane.Markdown("", margin=(0, 10), css_classes=["dermsim-status"])
        self.error = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["dermsim-error"], sizing_mode="stretch_width")
        self.grid_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.table = pn.pane.HTML("", css_classes=["dermsim-outcomes"], stylesheets=[CSS],
                                  sizing_mode="stretch_width", min_width=380)
        self.cross = pn.pane.PNG(None, sizing_mode="scale_width", max_width=900)
        self.gf_time = widget(pn.widgets.DiscreteSlider, "time after session 1",
                              options={"1 h": 1.0}, value=1.0, tags=["ctl:gf_time"], width=420)
        self.gf_image = pn.pane.PNG(None, sizing_mode="scale_width", max_width=1100)
        self.gf_time.param.watch(lambda e: pn.state.execute(self._draw_gf), "value")
        self.collagen = pn.pane.PNG(None, sizing_mode="scale_width", max_width=1100)
        self.rf_note = pn.pane.Markdown("")
        self.rf_image = pn.pane.PNG(None, sizing_mode="scale_width", max_width=1100)
        self.rf_damage = pn.pane.PNG(None, sizing_mode="scale_width", max_width=1100)
        self.step = pn.widgets.RadioButtonGroup(
            options={s.title: i for i, s in enumerate(STEPS)}, value=0,
            tags=["ctl:mechanism_step"])
        prev_b = widget(pn.widgets.Button, "◀ previous", width=100)
        next_b = widget(pn.widgets.Button, "next ▶", width=100)
        prev_b.on_click(lambda e: setattr(self.step, "value", max(0, self.step.value - 1)))
        next_b.on_click(lambda e: setattr(self.step, "value",
                                          min(len(STEPS) - 1, self.step.value + 1)))
        self.step_text = pn.pane.Markdown("", sizing_mode="stretch_width",
                                          styles={"font-size": "15px"})
        self.step_image = pn.pane.PNG(None, sizing_mode="scale_width", max_width=900)
        self.step.param.watch(lambda e: pn.state.execute(self._draw_step), "value")
        self.mechanism = pn.Column(self.step, pn.Row(prev_b, next_b), self.step_text,
                                   self.step_image, sizing_mode="stretch_width")
        self.tabs = pn.Tabs(
            ("Growth factors", pn.Column(self.gf_time, self.gf_image)),
            ("Collagen", self.collagen),
            ("RF heating", pn.Column(self.rf_note, self.rf_image, self.rf_damage)),
            ("Mechanism of action", self.mechanism),
            dynamic=False, sizing_mode="stretch_width")
        self.tabs.param.watch(lambda e: pn.state.execute(self._draw_visible), "active")
        self.views = pn.Column(
            self.error,
            pn.Row(pn.Column("### Outcomes", self.table, width=470), pn.Column(
                "### Cross-section (session 1)", self.cross, sizing_mode="stretch_width")),
            self.tabs, sizing_mode="stretch_width")

    def _downloads(self) -> list[Any]:
        self.dl_toml = pn.widgets.FileDownload(callback=self._toml_file, filename="scenario.toml",
                                               label="scenario (TOML)",
                                               sizing_mode="stretch_width")
        self.dl_nc = pn.widgets.FileDownload(callback=self._netcdf_file, filename="result.nc",
                                             label="result (NetCDF)",
                                             sizing_mode="stretch_width")
        self.dl_png = pn.widgets.FileDownload(callback=self._figure_file, filename="figure.png",
                                              label="figure (PNG)",
                                              sizing_mode="stretch_width")
        return [self.dl_toml, self.dl_nc, self.dl_png]

    def _build_layout(self) -> Any:
        reset = widget(pn.widgets.Button, "reset to the scenario file",
                       sizing_mode="stretch_width")
        reset.on_click(self.reset)
        sidebar = pn.Column(
            "### Treatment", self.start, self.site, self.rf, self.preset, self.main_box,
            self.rf_box, self.topical, self.topical_box,
            "### More parameters", self.more_section, self.more_box,
            "### Download", *self._downloads(), reset, width=340)
        header = pn.Column(
            pn.pane.Markdown("## dermsim explore — microneedling what-ifs"),
            pn.pane.Markdown(f"*{DISCLAIMER}*", styles={"color": "#666"}),
            pn.Row(self.spinner, self.status), self.grid_note, sizing_mode="stretch_width")
        self._update_grid_note()
        return pn.Row(sidebar, pn.Column(header, self.views, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")

    def _update_grid_note(self) -> None:
        s = self.scenario
        self.grid_note.object = (
            f"Scenario **{s.name}**, on the interactive grid: {s.grid.h_um:g} µm cells, "
            f"{s.grid.width_um:g} µm wide, remodelling on "
            f"{s.stage('remodelling').cell_width_um:g} µm-wide columns (the scenario file uses "
            f"{self.base.grid.h_um:g} µm cells and "
            f"{self.base.stage('remodelling').cell_width_um:g} µm columns). The downloaded TOML "
            "keeps this grid, so it reproduces the page; set `grid.h_um` and "
            "`remodelling.cell_width_um` smaller for a final run.")

    def _show_error(self, message: str) -> None:
        self.error.object = f"**Not run:** {html.escape(message)}"
        self.error.visible = True
        self.status.object = "not run — see the message below"

    async def _show(self, outcome: Outcome, seconds: float) -> None:
        if outcome.error:
            self._show_error(outcome.error)
            return
        self.error.visible = False
        if self.outcome is not None and self.outcome.ds is not None:
            self.previous = dict(outcome_rows(self.outcome.ds))
        self.outcome = outcome
        ds = outcome.ds
        rows = outcome_rows(ds)
        self.table.object = rows_html(rows, self.previous)
        self.cross.object = outcome.figures.get("cross_section")
        self.collagen.object = outcome.figures.get("collagen")
        if "rf" in outcome.figures:
            self.rf_note.object = "Peak temperature, coagulation and thermal dose of session 1."
            self.rf_image.object = outcome.figures["rf"]
            self.rf_damage.object = outcome.figures.get("rf_damage")
        else:
            self.rf_note.object = "RF is off: switch **RF** on in the controls."
            self.rf_image.object = self.rf_damage.object = None
        times = [float(t) for t in ds["snapshot_time"].values]
        options = {time_label(t): t for t in times}
        if self.gf_time.options != options:
            self._syncing = True
            self.gf_time.options = options
            self.gf_time.value = times[0]
            self._syncing = False
        name = self.scenario.name
        self.dl_toml.filename = f"{name}.toml"
        self.dl_nc.filename = f"{name}.nc"
        self.dl_png.filename = f"{name}.png"
        spent = outcome.seconds
        self.status.object = (f"updated in {seconds:.2f} s (model {spent.get('simulate', 0):.2f}"
                              f" s, figures {spent.get('figures', 0):.2f} s; 0 = reused)")
        self._drawn.clear()
        if not self._pending:
            self._set_busy(False)  # the result is shown; the open tab's figure follows
        await self._draw_visible()

    async def _draw_visible(self) -> None:
        """Draw the page-side figure of the open tab once per result."""
        tab = {0: "gf", 3: "step"}.get(self.tabs.active)
        if tab is None or tab in self._drawn:
            return
        self._drawn.add(tab)
        await (self._draw_gf() if tab == "gf" else self._draw_step())

    async def _draw_gf(self) -> None:
        if self.outcome is None or self.outcome.ds is None or self._syncing:
            return
        ds, t = self.outcome.ds, float(self.gf_time.value)
        loop = asyncio.get_running_loop()
        self.gf_image.object = await loop.run_in_executor(None, lambda: to_png(gf_frame(ds, t)))

    async def _draw_step(self) -> None:
        if self.outcome is None or self.outcome.ds is None:
            return
        ds, i = self.outcome.ds, int(self.step.value)
        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(None, lambda: to_png(step_figure(ds, i)))
        self.step_text.object = f"**{STEPS[i].title}.** {step_sentence(ds, i)}"
        self.step_image.object = image

    # -- downloads ------------------------------------------------------------------------------

    def _toml_file(self) -> BytesIO:
        header = ("# dermsim explore what-if, on the page's interactive grid.\n"
                  "# Run it with: dermsim run THIS_FILE.toml\n# " + DISCLAIMER + "\n")
        return BytesIO((header + self.scenario.to_toml()).encode("utf-8"))

    def _netcdf_file(self) -> BytesIO:
        from dermsim.io import write_netcdf

        if self.outcome is None or self.outcome.ds is None:
            return BytesIO(b"")
        with tempfile.TemporaryDirectory() as tmp:
            path = write_netcdf(self.outcome.ds, Path(tmp) / "result.nc")
            return BytesIO(path.read_bytes())

    def _figure_file(self) -> BytesIO:
        if self.outcome is None or self.outcome.ds is None:
            return BytesIO(b"")
        return BytesIO(self.runner.figure_sync(self.outcome.ds, self.worker))
