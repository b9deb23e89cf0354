"""Exploradores que responden sin núcleo: una rejilla precalculada y una figura de Bokeh.

En el libro en línea no hay Python que recalcule nada. :func:`explorer_chart` toma una
:class:`vgcourse.ExplorerGrid` (los gradientes exactos de una rejilla de configuraciones,
calculados con JAX en float64) y devuelve un objeto que se muestra como HTML: controles
nativos del navegador (desplegables, deslizadores y casillas con su etiqueta en español),
dos figuras de Bokeh y un texto con las cifras. Al mover un control, un pequeño programa de
JavaScript copia en las figuras los perfiles de la configuración elegida; no calcula nada.

El mismo HTML sirve en los tres entornos del curso (el libro, Jupyter y Colab):

- en el libro construido, BokehJS lo sirve el propio sitio (``_ext/bokeh_offline.py`` lo
  copia del paquete de Python ``bokeh``, de la misma versión): no sale ninguna petición;
- en Jupyter y en Colab, si la página aún no tiene BokehJS, se carga de
  ``cdn.bokeh.org`` en la versión del ``bokeh`` instalado.

Este módulo solo dibuja: no importa JAX ni calcula gradientes (la rejilla llega hecha).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from importlib import resources

import numpy as np

from vgcourse.activations import get_activation
from vgcourse.initializers import INITIALIZER_NAMES
from vgcourse.report import power_of_ten

__all__ = ["CHART_VIEWS", "ExplorerChart", "explorer_chart"]

#: vistas de un explorador (las mismas que las del explorador con núcleo)
CHART_VIEWS = ("gradientes", "teoria", "activacion")

# Paleta de Okabe e Ito y estilos de las figuras de matplotlib (vgcourse._plotting)
_BLUE, _ORANGE, _GREY = "#0072B2", "#D55E00", "#595959"
_LABELS = {
    "preact": "‖∂L/∂Zₗ‖ (preactivaciones)",
    "stream": "‖∂L/∂hₗ‖ (tronco)",
    "weight": "‖∂L/∂Wₗ‖ (pesos)",
    "theory": "teoría: ½·ln χ₁ por capa",
    "saturation": "unidades saturadas (%)",
}
_LAYER_LABEL = "Capa l (1 = junto a la entrada)"
# el mismo aspecto en el libro, en Jupyter y en Colab: el estilo va con el explorador
_STYLE = """<style>
.vg-chart { margin: 0.5em 0 1em; }
.vg-chart-title { font-weight: 600; margin: 0.2em 0; }
.vg-chart-controls { display: flex; flex-wrap: wrap; gap: 0.4em 1.4em; align-items: center;
  margin: 0.4em 0; }
.vg-chart-control { display: inline-flex; align-items: center; gap: 0.4em; }
.vg-chart-control input[type="range"] { width: 9em; }
.vg-chart-control output { min-width: 2.5em; font-variant-numeric: tabular-nums; }
.vg-chart-panels { display: flex; flex-wrap: wrap; gap: 0.5em; }
.vg-chart-panel { flex: 1 1 300px; min-width: 0; }
.vg-chart-readout { margin: 0.4em 0; }
.vg-chart-note { font-size: 0.85em; opacity: 0.85; margin: 0.2em 0; }
</style>"""
# rótulos 10ⁿ del eje logarítmico, como power_of_ten de las figuras de matplotlib
_POWER_OF_TEN_JS = """
const e = Math.round(Math.log10(tick));
if (!(tick > 0) || Math.abs(Math.log10(tick) - e) > 1e-6) return "";
const sup = {"-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
             "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"};
return "10" + String(e).split("").map(c => sup[c]).join("");
"""


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")


def _number(v: float):
    return None if not math.isfinite(v) else float(v)


class ExplorerChart:
    """Un explorador sin núcleo, listo para mostrar (la última expresión de una celda).

    Attributes:
        html: el fragmento HTML completo (controles, figuras, cifras, datos y programa).
        summary: las cifras de la configuración inicial, en texto (lo que ve nbval).
        data_bytes: bytes de los datos de la rejilla dentro del HTML.
    """

    def __init__(self, grid, *, view: str, name: str, settings: dict):
        from bokeh import __version__ as bokeh_version

        self.grid, self.view, self.name, self.settings = grid, view, name, settings
        self._id = f"vg-chart-{name}"
        payload = self._payload(bokeh_version)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        items = _stable_ids(json.dumps(_bokeh_items(view), separators=(",", ":")), self._id)
        self.data_bytes = len(data.encode("utf-8"))
        parts = _summary_parts(grid, view, settings)
        self.summary = _title(settings) + ". " + " · ".join("".join(p) for p in parts)
        script = resources.files("vgcourse").joinpath("explorer_chart.js").read_text(encoding="utf-8")
        script = script.replace("__ROOT_ID__", self._id)
        self.html = (
            f'<div class="vg-chart" id="{self._id}" data-vg-view="{view}">\n{_STYLE}\n'
            f'<p class="vg-chart-title" aria-live="polite">{html.escape(_title(settings))}</p>\n'
            f"{self._controls()}\n"
            '<div class="vg-chart-panels">'
            '<div class="vg-chart-panel" role="img" aria-label="'
            + ("La activación y su derivada, con la región saturada sombreada"
               if view == "activacion" else
               "Norma del gradiente por capa, en escala logarítmica")
            + '"></div><div class="vg-chart-panel" role="img" '
            'aria-label="Porcentaje de unidades saturadas por capa"></div></div>\n'
            f'<p class="vg-chart-readout" aria-live="polite">{_summary_html(parts)}</p>\n'
            f'<p class="vg-chart-note">{html.escape(self._note())}</p>\n'
            f'<script type="application/json" class="vg-chart-data">{data}</script>\n'
            f'<script type="application/json" class="vg-chart-items">{items}</script>\n'
            f"<script>\n{script}</script>\n</div>"
        )

    # -- datos ------------------------------------------------------------------------
    def _payload(self, bokeh_version: str) -> dict:
        g = self.grid
        z, w = [], []
        shape = g.preact_norm.shape
        for block in np.ndindex(*shape[:4]):
            for k, depth in enumerate(g.depths):
                z.append(g.preact_norm[block + (k, slice(0, depth))])
                w.append(g.weight_norm[block + (k, slice(0, depth))])
        payload = {
            "view": self.view,
            "bokeh_version": bokeh_version,
            "explorer": g.explorer,
            "activations": [[a, get_activation(a).display_name] for a in g.activations],
            "inits": [[i, INITIALIZER_NAMES[i]] for i in g.inits],
            "widths": list(g.widths),
            "depths": list(g.depths),
            "archs": [[bool(r), float(a), bool(b)] for r, a, b in g.architectures],
            "alphas": sorted({float(a) for r, a, _ in g.architectures if r}),
            "max_depth": int(shape[-1]),
            "z": _b64(np.concatenate(z)),
            "w": _b64(np.concatenate(w)),
            "sat": _b64(g.saturated_fraction.reshape(-1)),
            "slopes": [] if g.theory_slope is None else [_number(v) for v in g.theory_slope.reshape(-1)],
            "labels": _LABELS,
        }
        if self.view == "activacion":
            x = next(iter(g.curves.values()))[0]
            payload["curve_x"] = [round(float(v), 6) for v in x]
            payload["curves"] = [
                {"phi": [round(float(v), 6) for v in g.curves[a][1]],
                 "dphi": [round(float(v), 6) for v in g.curves[a][2]],
                 "lo": _number(g.curves[a][3][0]), "hi": _number(g.curves[a][3][1])}
                for a in g.activations
            ]
        return payload

    # -- controles ----------------------------------------------------------------------
    def _controls(self) -> str:
        g, s = self.grid, self.settings
        rows = []

        def select(axis, label, options, current):
            if len(options) == 1:  # un solo valor: un dato, no un control que no hace nada
                rows.append(f'<span class="vg-chart-control">{label}: '
                            f'<strong>{html.escape(options[0][1])}</strong></span>')
                return
            opts = "".join(
                f'<option value="{k}"{" selected" if v == current else ""}>{html.escape(text)}</option>'
                for k, (v, text) in enumerate(options)
            )
            cid = f"{self._id}-{axis}"
            rows.append(f'<span class="vg-chart-control"><label for="{cid}">{label}</label>'
                        f'<select id="{cid}" data-axis="{axis}">{opts}</select></span>')

        def slider(axis, label, values, current, shown):
            cid = f"{self._id}-{axis}"
            k = values.index(current)
            rows.append(
                f'<span class="vg-chart-control"><label for="{cid}">{label}</label>'
                f'<input type="range" id="{cid}" data-axis="{axis}" min="0" max="{len(values) - 1}" '
                f'step="1" value="{k}" aria-valuetext="{shown}">'
                f'<output data-for="{axis}" for="{cid}">{shown}</output></span>'
            )

        def checkbox(axis, label, checked):
            cid = f"{self._id}-{axis}"
            rows.append(f'<span class="vg-chart-control"><input type="checkbox" id="{cid}" '
                        f'data-axis="{axis}"{" checked" if checked else ""}>'
                        f'<label for="{cid}">{label}</label></span>')

        select("activation", "Activación", [(a, get_activation(a).display_name) for a in g.activations],
               s["activation"])
        select("init", "Inicialización", [(i, INITIALIZER_NAMES[i]) for i in g.inits], s["init"])
        slider("depth", "Profundidad L", list(g.depths), s["depth"], str(s["depth"]))
        select("width", "Anchura n", [(n, str(n)) for n in g.widths], s["width"])
        residual = {r for r, _, _ in g.architectures}
        if len(residual) > 1:
            checkbox("residual", "Conexiones residuales", s["residual"])
        alphas = sorted({a for r, a, _ in g.architectures if r})
        if len(alphas) > 1:
            slider("alpha", "α (escala de la rama)", alphas, s["residual_scale"],
                   f"{s['residual_scale']:.2f}")
        elif alphas:
            rows.append(f'<span class="vg-chart-control">α (escala de la rama): '
                        f'<strong>{alphas[0]:.2f}</strong></span>')
        if len({b for _, _, b in g.architectures}) > 1:
            checkbox("batchnorm", "Normalización por lotes", s["batchnorm"])
        return ('<div class="vg-chart-controls" role="group" aria-label="Configuración de la red">'
                + "".join(rows) + "</div>")

    def _note(self) -> str:
        g = self.grid
        d = g.depths
        step = {b - a for a, b in zip(d, d[1:])}
        gap = step.pop() if len(step) == 1 else None
        depths = (f"de {d[0]} a {d[-1]} capas, de {gap} en {gap}," if gap
                  else "de " + _spanish_list(map(str, d)) + " capas,")
        text = (f"Sin núcleo: {g.size} configuraciones precalculadas con vgcourse (gradientes "
                f"exactos en float64, semilla {g.explorer['seed']}), con profundidades {depths}")
        text += (f" y anchura {g.widths[0]}" if len(g.widths) == 1
                 else " y anchuras " + _spanish_list(map(str, g.widths)))
        alphas = sorted({a for r, a, _ in g.architectures if r})
        if alphas:
            text += "; α = " + _spanish_list(f"{a:.2f}" for a in alphas)
        return (text + ". Con el cuaderno en ejecución, el explorador de abajo calcula cualquier "
                "otra configuración.")

    # -- presentación ---------------------------------------------------------------------
    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Explorador sin núcleo ({self.grid.size} configuraciones): {self.summary}"


def _spanish_list(items) -> str:
    """``"16, 64 y 128"``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " y " + items[-1]


