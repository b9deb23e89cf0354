"""Tablas HTML y glue: lo que los capítulos muestran y citan."""

import numpy as np
import pytest

import vgcourse as vg


def test_html_table_escapes_and_keeps_numbers():
    t = vg.html_table(["a<b", "x"], [("1.5e-31", "<script>")], caption="c & d")
    assert '<th class="num">a&lt;b</th>' in t.data
    assert '<td class="num">1.5\u00a0×\u00a010⁻³¹</td>' in t.data
    assert "<td>&lt;script&gt;</td>" in t.data and "<caption>c &amp; d</caption>" in t.data


def test_numbers_are_written_as_powers_of_ten():
    assert vg.power_of_ten("cae 5e+21 veces; 1e-05; 2.3e+00; x1e-5") == (
        "cae 5\u00a0×\u00a010²¹ veces; 10⁻⁵; 2.3; x1e-5")
    assert vg.is_numeric_text("4.7\u00a0×\u00a010⁻¹⁷") and vg.is_numeric_text("−0.03 ± 0.01")
    assert not vg.is_numeric_text("ReLU + He") and not vg.is_numeric_text("")


def test_html_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="La fila 1 de la tabla tiene 1 celdas y la cabecera 2"):
        vg.html_table(["a", "b"], [(1, 2), (3,)])


def test_glue_rounds_floats_to_six_significant_digits(monkeypatch):
    import myst_nb

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: seen.update({name: value}))
    vg.glue("a", 0.22431750109579274)
    vg.glue("b", np.float64(4.741234567e-17))
    vg.glue("c", 7)
    assert seen == {"a": 0.224318, "b": 4.74123e-17, "c": 7}
    assert type(seen["b"]) is float


def test_math_table_writes_simple_latex_as_html():
    t = vg.math_table(
        ["Red", r"$\chi_1^{(L-1)/2}$", "$q^*$"],
        [(r"tanh, $\sigma_w^2 = 1.5$, $\sigma_b^2 < 0.05$", "1e-5", "∞"), ("b", "cualquiera", "2"),
         ("c", "una palabra", "3")],
        caption=r"$\|\partial L/\partial Z_1\|$ y $\tfrac12 \ln\chi_1$",
    ).data
    assert "<td>tanh, σ<sub>w</sub><sup>2</sup> = 1.5, σ<sub>b</sub><sup>2</sup> &lt; 0.05</td>" in t
    assert "<th>χ<sub>1</sub><sup>(L-1)/2</sup></th>" in t
    # una columna con números y, donde faltan, una sola palabra («∞») se alinea a la derecha
    assert '<td class="num">∞</td>' in t and '<td class="num">2</td>' in t
    assert "<td>10⁻⁵</td>" in t and "<td>cualquiera</td>" in t  # «una palabra» no es una
    assert "<caption>‖∂L/∂Z<sub>1</sub>‖ y ½\u2009ln\u2009χ<sub>1</sub></caption>" in t
    assert "$" not in t and "\\" not in t
    with pytest.raises(ValueError, match=r"no sabe escribir '\\\\sqrt'"):
        vg.math_table(["a"], [(r"$\sqrt{2}$",)])
    with pytest.raises(ValueError, match="La fila 0 de la tabla tiene 2 celdas"):
        vg.math_table(["a"], [(1, 2)])


def test_mean_field_table_summarizes_theory_and_measurement():
    # dos semillas con el gradiente exactamente exponencial: pendiente −0.1 por capa hacia la
    # entrada, cociente capa 1 / capa 30 = e^(−0.1·29)
    depth = 30
    norms = np.exp(-0.1 * (depth - np.arange(1, depth + 1)))[None].repeat(2, axis=0)
    chi = float(np.exp(-0.2))
    t = vg.mean_field_table(
        {"$\\sigma_w^2 = 2$": dict(q_star=None, chi1=1 - 4e-16, norms=norms, slopes=[-0.1, -0.1]),
         "ordenada": dict(q_star=0.5, chi1=chi, norms=norms, slopes=[-0.09, -0.11])},
        width=64, fit=(5, 25),
    ).data
    assert "<td>σ<sub>w</sub><sup>2</sup> = 2</td>" in t
    assert '<td class="num">cualquiera</td>' in t and '<td class="num">∞</td>' in t
    assert '<td class="num">0.055</td>' in t  # e^(−2.9), medido y predicho
    assert t.count('<td class="num">0.055</td>') == 3
    assert '<td class="num">5</td>' in t  # ξ = 1/0.2
    assert '<td class="num">-0.1000 ± 0.0100</td>' in t  # media ± error estándar
    assert '<td class="num">-0.1000</td>' in t  # ½ ln χ₁
    assert "anchura 64, media de 2 semillas" in t and "capas 5 y 25" in t
    assert "«Cualquiera»" in t
    assert '<td class="num">+0.0000</td>' in t  # χ₁ = 1 hasta el redondeo: sin «−0.0000»
    assert "‖∂L/∂Z<sub>1</sub>‖ / ‖∂L/∂Z<sub>L</sub>‖" in t
