"""La rejilla precalculada de los exploradores sin núcleo y su figura de Bokeh.

La rejilla tiene que dar, configuración a configuración, lo mismo que el explorador con
núcleo (los mismos gradientes exactos); la figura tiene que llevar esos números sin tocarlos
y controles etiquetados. Lo que hace el navegador con ellos lo prueba ``test_site.py``.
"""

import base64
import json
import re

import numpy as np
import pytest

import vgcourse as vg
from vgcourse.charts import explorer_chart
from vgcourse.report import power_of_ten


@pytest.fixture(scope="module")
def explorer():
    return vg.GradientExplorer(seed=2, max_depth=12, widths=(8, 16), n_in=10, n_out=2, batch=6)


@pytest.fixture(scope="module")
def grid(explorer):
    return vg.explorer_grid(explorer, activations=("sigmoid", "relu"), inits=("he_normal", "standard"),
                            widths=(8, 16), depths=(3, 7, 12), residual=(False, True),
                            residual_scales=(0.5, 1.0), batchnorm=(False, True), theory=True)


def _settings(grid):
    for a in grid.activations:
        for i in grid.inits:
            for n in grid.widths:
                for r, alpha, bn in grid.architectures:
                    for d in grid.depths:
                        yield dict(activation=a, init=i, width=n, depth=d, residual=r,
                                   residual_scale=alpha, batchnorm=bn)


def test_every_setting_equals_the_kernel_explorer(explorer, grid):
    """Cada configuración de la rejilla (48 × 3 profundidades) es la del explorador con núcleo:
    la misma red, el mismo lote, los mismos gradientes exactos."""
    assert grid.size == 2 * 2 * 2 * 6 * 3
    worst = 0.0
    for s in _settings(grid):
        ref = explorer(**s)
        p = grid.profile(**s)
        for got, want in ((p.preact_norm, ref.preact_norm), (p.weight_norm, ref.weight_norm)):
            assert got.shape == (s["depth"],)
            assert np.array_equal(np.isnan(got), np.isnan(want))
            worst = max(worst, float(np.nanmax(np.abs(got / want - 1))))
        np.testing.assert_allclose(p.saturated_fraction, ref.saturated_fraction, atol=1e-15)
    assert worst < 1e-10


def test_layers_beyond_the_depth_are_not_values(grid):
    z = grid.preact_norm[0, 0, 0, 0, 0]  # profundidad 3 de una rejilla con 12 capas
    assert np.all(np.isfinite(z[:3])) and np.all(np.isnan(z[3:]))


def test_theory_slope_is_the_mean_field_one(grid):
    p = grid.profile(activation="relu", init="he_normal", width=16, depth=7)
    assert p.theory_slope == pytest.approx(vg.gradient_slope("relu", sigma_w2=2.0))
    assert np.isnan(grid.profile(activation="relu", init="he_normal", width=16, depth=7,
                                 residual=True, residual_scale=0.5).theory_slope)


def test_grid_errors_are_spanish_and_list_what_is_valid(explorer, grid):
    with pytest.raises(ValueError, match="Los valores válidos son:.*sigmoid"):
        vg.explorer_grid(explorer, activations=("sigmoide",))
    with pytest.raises(ValueError, match="entre 2 y 12"):
        vg.explorer_grid(explorer, depths=(5, 20))
    with pytest.raises(ValueError, match="no es una anchura del explorador. Sus anchuras son: 8, 16"):
        vg.explorer_grid(explorer, widths=(32,))
    with pytest.raises(TypeError, match="GradientExplorer"):
        vg.explorer_grid("explorador")
    with pytest.raises(ValueError, match="no está en la rejilla.*3, 7, 12"):
        grid.profile(activation="relu", init="he_normal", width=8, depth=5)
    with pytest.raises(ValueError, match="con saltos \\(α = 0.5\\)"):
        grid.profile(activation="relu", init="he_normal", width=8, depth=7, residual=True,
                     residual_scale=0.7)