def _stable_ids(text: str, prefix: str) -> str:
    """Bokeh numera sus modelos con un contador del proceso (``"p1416"``): el mismo explorador
    saldría con otros números según lo que se dibujara antes. Se renumeran en orden de
    aparición, con el nombre del explorador delante, para que sean únicos en la página."""
    ids: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        return '"' + ids.setdefault(match[1], f"{prefix}-{len(ids) + 1}") + '"'

    return re.sub(r'"(p\d+)"', rename, text)


def _title(s: dict) -> str:
    parts = [get_activation(s["activation"]).display_name, INITIALIZER_NAMES[s["init"]],
             f"L = {s['depth']}", f"n = {s['width']}"]
    if s["residual"]:
        parts.append(f"residual (α = {s['residual_scale']:.2f})")
    if s["batchnorm"]:
        parts.append("normalización por lotes")
    return ", ".join(parts)


_SETTING = ("activation", "init", "width", "depth", "residual", "residual_scale", "batchnorm")


def _summary_parts(grid, view: str, s: dict) -> list[tuple[str, ...]]:
    """Las cifras de la configuración ``s``: ``(texto, valor en negrita[, texto])``."""
    p = grid.profile(**{k: s[k] for k in _SETTING})
    z, w, depth = p.preact_norm, p.weight_norm, s["depth"]

    def ratio(v):
        if not np.isfinite(v[0]) or not np.isfinite(v[-1]) or v[-1] == 0:
            return "sin medida (underflow)"
        return power_of_ten(f"{v[0] / v[-1]:.3g}")

    name = "‖∂L/∂h‖ (tronco)" if s["residual"] else "‖∂L/∂Z‖"
    parts = [(f"{name} capa 1 / capa {depth}: ", ratio(z)),
             (f"‖∂L/∂W‖ capa 1 / capa {depth}: ", ratio(w))]
    if np.isfinite(z[0]) and np.isfinite(z[-1]) and z[-1] > 0 and z[0] > 0:
        parts.append(("factor medio por capa hacia la entrada: ",
                      power_of_ten(f"{(z[0] / z[-1]) ** (1 / (depth - 1)):.3g}")))
    parts.append((f"unidades saturadas en la capa {depth}: ",
                  f"{100 * p.saturated_fraction[-1]:.1f} %"))
    if view == "teoria":
        plain = not (s["residual"] or s["batchnorm"])
        if not plain:
            parts.append(("teoría: χ₁ solo describe la red simple (sin saltos ni normalización)", ""))
        elif not np.isfinite(p.theory_slope):
            parts.append(("teoría: sin punto fijo (la varianza crece sin límite)", ""))
        else:
            parts.append(("teoría: ½·ln χ₁ = ", f"{p.theory_slope:.3f}", " por capa"))
    return parts


