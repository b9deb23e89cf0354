"""Tablas HTML y glue: lo que los capítulos muestran y citan."""

import numpy as np
import pytest

import vgcourse as vg


def test_html_table_escapes_and_keeps_numbers():
    t = vg.html_table(["a<b", "x"], [("1.5e-31", "<script>")], caption="c & d")
    assert "<th>a&lt;b</th>" in t.data and "<td>1.5e-31</td>" in t.data
    assert "&lt;script&gt;" in t.data and "<caption>c &amp; d</caption>" in t.data


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
