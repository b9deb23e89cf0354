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

__all__ = [
    "PALETTE",
    "plot_activation",
    "plot_gradient_histograms",
    "plot_layer_norms",
    "style",
]

#: Paleta de Okabe e Ito (2008), apta para personas con daltonismo.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def style(i: int) -> dict:
    """Color, estilo de línea y marcador de la serie ``i``."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": _LINESTYLES[i % len(_LINESTYLES)],
        "marker": _MARKERS[i % len(_MARKERS)],
    }


def _axes(ax: Axes | None, figsize=(7, 4)) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_layer_norms(
    series: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    ylabel: str = r"$\|\partial L/\partial z_l\|$",
    title: str | None = None,
    underflow: Mapping[str, Sequence[bool]] | None = None,
    band: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
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
    """
    fig, ax = _axes(ax)
    for i, (label, values) in enumerate(series.items()):
        v = np.asarray(values, dtype=float)
        layers = np.arange(1, v.size + 1)
        st = style(i)
        every = max(1, v.size // 12)
        ax.plot(layers, v, label=label, markevery=every, markersize=5, linewidth=1.8, **st)
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
    ax.set_yscale("log")
    ax.set_xlabel("Capa l (1 = junto a la entrada)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
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
    fig, ax = _axes(ax)
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
    ax.set_xlabel(r"$\log_{10}|g|$")
    ax.set_ylabel("Fracción de componentes")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
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
        x, phi, dphi: abscisas, φ(x) y φ'(x) (calculadas por el núcleo numérico).
        bounds: ``(lower, upper)`` de :func:`vgcourse.saturation_bounds`.
        name: nombre en español para el título.
    """
    fig, ax = _axes(ax, figsize=(5, 3.5))
    x = np.asarray(x, dtype=float)
    ax.plot(x, phi, label=r"$\varphi(x)$", **{**style(0), "marker": None})
    ax.plot(x, dphi, label=r"$\varphi'(x)$", **{**style(1), "marker": None})
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
    ax.set_xlabel("x")
    ax.set_title(name)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig
