"""Las figuras dibujan lo que reciben (líneas, escalas, rótulos), sin calcular gradientes."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import vgcourse as vg  # noqa: E402
from vgcourse import plots  # noqa: E402


def test_plot_layer_norms_draws_one_line_per_series_on_log_scale():
    params, x, y = vg.problem(0, depth=40, width=32, n_in=32, batch=16)
    r64 = vg.layer_gradients(params, x, y, activation="sigmoid")
    r32 = vg.layer_gradients(params, x, y, activation="sigmoid", dtype="float32")
    fig = plots.plot_layer_norms(
        {"float64": r64.preact_norm, "float32": r32.preact_norm},
        underflow={"float32": r32.preact_underflow},
        title="Sigmoide, 40 capas",
    )
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "Capa l (1 = junto a la entrada)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["float64", "float32"]
    has_underflow = bool(np.any(r32.preact_underflow))
    assert ("float32: sin medida (underflow)" in labels) == has_underflow
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("float64", "float32")]
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    np.testing.assert_allclose(lines[0].get_ydata(), r64.preact_norm)
    plt.close(fig)


def test_plot_activation_shades_saturated_regions():
    x = np.linspace(-6, 6, 241)
    phi, dphi = vg.activation_curves("tanh", x)
    fig = plots.plot_activation(x, phi, dphi, bounds=vg.saturation_bounds("tanh"), name="Tangente hiperbólica")
    ax = fig.axes[0]
    assert len(ax.patches) == 2  # las dos colas saturadas
    assert ax.get_title() == "Tangente hiperbólica"
    plt.close(fig)
    phi, dphi = vg.activation_curves("relu", x)
    fig = plots.plot_activation(x, phi, dphi, bounds=vg.saturation_bounds("relu"), name="ReLU")
    assert len(fig.axes[0].patches) == 1
    plt.close(fig)


def test_plot_histograms():
    params, x, y = vg.problem(1, depth=6, width=16, n_in=8, batch=8)
    g = vg.layer_gradients(params, x, y, activation="tanh", return_arrays=True)
    edges, counts, _ = vg.gradient_histograms(g.preact_grads, bins=20)
    fig, ax = plt.subplots()
    assert plots.plot_gradient_histograms(edges, counts, ax=ax) is fig
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["capa 1", "capa 3", "capa 6"]
    assert ax.get_xlabel() == r"$\log_{10}|g|$"
    plt.close(fig)


def test_plot_spectrum_and_training_draw_what_they_are_given():
    spectra = {"a": np.full((4, 8), 1.0), "b": np.logspace(0, -3, 8)[None].repeat(4, 0)}
    fig = plots.plot_spectrum(spectra, title="t")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), np.logspace(0, -3, 8))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)
    fig = plots.plot_training({"x": ([0, 10, 20], [2.3, 1.0, 0.5])}, chance=np.log(10))
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    assert ax.get_lines()[1].get_ydata()[0] == np.log(10)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert {"0.5", "1", "2"} <= set(labels), labels  # rótulos legibles, no solo 10⁰
    # una pérdida que apenas cambia (una red que no aprende): escala lineal, con rótulos
    flat = plots.plot_training({"x": ([0, 10, 20], [2.36, 2.31, 2.303])}, chance=np.log(10))
    assert flat.axes[0].get_yscale() == "linear"
    assert "azar" in ax.get_legend().get_texts()[1].get_text()
    plt.close(fig)
    fig = plots.plot_saturation({"m": [0.0, 0.5]}, ylabel="Unidades muertas (%)")
    assert fig.axes[0].get_ylabel() == "Unidades muertas (%)"
    plt.close(fig)


def test_layer_heatmaps_share_one_log_scale_and_grey_out_underflow():
    step = np.arange(0, 50, 10)
    a = np.outer(np.ones(5), np.logspace(-12, 0, 8))
    b = a.copy()
    b[:, 0] = np.nan  # una capa sin medida
    fig = plots.plot_layer_heatmaps({"A": (step, a), "B": (step, b), "C": (step, a * 10)})
    meshes = [ax.collections[0] for ax in fig.axes[:3]]  # los paneles (después, la barra)
    assert len(meshes) == 3
    norms = {(m.norm.vmin, m.norm.vmax) for m in meshes}
    assert norms == {(1e-12, 10.0)}  # la misma escala en todos los paneles
    assert type(meshes[0].norm).__name__ == "LogNorm"
    titles = [ax.get_title() for ax in fig.axes]
    assert "B\n(gris: 5 celdas sin medida)" in titles
    assert sum(not ax.get_visible() for ax in fig.axes) == 1  # el cuarto hueco, oculto
    plt.close(fig)


def test_phase_diagram_draws_theory_critical_line_and_measured_points():
    w, b = np.linspace(0.5, 3, 6), np.linspace(0, 0.3, 4)
    _, chi = vg.phase_diagram("tanh", w, b)
    crit_b = np.linspace(0, 0.3, 5)
    fig = plots.plot_phase_diagram(
        w, b, chi, critical=(crit_b, vg.critical_sigma_w2("tanh", crit_b)),
        measured=([0.6, 2.5], [0.0, 0.1], [0.6, 1.2]))
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.get_lines() if "crítica" in ln.get_label()]
    np.testing.assert_allclose(line.get_xdata()[0], 1.0, atol=1e-6)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["línea crítica $\\chi_1 = 1$", "medido, $\\chi_1 < 1$", "medido, $\\chi_1 > 1$"]
    assert ax.get_xlabel().startswith("$\\sigma_w^2$")
    plt.close(fig)


def test_plot_block_factors_draws_measured_and_theory_from_block_2():
    theory = vg.residual_theory("relu", sigma_w2=2.0, alpha=1.0, depth=12).backward
    measured = np.full(11, 2.1)
    fig = plots.plot_block_factors({"medido": measured}, {"teoría": theory}, title="α = 1")
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"medido", "teoría"}
    np.testing.assert_array_equal(lines["medido"].get_xdata(), np.arange(2, 13))
    np.testing.assert_allclose(lines["teoría"].get_ydata(), theory)
    assert lines["teoría"].get_linestyle() == "--" and "h_{l-1}" in ax.get_ylabel()
    assert fig.get_figwidth() == plots.BOOK_WIDTH
    plt.close(fig)


def test_rates_and_task_results_draw_what_they_are_given():
    x = np.array([0.5, 1.0, 1.5])
    fig = plots.plot_rates(x, {"medido": [0.4, 0.9, 1.1]}, bound={"cota": x},
                           xlabel="Valor singular", ylabel="Factor")
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == ["medido", "cota"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), x)
    assert ax.get_xlabel() == "Valor singular"
    plt.close(fig)
    results = {"RNN": np.array([[0.1, 0.2, 0.3], [0.9, 1.0, 1.1]]), "LSTM": np.zeros((2, 3))}
    fig = plots.plot_task_results([10, 40], results)
    ax = fig.axes[0]
    medians = [ln for ln in ax.get_lines() if ln.get_label().endswith("(mediana)")]
    np.testing.assert_allclose(medians[0].get_ydata(), [0.2, 1.0])
    assert any(ln.get_label() == "predecir siempre 1" for ln in ax.get_lines())
    assert list(ax.get_xticks()) == [10, 40]
    plt.close(fig)
    fig = plots.plot_layer_norms({"a": [1.0, 0.1]}, xlabel="Paso de tiempo t")
    assert fig.axes[0].get_xlabel() == "Paso de tiempo t"
    plt.close(fig)