def _summary_html(parts) -> str:
    out = []
    for part in parts:
        label, value, *rest = part
        out.append(html.escape(label) + (f"<b>{html.escape(value)}</b>" if value else "")
                   + "".join(html.escape(r) for r in rest))
    return " · ".join(out)


def _bokeh_items(view: str) -> list[dict]:
    """Las dos figuras de Bokeh, vacías: el programa del navegador pone los datos."""
    from bokeh.embed import json_item
    from bokeh.models import BoxAnnotation, ColumnDataSource, CustomJSTickFormatter, HoverTool, Span
    from bokeh.plotting import figure

    def empty(name):
        return ColumnDataSource({"x": [], "y": [], "serie": []}, name=name)

    def base(**kwargs):
        fig = figure(height=300, sizing_mode="stretch_width", toolbar_location=None,
                     tools="", min_border_left=60, **kwargs)
        fig.xaxis.axis_label_text_font_style = fig.yaxis.axis_label_text_font_style = "normal"
        fig.grid.grid_line_alpha = 0.3
        fig.background_fill_color = None
        fig.border_fill_color = None
        return fig

    def hover(fig, renderers, fmt):
        fig.add_tools(HoverTool(renderers=renderers, tooltips=[("", "@serie"), ("capa" if view != "activacion" else "z", "@x"), ("valor", fmt)],
                                formatters={"@y": "printf"}))

    if view == "activacion":
        left = base(x_axis_label="z", y_axis_label="φ(z), φ′(z)")
        lines = []
        for name, color, dash in (("phi", _BLUE, "solid"), ("dphi", _ORANGE, "dashed")):
            lines.append(left.line("x", "y", source=empty(name), color=color, line_dash=dash,
                                   line_width=2, legend_label="φ(z)" if name == "phi" else "φ′(z)"))
        for name, side in (("region_lo", "left"), ("region_hi", "right")):
            box = BoxAnnotation(name=name, fill_color="#808080", fill_alpha=0.2, line_alpha=0,
                                visible=False)
            left.add_layout(box)
        left.add_layout(Span(location=0, dimension="width", line_color="#4d4d4d", line_width=1))
        hover(left, lines, "@y{%.4f}")
    else:
        left = base(y_axis_type="log", x_axis_label=_LAYER_LABEL, y_axis_label="Norma del gradiente")
        left.yaxis.formatter = CustomJSTickFormatter(code=_POWER_OF_TEN_JS)
        renderers = []
        for name, color, dash, marker, label in (
            ("z", _BLUE, "solid", "circle", "‖∂L/∂Zₗ‖"),
            ("w", _ORANGE, "dashed", "square", "‖∂L/∂Wₗ‖"),
        ):
            source = empty(name)
            renderers.append(left.line("x", "y", source=source, color=color, line_dash=dash,
                                       line_width=2, legend_label=label))
            left.scatter("x", "y", source=source, color=color, marker=marker, size=5,
                         legend_label=label)
        if view == "teoria":
            renderers.append(left.line("x", "y", source=empty("theory"), color=_GREY,
                                       line_dash="dotted", line_width=2,
                                       legend_label="teoría: ½·ln χ₁ por capa"))
        hover(left, renderers, "@y{%.4e}")
    # la leyenda, encima de la figura y en una fila: no tapa ninguna curva
    legend = left.legend[0]
    legend.items[0].name = "first_item"  # su texto cambia en las redes residuales (el tronco)
    left.add_layout(legend, "above")
    legend.orientation = "horizontal"
    legend.label_text_font_size = "11px"
    legend.spacing = 12
    legend.margin = 0
    legend.padding = 4
    right = base(x_axis_label=_LAYER_LABEL, y_axis_label="Unidades saturadas (%)")
    right.y_range.start, right.y_range.end = -3, 103
    source = empty("sat")
    sat = right.line("x", "y", source=source, color=_BLUE, line_width=2)
    right.scatter("x", "y", source=source, color=_BLUE, size=5)
    hover(right, [sat], "@y{%.1f} %")
    return [json_item(left), json_item(right)]


def explorer_chart(
    grid,
    *,
    view: str = "gradientes",
    name: str | None = None,
    activation: str,
    depth: int,
    width: int,
    init: str,
    residual: bool = False,
    residual_scale: float = 1.0,
    batchnorm: bool = False,
) -> ExplorerChart:
    """Un explorador sin núcleo sobre una rejilla ya calculada (:func:`vgcourse.explorer_grid`).

    Args:
        grid: la :class:`vgcourse.ExplorerGrid` con los gradientes de cada configuración.
        view: ``"gradientes"`` (normas por capa y saturación), ``"teoria"`` (además, la
            recta ½·ln χ₁ de la teoría de campo medio) o ``"activacion"`` (la activación con
            su región saturada, y la saturación por capa).
        name: nombre único en la página (forma el ``id`` de los controles). Por defecto, uno
            que sale de la rejilla, la vista y la configuración: distinto para cada explorador
            del libro, también en su versión de una sola página, y el mismo en cada ejecución.
        activation, depth, width, init, residual, residual_scale, batchnorm: la
            configuración inicial; tiene que estar en la rejilla.
    """
    if view not in CHART_VIEWS:
        raise ValueError(f"`view` = {view!r} no es válido. Los valores válidos son: {', '.join(CHART_VIEWS)}.")
    if name is None:
        key = json.dumps([view, str(activation), depth, width, init, bool(residual),
                          float(residual_scale), bool(batchnorm), grid.activations, grid.inits,
                          grid.widths, grid.architectures, grid.depths, grid.explorer])
        name = "explorador-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    if not (isinstance(name, str) and name.replace("-", "").isalnum() and name.isascii()):
        raise ValueError(f"`name` debe ser una palabra sin espacios (letras, cifras y guiones); se recibió {name!r}.")
    needs = {"teoria": ("theory_slope", "theory=True"), "activacion": ("curves", "curves=True")}
    if view in needs and getattr(grid, needs[view][0]) is None:
        raise ValueError(f"La vista «{view}» necesita una rejilla calculada con "
                         f"vg.explorer_grid(..., {needs[view][1]}).")
    settings = dict(activation=get_activation(activation).name, depth=depth, width=width, init=init,
                    residual=bool(residual), residual_scale=float(residual_scale),
                    batchnorm=bool(batchnorm))
    grid.profile(**{k: settings[k] for k in _SETTING})  # valida que esté en la rejilla
    return ExplorerChart(grid, view=view, name=name, settings=settings)
