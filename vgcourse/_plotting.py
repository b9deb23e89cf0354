"""Piezas de dibujo compartidas por :mod:`vgcourse.plots` y :mod:`vgcourse.animation` (no es API pública).

Estilo de las series (paleta de Okabe e Ito, estilos de línea y marcadores), rótulos
``10ⁿ`` y el acabado común de los ejes. Solo dibuja: no importa nada que calcule.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

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


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float, _pos=None) -> str:
    """Rótulo ``10⁻²⁰`` en texto plano (sin mathtext: se dibuja mucho más deprisa)."""
    if value <= 0 or not np.isfinite(value):
        return ""
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-6:
        return ""
    return "10" + str(int(round(exponent))).translate(_SUPERSCRIPT)


#: ancho de las figuras en pulgadas: a 100 puntos por pulgada, 670 píxeles, el ancho con que
#: el libro muestra una figura en su columna (672 px en una pantalla de 1280 px). Dibujadas a
#: ese ancho, un rótulo de 10 puntos se ve a unos 14 píxeles, como el texto.
BOOK_WIDTH = 6.7
BOOK_DPI = 100
#: alto de una fila de paneles, en pulgadas
BOOK_HEIGHT = 3.8


def book_figure(nrows: int = 1, ncols: int = 1, *, height: float | None = None, **kwargs):
    """``fig, axes`` del ancho del libro, con diseño automático (``plt.subplots``).

    Args:
        nrows, ncols: paneles por columna y por fila.
        height: alto en pulgadas (por defecto, :data:`BOOK_HEIGHT` por fila de paneles).
        **kwargs: se pasan a ``plt.subplots`` (``sharex``, ``sharey``...).
    """
    height = BOOK_HEIGHT * nrows if height is None else height
    return plt.subplots(nrows, ncols, figsize=(BOOK_WIDTH, height), dpi=BOOK_DPI,
                        layout="constrained", **kwargs)


def new_axes(ax: Axes | None, height: float = BOOK_HEIGHT) -> tuple[Figure, Axes]:
    """Los ejes ``ax`` o, si es ``None``, una figura nueva del ancho del libro."""
    if ax is None:
        return book_figure(height=height)
    return ax.figure, ax


def layer_line(ax: Axes, i: int, label: str, values: np.ndarray) -> tuple[np.ndarray, dict]:
    """Dibuja la serie ``i`` frente a la capa (1..L) con su estilo; devuelve ``(capas, estilo)``."""
    st = style(i)
    layers = np.arange(1, values.size + 1)
    ax.plot(layers, values, label=label, markevery=max(1, values.size // 12), markersize=5,
            linewidth=1.8, **st)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # las capas son enteras
    return layers, st


LAYER_LABEL = "Capa l (1 = junto a la entrada)"


def positive_range(arrays) -> tuple[float, float]:
    """Mínimo y máximo de los valores positivos y finitos de ``arrays`` (para un eje o una
    escala de color logarítmicos comunes a varias series o fotogramas)."""
    values = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        raise ValueError("No hay ningún valor positivo y finito que dibujar.")
    return float(positive.min()), float(positive.max())


def finish_axes(ax: Axes, *, xlabel: str, ylabel: str | None = None, title: str | None = None,
                 log: bool = False) -> None:
    """Etiquetas, título, rejilla y leyenda; con ``log``, eje vertical logarítmico con rótulos 10ⁿ."""
    if log:
        ax.set_yscale("log")
        # a lo sumo ~7 potencias de 10 rotuladas y marcas menores sin rótulo: legible con
        # rangos de 1e-40 a 1, y barato de redibujar en los exploradores
        ax.yaxis.set_major_locator(LogLocator(numticks=7))
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0), numticks=7))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
