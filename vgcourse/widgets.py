"""Exploradores interactivos (ipywidgets): solo conectan controles, cálculo y figura.

El cálculo lo hace :class:`vgcourse.explorer.GradientExplorer` (una única función
compilada: mover un control no recompila) y el dibujo
:class:`vgcourse.plots.ExplorerFigure` (la figura de :func:`vgcourse.plots.plot_explorer`,
que al mover un control solo mueve sus líneas). Este módulo no calcula gradientes ni dibuja
por su cuenta.

Compatible con ipywidgets 7.6+ y 8 (Colab usa la 7.7): solo se usan ``Dropdown``,
``IntSlider``, ``FloatSlider``, ``SelectionSlider``, ``Checkbox``, ``Image``, ``HTML``,
``HBox``, ``VBox`` y ``observe``. La figura se envía como PNG a un widget ``Image``: sin ``Output`` ni
``clear_output``, así que la celda se puede validar con nbval.
"""

from __future__ import annotations

import functools
import io
import time

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from vgcourse.activations import activation_curves, get_activation, saturation_bounds
from vgcourse.explorer import EXPLORER_ACTIVATIONS, EXPLORER_INITS, GradientExplorer
from vgcourse.initializers import INITIALIZER_NAMES, sigma_w2
from vgcourse.plots import BOOK_WIDTH, ExplorerFigure, plot_layer_norms
from vgcourse.recurrent import time_profile
from vgcourse.report import power_of_ten
from vgcourse.theory import gradient_slope

__all__ = [
    "ExplorerWidget",
    "RECURRENT_LENGTHS",
    "RECURRENT_MODELS",
    "RecurrentExplorerWidget",
    "explorer_figure",
    "gradient_explorer",
    "recurrent_explorer",
    "recurrent_explorer_figure",
]

_VIEWS = ("gradientes", "teoria", "activacion")


@functools.lru_cache(maxsize=None)
def _curve(activation: str):
    x = np.linspace(-6, 6, 401)
    phi, dphi = activation_curves(activation, x)
    return (x, np.asarray(phi), np.asarray(dphi), saturation_bounds(activation),
            get_activation(activation).display_name)


