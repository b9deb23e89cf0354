"""Los exploradores interactivos: cablean controles, cálculo y figura, sin recompilar."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from helpers import count_compilations  # noqa: E402
from vgcourse.explorer import GradientExplorer  # noqa: E402
from vgcourse.report import power_of_ten  # noqa: E402
from vgcourse.widgets import ExplorerWidget, explorer_figure, gradient_explorer  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def explorer():
    return GradientExplorer(seed=0, max_depth=10, widths=(8, 16), n_in=8, batch=4)


@pytest.mark.parametrize("view", ["gradientes", "teoria", "activacion"])
def test_every_control_redraws_without_recompiling(explorer, view):
    ui = gradient_explorer(explorer, view=view, activation="sigmoid", depth=6, width=8,
                           init="xavier_normal")
    assert bytes(ui.image.value).startswith(PNG_MAGIC)
    changes = [("activation", "relu"), ("init", "he_normal"), ("depth", 10), ("width", 16),
               ("activation", "selu"), ("activation", "tanh"), ("depth", 2), ("init", "standard")]
    images = {bytes(ui.image.value)}
    with count_compilations() as compiled:
        for name, value in changes:
            ui.controls[name].value = value
            assert ui.settings()[name] == value
            images.add(bytes(ui.image.value))
    assert compiled["jit(_explore_core)"] == 0, compiled
    assert len(ui.latencies) == 1 + len(changes)
    assert len(images) == 1 + len(changes)  # cada cambio produjo una figura distinta


def _fresh_png(explorer, view, settings) -> bytes:
    """La figura fija de ``settings`` (dibujada desde cero), codificada como la del widget."""
    import io

    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = explorer_figure(explorer, view=view, **settings)
    plt.close(fig)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


@pytest.mark.parametrize("view", ["gradientes", "teoria", "activacion"])
def test_moving_the_lines_draws_the_same_figure_as_drawing_from_scratch(explorer, view):
    # el widget solo mueve las líneas cuando puede: el PNG que envía tras cada cambio es,
    # byte a byte, el de la figura fija de la misma configuración dibujada desde cero
    ui = gradient_explorer(explorer, view=view, architecture=True, activation="tanh", depth=6,
                           width=8, init="xavier_normal")
    changes = [("depth", 9), ("width", 16), ("init", "he_normal"), ("depth", 3),
               ("init", "standard"), ("activation", "relu"), ("residual", True),
               ("residual_scale", 0.5), ("depth", 10), ("batchnorm", True), ("width", 8)]
    for name, value in changes:
        ui.controls[name].value = value
        assert bytes(ui.image.value) == _fresh_png(explorer, view, ui.settings()), (name, value)
    # y de verdad se movieron: solo se dibujó desde cero al cambiar la leyenda o el panel
    # izquierdo (la activación en la vista «activacion», las conexiones residuales, la recta
    # de la teoría en la vista «teoria»)
    assert ui._plot.redraws <= 3, ui._plot.redraws


def test_summary_reports_the_current_numbers(explorer):
    ui = gradient_explorer(explorer, view="teoria", activation="sigmoid", depth=10, width=16,
                           init="xavier_normal")
    r = explorer(activation="sigmoid", depth=10, width=16, init="xavier_normal")
    ratio = f"{r.preact_norm[0] / r.preact_norm[-1]:.3g}"  # 2.9e-06, escrito 2.9 × 10⁻⁶
    assert "e-" in ratio and power_of_ten(ratio) in ui.summary.value
    assert "½·ln χ₁ = <b>-1.44" in ui.summary.value
    ui.controls["activation"].value = "selu"
    ui.controls["init"].value = "he_normal"
    assert "sin punto fijo" in ui.summary.value  # SELU con He: la varianza crece sin límite


def test_the_figure_has_the_expected_content(explorer):
    ui = ExplorerWidget(explorer, view="teoria", activation="tanh", depth=8, width=16, init="standard")
    left, right = ui._fig.axes
    assert left.get_yscale() == "log"
    labels = [line.get_label() for line in left.get_lines()]
    assert any("preactivaciones" in lab for lab in labels)
    assert any("pesos" in lab for lab in labels)
    assert any("teoría" in lab for lab in labels)
    assert right.get_ylabel() == "Unidades saturadas (%)"
    assert left.get_xlabel() == "Capa l (1 = junto a la entrada)"
    xs = left.get_lines()[0].get_xdata()
    np.testing.assert_array_equal(xs, np.arange(1, 9))


def test_bad_view_is_a_spanish_error(explorer):
    with pytest.raises(ValueError, match="Los valores válidos son: gradientes, teoria, activacion"):
        gradient_explorer(explorer, view="grafica")


def test_architecture_controls_never_compile_after_creation(explorer):
    ui = gradient_explorer(explorer, architecture=True, activation="relu", depth=8, width=16,
                           init="he_normal", residual=True)
    with count_compilations() as compiled:
        for name, value in [("residual_scale", 0.25), ("batchnorm", True), ("residual", False),
                            ("activation", "tanh"), ("batchnorm", False), ("depth", 3)]:
            ui.controls[name].value = value
    assert compiled["jit(_explore_core)"] == 0, compiled
    assert "residual" not in ui.settings() or ui.settings()["residual"] is False
    assert set(ui.controls) >= {"residual", "residual_scale", "batchnorm"}


def test_theory_line_only_for_the_plain_network(explorer):
    ui = gradient_explorer(explorer, view="teoria", architecture=True, activation="tanh",
                           depth=8, width=16, init="xavier_normal")
    assert any("teoría" in line.get_label() for line in ui._fig.axes[0].get_lines())
    ui.controls["residual"].value = True
    assert not any("teoría" in line.get_label() for line in ui._fig.axes[0].get_lines())
    assert "solo describe la red simple" in ui.summary.value


# ---------------------------------------------------------------------------------------
# El explorador recurrente (capítulo 7)
# ---------------------------------------------------------------------------------------
def test_recurrent_explorer_redraws_every_control_and_reports_the_numbers():
    import vgcourse as vg
    from vgcourse.widgets import recurrent_explorer, recurrent_explorer_figure

    ex = recurrent_explorer(model="RNN lineal", length=25, scale=0.8)
    assert ex.image.value[:8] == PNG_MAGIC
    # la red lineal con todos los valores singulares iguales a 0.8: el factor es 0.8 exactamente
    assert "factor medio por paso hacia el pasado: <b>0.800</b>" in ex.summary.value
    with count_compilations() as compiled:
        ex.controls["scale"].value = 1.2  # el valor singular no recompila
    assert sum(compiled.values()) == 0, dict(compiled)
    assert "<b>1.200</b>" in ex.summary.value
    ex.controls["model"].value = "LSTM"
    ex.controls["forget_bias"].value = 3.0
    ratio = vg.time_profile("lstm", length=25, scale=1.2, forget_bias=3.0).h_norm
    assert power_of_ten(f"{ratio[0] / ratio[-1]:.3g}") in ex.summary.value
    assert len(ex.latencies) == 4
    fig = recurrent_explorer_figure(model="LSTM", length=25, scale=1.2, forget_bias=3.0)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Paso de tiempo t" and ax.get_yscale() == "log"
    assert len([ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]) == 2  # h y c
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), ratio)


def test_recurrent_explorer_unknown_model_is_a_spanish_error():
    from vgcourse.widgets import recurrent_explorer_figure

    with pytest.raises(ValueError, match="Los valores válidos son: RNN tanh, RNN lineal, LSTM, GRU"):
        recurrent_explorer_figure(model="Transformer")
