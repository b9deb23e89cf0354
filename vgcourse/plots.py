"""Figuras del curso (matplotlib, etiquetas en español).

Las funciones de este módulo **solo dibujan**: reciben arreglos ya calculados por
el núcleo numérico y un ``ax`` opcional, y devuelven la figura. Nunca calculan
gradientes. Colores de la paleta de Okabe e Ito (distinguibles por personas con
daltonismo); además, cada serie tiene su propio estilo de línea y marcador.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from vgcourse._plotting import (
    BOOK_DPI,
    BOOK_HEIGHT,
    BOOK_WIDTH,
    LAYER_LABEL,
    PALETTE,
    book_figure,
    finish_axes,
    layer_line,
    new_axes,
    positive_range,
    power_of_ten,
    style,
)

__all__ = [
    "BOOK_WIDTH",
    "ExplorerFigure",
    "LAYER_LABEL",
    "PALETTE",
    "plot_activation",
    "plot_block_factors",
    "plot_explorer",
    "plot_saturation",
    "plot_gradient_histograms",
    "plot_layer_heatmaps",
    "plot_layer_norms",
    "plot_phase_diagram",
    "plot_rates",
    "plot_task_results",
    "plot_spectrum",
    "plot_training",
    "book_style",
    "figure",
    "style",
]


def book_style() -> None:
    """Tamaños de letra y de figura para el libro (llámala una vez, en la celda de preparación).

    Las figuras se dibujan al ancho con que el libro las muestra (:data:`BOOK_WIDTH` pulgadas a
    100 ppp): así un rótulo de 10 puntos se lee como el texto, sin que el navegador lo encoja.
    No se llama al importar el paquete (importar no cambia la configuración global).
    """
    plt.rcParams.update({
        "figure.figsize": (BOOK_WIDTH, BOOK_HEIGHT),
        "figure.dpi": BOOK_DPI,
        "savefig.dpi": BOOK_DPI,
        "font.size": 10,
        "axes.titlesize": 10.5,
        "axes.labelsize": 10,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "legend.fontsize": 8.5,
        "figure.titlesize": 11,
    })


#: ``fig, axes`` del ancho del libro (``vgp.figure(1, 2, sharey=True)``)
figure = book_figure

def plot_layer_norms(
    series: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    ylabel: str = r"$\|\partial L/\partial z_l\|$",
    title: str | None = None,
    underflow: Mapping[str, Sequence[bool]] | None = None,
    band: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    xlabel: str = LAYER_LABEL,
) -> Figure:
    """Norma del gradiente frente a la capa (capa 1 = junto a la entrada), en escala logarítmica.

    Args:
        series: ``{etiqueta: normas (L,)}``; los ``NaN`` no se dibujan.
        ax: ejes donde dibujar (si es ``None``, se crea una figura nueva).
        ylabel: etiqueta del eje vertical.
        title: título opcional.
        underflow: ``{etiqueta: máscara (L,)}`` de capas sin medida por *underflow*; se
            marcan con una × sobre el eje inferior y una nota en la leyenda.
        band: ``{etiqueta: (mínimo (L,), máximo (L,))}`` para sombrear la dispersión
            entre semillas.
        xlabel: etiqueta del eje horizontal (otra que la capa: p. ej. el paso de tiempo t de una
            red recurrente, con el paso 1 en el índice 0).
    """
    fig, ax = new_axes(ax)
    for i, (label, values) in enumerate(series.items()):
        layers, st = layer_line(ax, i, label, np.asarray(values, dtype=float))
        if band is not None and label in band:
            lo, hi = (np.asarray(b, dtype=float) for b in band[label])
            ax.fill_between(layers, lo, hi, color=st["color"], alpha=0.15, linewidth=0)
        if underflow is not None and label in underflow:
            mask = np.asarray(underflow[label], dtype=bool)
            if mask.any():
                ax.plot(
                    layers[mask], np.zeros(mask.sum()), linestyle="none", marker="x",
                    color=st["color"], transform=ax.get_xaxis_transform(), clip_on=False,
                    label=f"{label}: sin medida (underflow)",
                )
    finish_axes(ax, xlabel=xlabel, ylabel=ylabel, title=title, log=True)
    return fig


def plot_gradient_histograms(
    edges: Sequence[float],
    counts: np.ndarray,
    *,
    layers: Sequence[int] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Histogramas de ``log10|g|`` de varias capas (salida de :func:`vgcourse.gradient_histograms`).

    Args:
        edges: bordes ``(bins+1,)`` en log10.
        counts: cuentas ``(L, bins)``.
        layers: capas a dibujar, numeradas desde 1 (por defecto, la primera, la del medio y la última).
    """
    fig, ax = new_axes(ax)
    edges = np.asarray(edges, dtype=float)
    counts = np.asarray(counts)
    n_layers = counts.shape[0]
    if layers is None:
        layers = sorted({1, (n_layers + 1) // 2, n_layers})
    for i, layer in enumerate(layers):
        if not 1 <= layer <= n_layers:
            raise ValueError(f"`layers` contiene {layer}; las capas válidas van de 1 a {n_layers}.")
        c = counts[layer - 1]
        total = c.sum()
        dens = c / total if total else c.astype(float)
        st = style(i)
        ax.stairs(dens, edges, label=f"capa {layer}", color=st["color"],
                  linestyle=st["linestyle"], linewidth=1.8)
    finish_axes(ax, xlabel=r"$\log_{10}|g|$", ylabel="Fracción de componentes", title=title)
    return fig


def plot_activation(
    x: Sequence[float],
    phi: Sequence[float],
    dphi: Sequence[float],
    *,
    bounds: tuple[float, float],
    name: str,
    ax: Axes | None = None,
) -> Figure:
    """Una activación y su derivada, con la región saturada sombreada.

    Args:
        x, phi, dphi: abscisas z, φ(z) y φ'(z) (calculadas por el núcleo numérico).
        bounds: ``(lower, upper)`` de :func:`vgcourse.saturation_bounds`.
        name: nombre en español para el título.
    """
    fig, ax = new_axes(ax, height=3.5)
    x = np.asarray(x, dtype=float)
    ax.plot(x, phi, label=r"$\varphi(z)$", **{**style(0), "marker": None})
    ax.plot(x, dphi, label=r"$\varphi'(z)$", **{**style(1), "marker": None})
    lower, upper = bounds
    shaded = False
    if np.isfinite(lower) and lower > x.min():
        ax.axvspan(x.min(), lower, color="0.5", alpha=0.2, label="región saturada")
        shaded = True
    if np.isfinite(upper) and upper < x.max():
        ax.axvspan(upper, x.max(), color="0.5", alpha=0.2,
                   label=None if shaded else "región saturada")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlim(x.min(), x.max())
    finish_axes(ax, xlabel="z", title=name)
    return fig


def plot_saturation(
    series: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Unidades saturadas (%)",
) -> Figure:
    """Fracción de preactivaciones en la región saturada, por capa (capa 1 = junto a la entrada).

    Args:
        series: ``{etiqueta: fracciones (L,)}`` entre 0 y 1 (se dibujan en %).
        ylabel: etiqueta del eje vertical (sirve también para otras fracciones por capa,
            como la de unidades muertas).
    """
    fig, ax = new_axes(ax)
    for i, (label, values) in enumerate(series.items()):
        layer_line(ax, i, label, 100 * np.asarray(values, dtype=float))
    ax.set_ylim(-3, 103)
    finish_axes(ax, xlabel=LAYER_LABEL, ylabel=ylabel, title=title)
    return fig


def plot_spectrum(
    spectra: Mapping[str, Sequence[Sequence[float]]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    resolution: float = 1e-14,
) -> Figure:
    """Valores singulares del jacobiano entrada-salida, ordenados de mayor a menor.

    Args:
        spectra: ``{etiqueta: valores singulares (B, k)}`` (de
            :func:`vgcourse.jacobian_spectrum`); se dibuja la mediana sobre los B ejemplos
            de cada posición y, sombreado, el rango entre el percentil 5 y el 95.
        resolution: un valor singular menor que ``resolution`` veces el mayor de todos no es
            una medida sino el redondeo de float64 (la SVD lo calcula con un error de ese
            orden relativo al mayor): se dibuja en ese suelo, marcado con una línea gris.
    """
    fig, ax = new_axes(ax)
    floor = resolution * max(float(np.max(v)) for v in spectra.values())
    if any(float(np.min(v)) < floor for v in spectra.values()):
        ax.axhline(floor, color="0.45", linewidth=1, linestyle=":",
                   label="resolución de float64")
    for i, (label, values) in enumerate(spectra.items()):
        v = np.maximum(np.asarray(values, dtype=float), floor)
        rank = np.arange(1, v.shape[1] + 1)
        st = style(i)
        ax.plot(rank, np.median(v, axis=0), label=label, markevery=max(1, rank.size // 10),
                markersize=5, linewidth=1.8, **st)
        lo, hi = np.percentile(v, [5, 95], axis=0)
        ax.fill_between(rank, lo, hi, color=st["color"], alpha=0.15, linewidth=0)
    finish_axes(ax, xlabel="Valor singular k (de mayor a menor)",
                 ylabel=r"$s_k$ de $\partial h_L / \partial x$", title=title, log=True)
    return fig


def plot_training(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    chance: float | None = None,
    chance_label: str = "azar",
    xlabel: str = "Paso de descenso de gradiente",
    ylabel: str = "Pérdida de entrenamiento",
) -> Figure:
    """Pérdida de entrenamiento frente al paso, en escala logarítmica.

    Args:
        series: ``{etiqueta: (pasos (T,), pérdida (T,))}`` (p. ej. ``h.step, h.loss`` de
            :class:`vgcourse.TrainingHistory`).
        chance: si se da, línea horizontal con la pérdida de adivinar al azar (ln 10 con 10 clases).
        chance_label: su nombre en la leyenda (p. ej. «predecir siempre 1»).
        xlabel, ylabel: etiquetas de los ejes. Una pérdida ``NaN`` (una divergencia) no se dibuja.
    """
    fig, ax = new_axes(ax)
    for i, (label, (step, loss)) in enumerate(series.items()):
        step = np.asarray(step, dtype=float)
        ax.plot(step, np.asarray(loss, dtype=float), label=label,
                markevery=max(1, step.size // 8), markersize=5, linewidth=1.8, **style(i))
    if chance is not None:
        ax.axhline(chance, color="0.4", linewidth=1, linestyle=":",
                   label=f"{chance_label} ({chance:.2f})")
    lo, hi = positive_range([np.asarray(loss, dtype=float) for _, loss in series.values()])
    # escala logarítmica si la pérdida recorre al menos un factor 3 (rótulos en 1, 2 y 5 ×10ⁿ,
    # escritos como números); si no, lineal: una escala log no tendría ningún rótulo
    log = hi / lo >= 3
    finish_axes(ax, xlabel=xlabel, ylabel=ylabel, title=title, log=log)
    if log:
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    return fig


def plot_block_factors(
    measured: Mapping[str, Sequence[float]],
    theory: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Factor por bloque del cuadrado del gradiente del tronco, medido y teórico.

    Args:
        measured: ``{etiqueta: factores (L − 1,)}`` de los bloques 2..L,
            ``‖∂L/∂h_{l−1}‖² / ‖∂L/∂h_l‖²`` (p. ej. la media geométrica de varias semillas).
        theory: ``{etiqueta: factores (L − 1,)}`` (p. ej. ``vgcourse.residual_theory(...).backward``),
            en líneas grises discontinuas.
    """
    fig, ax = new_axes(ax)
    for i, (label, values) in enumerate(measured.items()):
        values = np.asarray(values, dtype=float)
        blocks = np.arange(2, values.size + 2)
        ax.plot(blocks, values, label=label, markevery=max(1, values.size // 10), **style(i))
    for j, (label, values) in enumerate(theory.items()):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(2, values.size + 2), values, color="0.2", linewidth=1.6 + 0.4 * j,
                linestyle=("--", ":", "-.")[j % 3], label=label)
    finish_axes(ax, xlabel="Bloque l",
                ylabel=r"$\|\partial L/\partial h_{l-1}\|^2 \,/\, \|\partial L/\partial h_l\|^2$",
                title=title)
    return fig


def plot_explorer(
    result,
    *,
    title: str,
    predicted_slope: float | None = None,
    activation_curve: tuple | None = None,
    stream: bool = False,
    fig: Figure | None = None,
) -> Figure:
    """La figura de los exploradores: normas del gradiente (izquierda) y saturación (derecha).

    Args:
        result: un :class:`vgcourse.explorer.ExplorerResult` (ya calculado).
        title: título general de la figura.
        predicted_slope: si se da, recta de pendiente ½·ln χ₁ por capa (hacia la entrada)
            anclada en la última capa, sobre ‖∂L/∂Z_l‖.
        activation_curve: si se da, ``(x, φ, φ', bounds, nombre)``: el panel izquierdo
            muestra la activación en lugar de las normas.
        stream: red residual: la primera norma es la del gradiente del tronco, ‖∂L/∂h_l‖.
        fig: figura que se reutiliza (se borra su contenido); si es ``None``, se crea una.
    """
    if fig is None:
        fig = plt.figure(figsize=(BOOK_WIDTH, 3.6), dpi=BOOK_DPI, layout="constrained")
    _draw_explorer(fig, result, title=title, predicted_slope=predicted_slope,
                   activation_curve=activation_curve, stream=stream)
    return fig


class ExplorerFigure:
    """La figura de un explorador interactivo, que se redibuja sin rehacerse.

    Dibuja lo mismo que :func:`plot_explorer`, pero cuando solo cambian los datos (otra
    profundidad, anchura o inicialización con las mismas series y la misma leyenda) mueve
    las líneas que ya existen en lugar de borrar la figura y crear de nuevo ejes, marcas y
    textos, que es lo que más cuesta de cada cambio de un control. Si cambia lo que se
    dibuja (la activación del panel izquierdo, la leyenda, las capas sin medida), la dibuja
    desde cero.

    Attributes:
        fig: la figura de matplotlib.
        redraws: cuántas veces se ha dibujado desde cero (el resto, solo se movieron datos).
    """

    def __init__(self, fig: Figure | None = None):
        self.fig = plt.figure(figsize=(BOOK_WIDTH, 3.6), dpi=BOOK_DPI) if fig is None else fig
        self.redraws = 0
        self._key = None
        self._handles: dict = {}

    def draw(self, result, *, title: str, predicted_slope: float | None = None,
             activation_curve: tuple | None = None, stream: bool = False) -> Figure:
        """Dibuja ``result`` como :func:`plot_explorer` (mismos argumentos) y devuelve la figura."""
        key = _explorer_key(result, predicted_slope, activation_curve, stream)
        if key != self._key:
            self._handles = _draw_explorer(
                self.fig, result, title=title, predicted_slope=predicted_slope,
                activation_curve=activation_curve, stream=stream)
            self._key = key
            self.redraws += 1
            return self.fig
        h = self._handles
        layers = np.arange(1, result.saturated_fraction.size + 1)
        every = max(1, layers.size // 12)  # como layer_line
        for line, values in zip(h["norms"], (result.preact_norm, result.weight_norm)):
            line.set_data(layers, np.asarray(values, dtype=float))
            line.set_markevery(every)
        if h["slope"] is not None:
            h["slope"].set_data(layers, _slope_line(result.preact_norm, predicted_slope))
        h["saturation"].set_data(layers, 100 * np.asarray(result.saturated_fraction, dtype=float))
        h["saturation"].set_markevery(every)
        for ax in (h["left"], h["right"]):
            ax.relim()
            ax.autoscale_view()
        h["title"].set_text(title)
        return self.fig


def _slope_line(preact_norm, predicted_slope: float) -> np.ndarray:
    depth = preact_norm.size
    return preact_norm[-1] * np.exp(predicted_slope * (depth - np.arange(1, depth + 1)))


def _explorer_key(result, predicted_slope, activation_curve, stream) -> tuple:
    """Lo que decide qué artistas y qué leyenda tiene la figura del explorador."""
    if activation_curve is not None:
        return ("activation", activation_curve[4])
    last = result.preact_norm[-1]
    slope = predicted_slope is not None and bool(np.isfinite(last) and last > 0)
    masks = tuple(tuple(np.flatnonzero(m)) for m in (result.preact_underflow, result.weight_underflow))
    return ("norms", stream, slope, masks)


def _draw_explorer(fig: Figure, result, *, title, predicted_slope, activation_curve,
                   stream) -> dict:
    """Dibuja la figura del explorador desde cero en ``fig``; devuelve sus artistas."""
    fig.clear()
    ax_left, ax_right = fig.subplots(1, 2)
    norms, slope = [], None
    if activation_curve is not None:
        x, phi, dphi, bounds, name = activation_curve
        plot_activation(x, phi, dphi, bounds=bounds, name=name, ax=ax_left)
        ax_left.set_title("")  # el nombre ya está en el título general
    else:
        series = {
            (r"$\|\partial L/\partial h_l\|$ (tronco)" if stream
             else r"$\|\partial L/\partial Z_l\|$ (preactivaciones)"): result.preact_norm,
            r"$\|\partial L/\partial W_l\|$ (pesos)": result.weight_norm,
        }
        underflow = dict(zip(series, (result.preact_underflow, result.weight_underflow)))
        plot_layer_norms(series, ax=ax_left, ylabel="Norma del gradiente", underflow=underflow)
        norms = [line for line in ax_left.get_lines() if line.get_label() in series]
        last = result.preact_norm[-1]
        if predicted_slope is not None and np.isfinite(last) and last > 0:
            layers = np.arange(1, result.preact_norm.size + 1)
            (slope,) = ax_left.plot(layers, _slope_line(result.preact_norm, predicted_slope),
                                    color="0.35", linestyle=":", linewidth=2,
                                    label=r"teoría: $\frac{1}{2}\ln\chi_1$ por capa")
            ax_left.legend(fontsize="small")
    plot_saturation({"fracción saturada": result.saturated_fraction}, ax=ax_right)
    ax_right.get_legend().remove()
    (saturation,) = ax_right.get_lines()
    suptitle = fig.suptitle(title)
    if fig.get_layout_engine() is None:
        # márgenes fijos: el explorador redibuja sin el coste del diseño automático
        fig.subplots_adjust(left=0.11, right=0.98, bottom=0.14, top=0.88, wspace=0.38)
    return {"left": ax_left, "right": ax_right, "norms": norms, "slope": slope,
            "saturation": saturation, "title": suptitle}


def plot_layer_heatmaps(
    panels: Mapping[str, tuple[Sequence[float], np.ndarray]],
    *,
    colorbar_label: str = r"$\|\partial L/\partial Z_l\|$",
    title: str | None = None,
    ncols: int = 2,
) -> Figure:
    """Mapas de calor capa × paso, uno por panel, con una escala de color logarítmica común.

    Args:
        panels: ``{título del panel: (pasos (T,), valores (T, L))}`` (capa 1 = columna 0).
            Las celdas ``NaN`` (sin medida: *underflow* o un cambio por debajo de la
            resolución) y los ceros exactos se pintan en gris y se indican en el título.
        colorbar_label: rótulo de la barra de color.
        title: título general.
        ncols: paneles por fila.
    """
    from matplotlib.colors import LogNorm

    items = [(k, np.asarray(s, dtype=float), np.asarray(v, dtype=float))
             for k, (s, v) in panels.items()]
    norm = LogNorm(*positive_range(v for _, _, v in items))
    nrows = -(-len(items) // ncols)
    fig, axes = book_figure(nrows, ncols, height=2.9 * nrows, sharex=True, squeeze=False)
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.75")
    for ax, (label, step, v) in zip(axes.flat, items):
        depth = v.shape[1]
        # celdas centradas en cada paso registrado y en cada capa entera
        dx = step[1] - step[0] if step.size > 1 else 1.0
        x_edges = np.concatenate([step - dx / 2, [step[-1] + dx / 2]])
        y_edges = np.arange(depth + 1) + 0.5
        mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(v.T), norm=norm, cmap=cmap,
                             shading="flat", rasterized=True)
        missing = int(np.isnan(v).sum())
        ax.set_title(label if not missing else f"{label}\n(gris: {missing} celdas sin medida)",
                     fontsize="medium")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("Capa l")
    for ax in axes[-1]:
        ax.set_xlabel("Paso de entrenamiento")
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    fig.colorbar(mesh, ax=axes, label=colorbar_label, format=FuncFormatter(power_of_ten))
    if title:
        fig.suptitle(title)
    return fig


def plot_phase_diagram(
    sigma_w2s: Sequence[float],
    sigma_b2s: Sequence[float],
    chi: np.ndarray,
    *,
    critical: tuple[Sequence[float], Sequence[float]] | None = None,
    measured: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Diagrama de fases (σ_w², σ_b²): ln χ₁ en color, la línea crítica y puntos medidos.

    Args:
        sigma_w2s, sigma_b2s: ejes de la malla, formas ``(W,)`` y ``(B,)``.
        chi: χ₁ teórico ``(B, W)`` (de :func:`vgcourse.theory.phase_diagram`).
        critical: ``(σ_b², σ_w² crítico)`` de la línea χ₁ = 1.
        measured: ``(σ_w², σ_b², χ₁ medido)`` de redes medidas: marcadores con el mismo
            color que la teoría (círculo: ordenada, χ₁ < 1; triángulo: caótica, χ₁ > 1).
    """
    from matplotlib.colors import TwoSlopeNorm

    fig, ax = new_axes(ax, height=4.2)
    log_chi = np.log(np.asarray(chi, dtype=float))
    # escala simétrica alrededor de ln χ₁ = 0 que satura en el 5 % más extremo: así se
    # distinguen los colores cerca de la línea crítica, que es lo que importa
    span = float(np.nanpercentile(np.abs(log_chi), 95))
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span)
    mesh = ax.pcolormesh(np.asarray(sigma_w2s), np.asarray(sigma_b2s), log_chi, cmap="RdBu_r",
                         norm=norm, shading="nearest", rasterized=True)
    fig.colorbar(mesh, ax=ax, extend="both",
                 label=r"$\ln \chi_1$ (azul: se desvanece; rojo: explota)")
    if critical is not None:
        b, w = (np.asarray(a, dtype=float) for a in critical)
        ax.plot(w, b, color="black", linewidth=2.2, label=r"línea crítica $\chi_1 = 1$")
    if measured is not None:
        w, b, c = (np.asarray(a, dtype=float) for a in measured)
        for mask, marker, label in ((c < 1, "o", r"medido, $\chi_1 < 1$"),
                                    (c >= 1, "^", r"medido, $\chi_1 > 1$")):
            ax.scatter(w[mask], b[mask], c=np.log(c[mask]), cmap="RdBu_r", norm=norm,
                       marker=marker, s=70, edgecolors="black", linewidths=1.0, label=label,
                       zorder=3)
    ax.set_xlim(min(sigma_w2s), max(sigma_w2s))
    pad = 0.03 * (max(sigma_b2s) - min(sigma_b2s))  # los puntos con σ_b² = 0, enteros
    ax.set_ylim(min(sigma_b2s) - pad, max(sigma_b2s))
    ax.set_xlabel(r"$\sigma_w^2$ (varianza de los pesos × $n_{\mathrm{in}}$)")
    ax.set_ylabel(r"$\sigma_b^2$ (varianza de los sesgos)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_rates(
    x: Sequence[float],
    measured: Mapping[str, Sequence[float]],
    *,
    bound: Mapping[str, Sequence[float]] | None = None,
    xlabel: str,
    ylabel: str,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Un factor medido (p. ej. el factor por paso de tiempo del gradiente) frente a un parámetro.

    Args:
        x: valores del parámetro (K,) (p. ej. el valor singular de W).
        measured: ``{etiqueta: factores (K,)}``, con los colores y marcadores del libro.
        bound: ``{etiqueta: valores (K,)}``: cotas o predicciones, en líneas grises discontinuas.
        xlabel, ylabel: etiquetas de los ejes.
    """
    fig, ax = new_axes(ax)
    x = np.asarray(x, dtype=float)
    for i, (label, values) in enumerate(measured.items()):
        ax.plot(x, np.asarray(values, dtype=float), label=label, markersize=6, **style(i))
    for j, (label, values) in enumerate((bound or {}).items()):
        ax.plot(x, np.asarray(values, dtype=float), color="0.2", linewidth=1.4,
                linestyle=("--", ":", "-.")[j % 3], label=label)
    finish_axes(ax, xlabel=xlabel, ylabel=ylabel, title=title)
    return fig


def plot_task_results(
    lengths: Sequence[int],
    results: Mapping[str, np.ndarray],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Pérdida de prueba / referencia",
    baseline_label: str = "predecir siempre 1",
) -> Figure:
    """Resultado de una tarea frente a la longitud de la secuencia: mediana y cada semilla.

    Args:
        lengths: longitudes (L,).
        results: ``{etiqueta: (L, S)}`` pérdida relativa de cada longitud y semilla (1 = la
            referencia); la mediana, en línea con marcadores; cada semilla, un punto claro.
        baseline_label: nombre de la línea horizontal en 1.
    """
    fig, ax = new_axes(ax)
    lengths = np.asarray(lengths, dtype=float)
    for i, (label, values) in enumerate(results.items()):
        values = np.asarray(values, dtype=float)
        st = style(i)
        ax.plot(lengths, np.nanmedian(values, axis=1), label=f"{label} (mediana)", markersize=7, **st)
        for s in range(values.shape[1]):
            ax.plot(lengths, values[:, s], linestyle="none", marker=st["marker"], color=st["color"],
                    alpha=0.35, markersize=4)
    ax.axhline(1.0, color="0.4", linewidth=1, linestyle=":", label=baseline_label)
    ax.set_xticks(lengths)
    finish_axes(ax, xlabel="Longitud T de la secuencia", ylabel=ylabel, title=title)
    return fig