class _PngExplorer:
    """Lo común a los exploradores: los controles en ``self.controls``, la figura en un widget
    ``Image`` (PNG) y un texto con las cifras. Cada explorador define ``_render(fig, s)``, que
    calcula la configuración ``s``, la dibuja en ``fig`` y devuelve el texto."""

    controls: dict
    dpi: int

    def _start(self, rows: list) -> None:
        """Crea la figura, la imagen y el texto, conecta los controles y dibuja la primera vez."""
        self.latencies: list[float] = []
        self.image = w.Image(format="png")
        self.summary = w.HTML()
        self._fig = self._new_figure()
        plt.close(self._fig)  # la figura vive solo dentro del widget, no en la salida de la celda
        # un lienzo Agg propio: ``savefig`` reutiliza su renderizador (y con él la caché de
        # fórmulas y textos) en lugar de crear uno nuevo en cada cambio de un control
        FigureCanvasAgg(self._fig)
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.widget = w.VBox([*rows, self.image, self.summary])
        self.update()

    def _new_figure(self):
        return _canvas()

    def settings(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Recalcula y redibuja con los valores actuales de los controles."""
        t0 = time.perf_counter()
        summary = self._render(self._fig, self.settings())
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png", dpi=self.dpi)
        self.image.value = buf.getvalue()
        self.summary.value = summary
        self.latencies.append(time.perf_counter() - t0)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class ExplorerWidget(_PngExplorer):
    """Un explorador: controles (activación, profundidad, anchura, inicialización) y figura.

    Attributes:
        controls: ``{"activation", "depth", "width", "init"}`` → widgets.
        image: el widget ``Image`` con la figura (PNG).
        summary: texto con las cifras de la configuración actual.
        widget: la caja que se muestra.
        latencies: segundos de cada actualización (cálculo + dibujo + PNG).
    """

    def __init__(
        self,
        explorer: GradientExplorer,
        *,
        view: str = "gradientes",
        activation: str = "sigmoid",
        depth: int = 30,
        width: int = 64,
        init: str = "xavier_normal",
        activations: tuple[str, ...] = EXPLORER_ACTIVATIONS,
        architecture: bool = False,
        residual: bool = False,
        residual_scale: float = 1.0,
        batchnorm: bool = False,
        dpi: int = 100,
    ):
        if view not in _VIEWS:
            raise ValueError(f"`view` = {view!r} no es válido. Los valores válidos son: {', '.join(_VIEWS)}.")
        self.explorer = explorer
        self.view = view
        self.dpi = dpi
        style = {"description_width": "initial"}
        self.controls = {
            "activation": w.Dropdown(
                options=[(get_activation(a).display_name, a) for a in activations],
                value=get_activation(activation).name, description="Activación:", style=style,
            ),
            "depth": w.IntSlider(
                value=depth, min=2, max=explorer.max_depth, step=1, description="Profundidad L:",
                continuous_update=False, style=style,
            ),
            "width": w.SelectionSlider(
                options=list(explorer.widths), value=width, description="Anchura n:",
                continuous_update=False, style=style,
            ),
            "init": w.Dropdown(
                options=[(INITIALIZER_NAMES[i], i) for i in EXPLORER_INITS],
                value=init, description="Inicialización:", style=style,
            ),
        }
        if architecture:
            # las cuatro arquitecturas se compilan ahora: luego, ningún control compila
            explorer.warmup()
            self.controls.update({
                "residual": w.Checkbox(value=residual, description="Conexiones residuales",
                                       style=style),
                "residual_scale": w.FloatSlider(
                    value=residual_scale, min=0.0, max=1.5, step=0.05,
                    description="α (escala de la rama):", continuous_update=False, style=style,
                ),
                "batchnorm": w.Checkbox(value=batchnorm, description="Normalización por lotes",
                                        style=style),
            })
        rows = [
            w.HBox([self.controls["activation"], self.controls["init"]]),
            w.HBox([self.controls["depth"], self.controls["width"]]),
        ]
        if architecture:
            rows.append(w.HBox([self.controls[k] for k in ("residual", "residual_scale", "batchnorm")]))
        self._plot = ExplorerFigure(_canvas())
        self._start(rows)

    def _new_figure(self):
        return self._plot.fig

    def _render(self, fig, s: dict) -> str:
        result, theory = _draw(self._plot, self.explorer, self.view, s)
        return self._summary(result, s, theory)

    @staticmethod
    def _summary(result, s, theory: str | None) -> str:
        z, wn = result.preact_norm, result.weight_norm

        def ratio(v):
            # una capa en underflow tiene norma NaN
            if not np.isfinite(v[0]) or v[-1] == 0:
                return "sin medida (underflow)"
            return power_of_ten(f"{v[0] / v[-1]:.3g}")

        layer_grad = "‖∂L/∂h‖ (tronco)" if s.get("residual") else "‖∂L/∂Z‖"
        parts = [
            f"{layer_grad} capa 1 / capa {s['depth']}: <b>{ratio(z)}</b>",
            f"‖∂L/∂W‖ capa 1 / capa {s['depth']}: <b>{ratio(wn)}</b>",
            f"unidades saturadas en la capa {s['depth']}: <b>{100 * result.saturated_fraction[-1]:.1f} %</b>",
        ]
        if theory:
            parts.append(theory)
        return " · ".join(parts)



def gradient_explorer(
    explorer: GradientExplorer | None = None, *, view: str = "gradientes", **defaults
) -> ExplorerWidget:
    """Crea un explorador listo para mostrar (la última expresión de una celda).

    Args:
        explorer: un :class:`GradientExplorer` (si es ``None``, se crea uno con semilla 0).
        view: ``"gradientes"`` (normas por capa y saturación), ``"teoria"`` (además, la
            pendiente ½·ln χ₁ de la teoría de campo medio) o ``"activacion"`` (la activación
            con su región saturada y la saturación por capa).
        **defaults: valores iniciales (``activation``, ``depth``, ``width``, ``init``).
    """
    return ExplorerWidget(explorer or GradientExplorer(seed=0), view=view, **defaults)


def _canvas():
    """La figura de un explorador, del ancho del libro y sin diseño automático (constrained
    layout cuesta ~35 ms por redibujado): la del widget y la fija son iguales."""
    return plt.figure(figsize=(BOOK_WIDTH, 3.6))


def _draw(plot: ExplorerFigure, explorer: GradientExplorer, view: str, s: dict):
    """Calcula la configuración ``s`` y la dibuja en ``plot``: lo usan el widget y la figura
    fija (:func:`explorer_figure`), así que las dos no pueden diferir. Devuelve el resultado
    y el texto de la teoría (o ``None``)."""
    result = explorer(**s)
    name = get_activation(s["activation"]).display_name
    title = f"{name}, {INITIALIZER_NAMES[s['init']]}, L = {s['depth']}, n = {s['width']}"
    if s.get("residual"):
        title += f", residual (α = {s.get('residual_scale', 1.0):.2f})"
    if s.get("batchnorm"):
        title += ", normalización por lotes"
    kwargs = {}
    plain = not (s.get("residual") or s.get("batchnorm"))
    if view == "teoria" and plain:  # χ₁ describe la red simple, sin saltos ni normalización
        kwargs["predicted_slope"] = gradient_slope(
            s["activation"], sigma_w2=sigma_w2(s["init"], s["width"], s["width"])
        )
    elif view == "activacion":
        kwargs["activation_curve"] = _curve(s["activation"])
    plot.draw(result, title=title, stream=bool(s.get("residual")), **kwargs)
    theory = None
    if view == "teoria":
        slope = kwargs.get("predicted_slope")
        theory = (
            "teoría: χ₁ solo describe la red simple (sin saltos ni normalización)" if not plain
            else "teoría: sin punto fijo (la varianza crece sin límite)" if slope is None
            else f"teoría: ½·ln χ₁ = <b>{slope:.3f}</b> por capa"
        )
    return result, theory


def explorer_figure(explorer: GradientExplorer, *, view: str = "gradientes", **settings):
    """La figura fija de un explorador: la misma que dibuja el widget al abrirse con
    ``settings`` (``activation``, ``depth``, ``width``, ``init`` y, si hace falta,
    ``residual``, ``residual_scale`` y ``batchnorm``).
    """
    if view not in _VIEWS:
        raise ValueError(f"`view` = {view!r} no es válido. Los valores válidos son: {', '.join(_VIEWS)}.")
    plot = ExplorerFigure(_canvas())
    _draw(plot, explorer, view, settings)
    return plot.fig


# ---------------------------------------------------------------------------------------
# Explorador de las redes recurrentes (capítulo 7)
# ---------------------------------------------------------------------------------------
#: modelos del explorador recurrente: nombre → (celda, activación)
RECURRENT_MODELS = {
    "RNN tanh": ("rnn", "tanh"),
    "RNN lineal": ("rnn", "identity"),
    "LSTM": ("lstm", "tanh"),
    "GRU": ("gru", "tanh"),
}
#: longitudes que ofrece el explorador recurrente (cada una compila una vez por celda)
RECURRENT_LENGTHS = (25, 50, 100, 200)
_TIME_LABEL = "Paso de tiempo t"


def _draw_recurrent(fig, s: dict):
    """Calcula y dibuja la configuración ``s`` del explorador recurrente en ``fig``; lo usan el
    widget y la figura fija. Devuelve el :class:`vgcourse.TimeGradients`."""
    if s["model"] not in RECURRENT_MODELS:
        raise ValueError(
            f"`model` = {s['model']!r} no es válido. Los valores válidos son: "
            f"{', '.join(RECURRENT_MODELS)}."
        )
    cell, activation = RECURRENT_MODELS[s["model"]]
    result = time_profile(cell, activation=activation, length=s["length"], scale=s["scale"],
                          forget_bias=s["forget_bias"])
    series = {r"$\|\partial L/\partial h_t\|$": result.h_norm}
    if result.c_norm is not None:
        series[r"$\|\partial L/\partial c_t\|$ (celda)"] = result.c_norm
    title = f"{s['model']}, T = {s['length']}, valor singular de W = {s['scale']:.2f}"
    if cell == "lstm":
        title += f", sesgo de olvido = {s['forget_bias']:.1f}"
    fig.clear()
    plot_layer_norms(series, ax=fig.add_subplot(), xlabel=_TIME_LABEL, title=title,
                     ylabel="Norma del gradiente")
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.14, top=0.9)
    return result


def _time_summary(result) -> str:
    h = np.asarray(result.h_norm, dtype=float)
    if not (np.isfinite(h[0]) and h[-1] > 0):
        return "‖∂L/∂h_1‖ / ‖∂L/∂h_T‖: <b>sin medida (underflow)</b>"
    steps = h.size - 1
    factor = (h[0] / h[-1]) ** (1 / steps)
    return (f"‖∂L/∂h_1‖ / ‖∂L/∂h_T‖: <b>{power_of_ten(f'{h[0] / h[-1]:.3g}')}</b> · "
            f"factor medio por paso hacia el pasado: <b>{factor:.3f}</b>")


class RecurrentExplorerWidget(_PngExplorer):
    """Explorador de una red recurrente recién inicializada: ‖∂L/∂h_t‖ frente a t.

    Controles: el modelo (:data:`RECURRENT_MODELS`), la longitud T, el valor singular de los
    bloques de W y el sesgo de la puerta de olvido (solo cuenta en la LSTM). El cálculo es
    :func:`vgcourse.time_profile`; mover el valor singular o el sesgo no recompila.
    """

    def __init__(self, *, model: str = "RNN tanh", length: int = 100, scale: float = 1.0,
                 forget_bias: float = 1.0, dpi: int = 100):
        style = {"description_width": "initial"}
        self.dpi = dpi
        self.controls = {
            "model": w.Dropdown(options=list(RECURRENT_MODELS), value=model,
                                description="Modelo:", style=style),
            "length": w.SelectionSlider(options=list(RECURRENT_LENGTHS), value=length,
                                        description="Longitud T:", continuous_update=False,
                                        style=style),
            "scale": w.FloatSlider(value=scale, min=0.5, max=1.5, step=0.05,
                                   description="Valor singular de W:", continuous_update=False,
                                   style=style),
            "forget_bias": w.FloatSlider(value=forget_bias, min=-2.0, max=4.0, step=0.5,
                                         description="Sesgo de olvido (LSTM):",
                                         continuous_update=False, style=style),
        }
        self._start([
            w.HBox([self.controls["model"], self.controls["length"]]),
            w.HBox([self.controls["scale"], self.controls["forget_bias"]]),
        ])

    def _render(self, fig, s: dict) -> str:
        return _time_summary(_draw_recurrent(fig, s))


def recurrent_explorer(**defaults) -> RecurrentExplorerWidget:
    """El explorador recurrente listo para mostrar (``model``, ``length``, ``scale``,
    ``forget_bias``)."""
    return RecurrentExplorerWidget(**defaults)


def recurrent_explorer_figure(*, model: str = "RNN tanh", length: int = 100, scale: float = 1.0,
                              forget_bias: float = 1.0):
    """La figura fija del explorador recurrente: la misma que dibuja el widget al abrirse."""
    fig = _canvas()
    _draw_recurrent(fig, dict(model=model, length=length, scale=scale, forget_bias=forget_bias))
    return fig
