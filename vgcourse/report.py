"""Piezas para mostrar resultados en los capítulos: tablas HTML y ``glue``.

Sin matplotlib ni JAX: solo texto (y NumPy para reconocer sus números).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

__all__ = ["glue", "html_table"]


def html_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None):
    """Una tabla HTML (objeto que el cuaderno muestra como tabla; nbval compara su texto).

    Las celdas se escriben con ``str``: redondea los números antes de pasarlos.
    """
    from IPython.display import HTML

    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(
                f"La fila {i} de la tabla tiene {len(row)} celdas y la cabecera {len(headers)}: "
                "todas las filas deben tener una celda por columna."
            )
    esc = lambda v: html.escape(str(v))  # noqa: E731
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return HTML(f'<table class="vg-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def glue(name: str, value: object) -> None:
    """Guarda ``value`` con ``myst_nb.glue`` para citarlo en el texto del libro.

    Los números reales se guardan redondeados a 6 cifras significativas: el texto cita
    como mucho 4, y la representación guardada en el cuaderno (que nbval compara) no
    depende así del redondeo en la última cifra de float64, que cambia con el número de
    hilos o la CPU.

    Fuera del libro (por ejemplo, en Colab, donde myst-nb no está instalado) no hace nada:
    el valor sigue en la variable del cuaderno.
    """
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    if isinstance(value, (float, np.floating)):
        value = float(f"{float(value):.6g}")
    _glue(name, value, display=False)
