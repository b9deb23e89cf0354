"""Piezas para mostrar resultados en los capítulos: números, tablas HTML y ``glue``.

Sin matplotlib ni JAX: solo texto (y NumPy para reconocer sus números). Los números se
escriben como en un texto en español: punto decimal (como recomienda la *Ortografía* de la
RAE de 2010) y potencias de diez como ``1.4 × 10⁻³¹``, nunca ``1.4e-31``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["glue", "html_table", "is_numeric_text", "math_table", "mean_field_table", "power_of_ten"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
#: un número en notación «e» que no forma parte de una palabra ni de otro número
_E_NOTATION = re.compile(r"(?<![\w.])([-−+]?\d+(?:\.\d+)?)e([+-]?)(\d+)(?![\w])")
#: un texto que es solo un número (con signo, intervalo ±, potencia de diez o %), o una raya
_NUMERIC = re.compile(
    r"^\s*[-−+]?(?:\d[\d.,]*|—)(?:\s*(?:±|–|-)\s*[\d.,]+)?"
    r"(?:\s*×\s*10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?\s*%?\s*$"
)


def power_of_ten(text: str) -> str:
    """Reescribe los números en notación «e» de ``text`` como potencias de diez.

    ``"1.4e-31"`` → ``"1.4 × 10⁻³¹"`` (con espacios que no se parten), ``"1e-05"`` →
    ``"10⁻⁵"``, ``"2.3e+00"`` → ``"2.3"``; el resto del texto no cambia.
    """

    def repl(match: re.Match) -> str:
        mantissa, sign, exponent = match.groups()
        exponent = str(int(exponent))
        mantissa = mantissa.lstrip("+")
        if exponent == "0":
            return mantissa
        power = "10" + ("-" + exponent if sign == "-" else exponent).translate(_SUPERSCRIPT)
        if mantissa in ("1", "1.0"):
            return power
        if mantissa in ("-1", "−1"):
            return "−" + power
        return f"{mantissa}\u00a0×\u00a0{power}"

    return _E_NOTATION.sub(repl, text)


def is_numeric_text(text: str) -> bool:
    """¿Es ``text`` solo un número (una celda de una columna numérica)?"""
    return bool(text.strip()) and bool(_NUMERIC.match(text))


def html_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None):
    """Una tabla HTML (objeto que el cuaderno muestra como tabla; nbval compara su texto).

    Las celdas se escriben con ``str``: redondea los números antes de pasarlos. Los números en
    notación «e» se escriben como potencias de diez, y las columnas en las que todas las
    celdas son números se alinean a la derecha (clase ``num``).
    """
    from IPython.display import HTML

    body_text = _cell_texts(headers, rows)
    # una columna es numérica si lo son todas sus celdas: se alinea a la derecha
    numeric = [bool(body_text) and all(is_numeric_text(r[j]) for r in body_text)
               for j in range(len(headers))]
    return HTML(_render_table(headers, body_text, numeric, caption))


def _cell_texts(headers, rows) -> list[list[str]]:
    """El texto de cada celda (``str``, con las potencias de diez escritas como ×10ⁿ); un
    ``ValueError`` si alguna fila no tiene una celda por columna."""
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(
                f"La fila {i} de la tabla tiene {len(row)} celdas y la cabecera {len(headers)}: "
                "todas las filas deben tener una celda por columna."
            )
    return [[power_of_ten(str(c)) for c in row] for row in rows]


def _render_table(headers, body_text, numeric, caption) -> str:
    """El HTML de una tabla (texto escapado; columnas ``numeric`` alineadas a la derecha)."""

    def cell(tag: str, text: str, j: int) -> str:
        cls = ' class="num"' if numeric[j] else ""
        return f"<{tag}{cls}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", str(h), j) for j, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", c, j) for j, c in enumerate(r)) + "</tr>"
                   for r in body_text)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="vg-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


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


#: órdenes de LaTeX que :func:`math_table` sabe escribir en HTML (las de las tablas del curso)
_TEX_SYMBOLS = {
    r"\sigma": "σ", r"\chi": "χ", r"\xi": "ξ", r"\varphi": "φ", r"\phi": "φ", r"\eta": "η",
    r"\varepsilon": "ε", r"\alpha": "α", r"\partial": "∂", r"\|": "‖", r"\ln": "ln\u2009",
    r"\pm": "±", r"\infty": "∞", r"\times": "×", r"\cdot": "·", r"\le": "≤", r"\ge": "≥",
    r"\to": "→", r"\tfrac12": "½\u2009", r"\,": "\u2009", r"\;": " ",
}
#: una orden con los espacios que la siguen (en una fórmula de TeX, los espacios no cuentan)
_TEX_COMMAND = re.compile(r"(\\(?:[A-Za-z]+(?:12)?|[|,;]))(?: +(?![=<>+−/-]))?")
_TEX_SCRIPT = re.compile(r"([_^])(?:\{([^{}]*)\}|([A-Za-z0-9*]))")
_TEX_MATH = re.compile(r"\$([^$]+)\$")


def _tex_to_html(tex: str) -> str:
    """Un trozo de LaTeX sencillo (ya escapado para HTML) como HTML: σ<sub>w</sub><sup>2</sup>."""
    def command(match: re.Match) -> str:
        name = match.group(1)
        if name not in _TEX_SYMBOLS:
            raise ValueError(
                f"math_table no sabe escribir {name!r} en HTML; usa una de "
                f"{', '.join(sorted(_TEX_SYMBOLS))} o escribe el símbolo en Unicode."
            )
        return _TEX_SYMBOLS[name]

    text = re.sub(r"\\(?:mathrm|text)\{([^{}]*)\}", r"\1", tex)
    text = _TEX_COMMAND.sub(command, text)
    text = _TEX_SCRIPT.sub(
        lambda m: f"<{'sub' if m.group(1) == '_' else 'sup'}>{m.group(2) or m.group(3)}"
                  f"</{'sub' if m.group(1) == '_' else 'sup'}>", text)
    return text.replace("{", "").replace("}", "")


def math_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *,
               caption: str | None = None):
    """Como :func:`html_table`, pero lo escrito entre ``$...$`` se muestra como fórmula.

    Cabeceras, celdas y pie pueden llevar LaTeX sencillo entre dólares (``"$\\sigma_w^2$"``):
    se escribe en HTML, con letras griegas en Unicode y subíndices y superíndices con
    ``<sub>``/``<sup>``, sin depender de MathJax (se ve igual en el libro, en Jupyter y en
    Colab). Solo admite las órdenes de ``_TEX_SYMBOLS``, ``\\mathrm{}``/``\\text{}`` y
    ``_``/``^``; cualquier otra da un ``ValueError``.

    Returns:
        Un ``IPython.display.HTML`` con la tabla.
    """
    from IPython.display import HTML

    body_text = _cell_texts(headers, rows)

    # numérica (alineada a la derecha): con algún número y, en lugar de los que faltan, solo
    # una palabra («∞», «cualquiera»)
    def numeric(j: int) -> bool:
        cells = [r[j] for r in body_text]
        return any(is_numeric_text(c) for c in cells) and all(
            is_numeric_text(c) or (c.strip() and " " not in c.strip() and "$" not in c)
            for c in cells)

    table = _render_table(headers, body_text, [numeric(j) for j in range(len(headers))],
                          caption)
    return HTML(_TEX_MATH.sub(lambda m: _tex_to_html(m.group(1)), table))


def mean_field_table(results, *, width: int, fit: tuple[int, int]):
    """La tabla del capítulo 6: teoría de campo medio frente a redes medidas, una fila por red.

    Args:
        results: ``{etiqueta: {"q_star", "chi1", "norms", "slopes"}}``: el punto fijo ``q*``
            (``None`` si todo ``q`` es un punto fijo, como ReLU con He), χ₁, las normas
            ``‖∂L/∂Z_l‖`` medidas ``(semillas, L)`` (capa 1 = columna 0) y la pendiente por
            capa hacia la entrada de cada semilla ``(semillas,)``
            (:func:`vgcourse.layer_slope`). Las etiquetas pueden llevar ``$...$``.
        width: anchura de las redes medidas (para el pie).
        fit: ``(primera, última)`` capa del ajuste de la pendiente (para el pie).

    Columnas: ``q*``, χ₁, la escala de profundidad ξ = 1/|ln χ₁| (∞ si χ₁ = 1), la predicción
    χ₁^((L−1)/2) del cociente entre la capa 1 y la L, ese cociente medido (media geométrica
    entre semillas), ½ ln χ₁ y la pendiente medida (media ± error estándar entre semillas).

    Returns:
        Un ``IPython.display.HTML`` (:func:`math_table`).
    """
    rows, any_q, n_seeds, depth = [], False, 0, 0
    for label, r in results.items():
        norms = np.log(np.asarray(r["norms"], dtype=float))
        n_seeds, depth = norms.shape
        slopes = np.asarray(r["slopes"], dtype=float)
        chi, q_star = float(r["chi1"]), r["q_star"]
        any_q |= q_star is None
        log_chi = np.log(chi)
        rows.append((
            label,
            "cualquiera" if q_star is None else "0" if q_star < 1e-12 else f"{q_star:.3g}",
            f"{chi:.4f}",
            "∞" if abs(log_chi) < 1e-9 else f"{1 / abs(log_chi):.3g}",
            f"{chi ** ((depth - 1) / 2):.3g}",
            f"{np.exp(np.mean(norms[:, 0] - norms[:, -1])):.3g}",
            f"{round(0.5 * log_chi, 4) + 0.0:+.4f}",  # sin «−0.0000» cuando χ₁ = 1
            f"{slopes.mean():+.4f} ± {slopes.std(ddof=1) / np.sqrt(slopes.size):.4f}",
        ))
    caption = (
        r"Cociente $\|\partial L/\partial Z_1\| / \|\partial L/\partial Z_L\|$ "
        f"(L = {depth} capas) y pendiente de $\\ln\\|\\partial L/\\partial Z_l\\|$ por capa hacia"
        f" la entrada (ajustada entre las capas {fit[0]} y {fit[1]}): teoría de campo medio y"
        f" medida (anchura {width}, media de {n_seeds} semillas ± su error estándar, pesos"
        " gaussianos, sin normalización)."
    )
    if any_q:
        caption += (" «Cualquiera»: el mapa de varianza es la identidad y todo $q$ es un"
                    " punto fijo.")
    headers = ["Red", "$q^*$", r"$\chi_1$", r"$\xi = 1/|\ln\chi_1|$", r"$\chi_1^{(L−1)/2}$",
               "Cociente medido", r"$\tfrac12\ln\chi_1$", "Pendiente medida (± e. e.)"]
    return math_table(headers, rows, caption=caption)