MULTI_DEVICE_GRID = r"""
import json
import jax, numpy as np
import vgcourse as vg
from vgcourse import explorer as E
vg.enable_x64()
ex = E.GradientExplorer(seed=2, max_depth=12, widths=(8, 16), n_in=10, n_out=2, batch=6)
kw = dict(activations=("sigmoid", "relu"), inits=("he_normal", "standard", "xavier_normal"),
          depths=(3, 7, 12), residual=(False, True), residual_scales=(0.5, 1.0),
          batchnorm=(False, True))
one = E.explorer_grid(ex, shard=False, **kw)
grid_jit, devices = E._grid_jit, []
def spy(*args):  # cuántos dispositivos tienen las salidas de cada programa de la rejilla
    fn = grid_jit(*args)
    def call(*a):
        out = fn(*a)
        devices.append(len(out[0].sharding.device_set))
        return out
    return call
E._grid_jit = spy
many = E.explorer_grid(ex, **kw)
err = {}
for f in ("preact_norm", "weight_norm", "saturated_fraction"):
    a, b = getattr(one, f), getattr(many, f)
    assert a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b)), f
    m = np.isfinite(a) & (a != 0)
    err[f] = float(np.max(np.abs(a[m] - b[m]) / np.abs(a[m])))
print(json.dumps({"count": jax.local_device_count(), "err": err, "devices": sorted(set(devices))}))
"""


def test_grid_shards_its_rows_across_devices_with_the_same_numbers():
    """Con 4 dispositivos de CPU (un proceso aparte con
    XLA_FLAGS=--xla_force_host_platform_device_count=4), las filas de cada programa de la
    rejilla (inicialización × α) se reparten entre los cuatro: las 6 de las redes residuales
    (3 inicializaciones × 2 α) se completan hasta 8; las 3 de la red simple, menos que
    dispositivos, van en uno, como las semillas de gradient_sweep. La rejilla es la de un solo
    dispositivo a 1e-12."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", MULTI_DEVICE_GRID], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["count"] == 4
    assert report["devices"] == [1, 4]
    assert max(report["err"].values()) < 1e-12, report["err"]


def test_grid_shard_argument_is_checked(explorer):
    with pytest.raises(TypeError, match="`shard` debe ser None, True o False"):
        vg.explorer_grid(explorer, depths=(3,), shard="sí")


def _payload(chart):
    data = re.search(r'class="vg-chart-data">([^<]*)</script>', chart.html)[1]
    return json.loads(data)


def _decode(b64):
    return np.frombuffer(base64.b64decode(b64), dtype="<f8")


def test_chart_carries_the_grid_numbers_untouched(grid):
    chart = explorer_chart(grid, view="teoria", name="prueba", activation="relu", depth=7,
                           width=16, init="he_normal")
    p = _payload(chart)
    z, w, sat = _decode(p["z"]), _decode(p["w"]), _decode(p["sat"])
    assert z.size == grid.size // len(grid.depths) * sum(grid.depths)
    # la misma aritmética de posiciones que el programa del navegador
    blocks = list(np.ndindex(*grid.preact_norm.shape[:4]))
    for block in blocks[::5]:
        for k, depth in enumerate(grid.depths):
            off = blocks.index(block) * sum(grid.depths) + sum(grid.depths[:k])
            np.testing.assert_array_equal(z[off:off + depth], grid.preact_norm[block + (k,)][:depth])
            np.testing.assert_array_equal(w[off:off + depth], grid.weight_norm[block + (k,)][:depth])
    np.testing.assert_array_equal(sat, grid.saturated_fraction.reshape(-1))
    assert p["explorer"]["seed"] == 2 and p["explorer"]["widths"] == [8, 16]
    assert p["archs"][0] == [False, 1.0, False]


def test_chart_controls_are_labelled_and_start_at_the_settings(grid):
    chart = explorer_chart(grid, view="gradientes", name="prueba", activation="sigmoid", depth=12,
                           width=8, init="standard", residual=True, residual_scale=0.5,
                           batchnorm=True)
    html = chart.html
    for axis in ("activation", "init", "depth", "width", "residual", "alpha", "batchnorm"):
        cid = f"vg-chart-prueba-{axis}"
        assert f'id="{cid}" data-axis="{axis}"' in html, axis
        assert f'<label for="{cid}">' in html, axis
    assert 'data-axis="depth" min="0" max="2" step="1" value="2"' in html
    assert re.search(r'id="vg-chart-prueba-residual" data-axis="residual" checked', html)
    assert "Sigmoide, Estándar" in html and "residual (α = 0.50)" in html
    assert "profundidades de 3, 7 y 12 capas" in html  # la página dice qué valores hay
    assert "anchuras 8 y 16; α = 0.50 y 1.00" in html


def test_chart_readout_states_the_measured_ratio(grid, explorer):
    s = dict(activation="sigmoid", depth=12, width=16, init="standard")
    chart = explorer_chart(grid, view="gradientes", **s)
    z = explorer(**s).preact_norm
    assert power_of_ten(f"{z[0] / z[-1]:.3g}") in chart.summary
    assert power_of_ten(f"{z[0] / z[-1]:.3g}") in repr(chart)
    assert chart._repr_html_() == chart.html


def test_chart_html_is_deterministic_apart_from_its_data(grid):
    """nbval compara el HTML de la celda: fuera de los datos (que compara el navegador),
    no puede cambiar de una ejecución a otra."""
    make = lambda: explorer_chart(grid, view="teoria", activation="relu", depth=7,  # noqa: E731
                                  width=8, init="he_normal").html
    strip = lambda h: re.sub(r'class="vg-chart-data">[^<]*<', "", h)  # noqa: E731
    assert strip(make()) == strip(make())


def test_views_that_need_theory_or_curves_say_how_to_get_them(explorer):
    plain = vg.explorer_grid(explorer, activations=("relu",), inits=("he_normal",), widths=(8,),
                             depths=(3,))
    assert plain.theory_slope is None and plain.curves is None
    assert np.isnan(plain.profile(activation="relu", init="he_normal", width=8, depth=3).theory_slope)
    for view, flag in (("teoria", "theory=True"), ("activacion", "curves=True")):
        with pytest.raises(ValueError, match=re.escape(flag)):
            explorer_chart(plain, view=view, activation="relu", depth=3, width=8, init="he_normal")
    explorer_chart(plain, view="gradientes", activation="relu", depth=3, width=8, init="he_normal")


def test_default_names_differ_between_explorers_and_repeat_between_runs(grid):
    """En la edición de una sola página todos los exploradores del libro comparten documento:
    sus ids no pueden repetirse; y nbval compara el HTML: no pueden cambiar de una ejecución a
    otra."""
    a = explorer_chart(grid, view="teoria", activation="relu", depth=7, width=8, init="he_normal")
    b = explorer_chart(grid, view="gradientes", activation="relu", depth=7, width=8, init="he_normal")
    again = explorer_chart(grid, view="teoria", activation="relu", depth=7, width=8, init="he_normal")
    assert a.name != b.name and a.name == again.name and a.name.startswith("explorador-")


def test_chart_errors_are_spanish(grid):
    with pytest.raises(ValueError, match="Los valores válidos son: gradientes, teoria, activacion"):
        explorer_chart(grid, view="grafica", activation="relu", depth=7, width=8, init="he_normal")
    with pytest.raises(ValueError, match="no está en la rejilla"):
        explorer_chart(grid, activation="tanh", depth=7, width=8, init="he_normal")
    with pytest.raises(ValueError, match="sin espacios"):
        explorer_chart(grid, name="mi explorador", activation="relu", depth=7, width=8,
                       init="he_normal")
