"""Entrenamiento por descenso de gradiente, datos de dígitos y cadena escalar."""

import jax
import numpy as np
import pytest

import vgcourse as vg


def _small_problem(seed=0, depth=3):
    params = vg.init_mlp(jax.random.key(seed), depth=depth, width=6, n_in=5, n_out=3)
    x, y = vg.random_batch(jax.random.key(seed + 1), batch=8, n_in=5, n_out=3)
    y = jax.nn.one_hot(np.arange(8) % 3, 3)
    return params, x, y


def test_one_step_is_exactly_minus_lr_times_the_gradient():
    params, x, y = _small_problem()
    lr = 0.3
    h = vg.train(params, x, y, activation="tanh", steps=1, learning_rate=lr, x_test=x, y_test=y,
                 record_every=1)
    g = vg.layer_gradients(params, x, y, activation="tanh", loss="cross_entropy")
    w0 = np.array([np.linalg.norm(params["input"]["W"])]
                  + [np.linalg.norm(w) for w in params["hidden"]["W"]])
    # tras un paso, ‖W_l(1) − W_l(0)‖ = η ‖∂L/∂W_l‖
    np.testing.assert_allclose(h.weight_change[1] * w0, lr * np.asarray(g.weight_norm), rtol=1e-12)
    np.testing.assert_allclose(h.weight_grad_norm[0], g.weight_norm, rtol=1e-12)
    np.testing.assert_allclose(h.loss[0], g.loss, rtol=1e-12)
    assert np.all(h.weight_change[0] == 0)
    np.testing.assert_array_equal(h.step, [0, 1])


def test_training_reduces_the_loss_and_records_every_k_steps():
    params, x, y = _small_problem(depth=2)
    h = vg.train(params, x, y, activation="relu", steps=60, learning_rate=0.1, x_test=x, y_test=y,
                 record_every=20)
    np.testing.assert_array_equal(h.step, [0, 20, 40, 60])
    assert h.weight_change.shape == (4, 2)
    assert np.all(np.diff(h.loss) < 0)  # descenso de gradiente con paso pequeño: baja siempre
    assert h.loss[-1] < 0.8 * h.loss[0]
    assert h.test_accuracy[-1] > h.test_accuracy[0]


def test_train_validates_in_spanish():
    params, x, y = _small_problem()
    with pytest.raises(ValueError, match="múltiplo de `record_every`"):
        vg.train(params, x, y, activation="tanh", steps=7, learning_rate=0.1, x_test=x, y_test=y,
                 record_every=5)
    with pytest.raises(ValueError, match="learning_rate"):
        vg.train(params, x, y, activation="tanh", steps=5, learning_rate=-1.0, x_test=x, y_test=y,
                 record_every=5)
    with pytest.raises(ValueError, match="Los valores válidos son"):
        vg.train(params, x, y, activation="tanhh", steps=5, learning_rate=0.1, x_test=x, y_test=y,
                 record_every=5)


def test_digits_are_standardized_deterministic_and_one_hot():
    pytest.importorskip("sklearn")
    a, b = vg.load_digits(seed=0), vg.load_digits(seed=0)
    c = vg.load_digits(seed=1)
    assert a.x_train.shape == (1438, 64) and a.x_test.shape == (359, 64)
    assert a.y_train.shape == (1438, 10)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    np.testing.assert_allclose(np.sum(a.y_train, axis=1), 1)
    x = np.asarray(a.x_train)
    used = x.std(axis=0) > 0
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x[:, used].std(axis=0), 1, rtol=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu"])
def test_scalar_chain_is_the_product_of_its_factors(activation):
    w = np.array([0.7, -1.3, 2.1, 0.4, -0.9])
    b = np.array([0.1, 0.0, -0.2, 0.3, 0.05])
    _, z = vg.chain_forward(w, b, 0.8, activation=activation)
    by_hand = np.prod(np.asarray(vg.derivative(activation)(z)) * w)
    np.testing.assert_allclose(vg.chain_grad(w, b, 0.8, activation=activation), by_hand, rtol=1e-13)
    # y contra diferencias centradas de la salida
    f = lambda x0: float(vg.chain_forward(w, b, x0, activation=activation)[0])  # noqa: E731
    eps = 1e-6
    np.testing.assert_allclose((f(0.8 + eps) - f(0.8 - eps)) / (2 * eps), by_hand, rtol=1e-7)


def test_scalar_chain_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="misma longitud L"):
        vg.chain_forward(np.ones(3), np.ones(4), 0.0, activation="tanh")


def test_html_table_escapes_and_keeps_numbers():
    t = vg.html_table(["a<b", "x"], [("1.5e-31", "<script>")], caption="c & d")
    assert "<th>a&lt;b</th>" in t.data and "<td>1.5e-31</td>" in t.data
    assert "&lt;script&gt;" in t.data and "<caption>c &amp; d</caption>" in t.data


@pytest.mark.parametrize("arch", [dict(residual=True, residual_scale=0.5), dict(batchnorm=True),
                                  dict(residual=True, batchnorm=True)])
def test_one_step_with_residual_and_batchnorm(arch):
    params, x, y = _small_problem(depth=4)
    lr = 0.2
    h = vg.train(params, x, y, activation="tanh", steps=1, learning_rate=lr, x_test=x, y_test=y,
                 record_every=1, **arch)
    g = vg.layer_gradients(params, x, y, activation="tanh", loss="cross_entropy",
                           return_arrays=True, **arch)
    expected = jax.tree.map(lambda p, d: p - lr * d, params, g.weight_grads)
    for a, b in zip(jax.tree.leaves(h.params), jax.tree.leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_lr_grid_equals_separate_runs_and_picks_the_lowest_loss():
    params, x, y = _small_problem(depth=2)
    rates = (0.01, 0.1, 0.3)
    grid = vg.train_lr_grid(params, x, y, learning_rates=rates, activation="tanh", steps=20,
                            x_test=x, y_test=y, record_every=5)
    finals = []
    for lr in rates:
        h = vg.train(params, x, y, activation="tanh", steps=20, learning_rate=lr, x_test=x,
                     y_test=y, record_every=5)
        finals.append(h.loss[-1])
    np.testing.assert_allclose(grid.final_loss, finals, rtol=1e-9)
    assert grid.best_learning_rate == rates[int(np.argmin(finals))]
    np.testing.assert_allclose(grid.history.loss[-1], min(finals), rtol=1e-9)
    with pytest.raises(ValueError, match="al menos una tasa"):
        vg.train_lr_grid(params, x, y, learning_rates=(), activation="tanh", steps=5,
                         x_test=x, y_test=y, record_every=5)


def test_dead_fraction_counts_units_silent_for_the_whole_batch():
    params, x, y = _small_problem(depth=2)
    before = np.asarray(vg.layer_statistics(params, x, activation="relu").dead_fraction)[0] * 6
    z = np.asarray(x) @ np.asarray(params["input"]["W"])
    alive = np.flatnonzero((z > 0).any(axis=0))[:2]  # dos unidades vivas de la capa 1...
    b = np.zeros(6)
    b[alive] = -1e3  # ...que un sesgo muy negativo apaga para todos los ejemplos
    params["input"]["b"] = jax.numpy.asarray(b)
    relu = vg.layer_statistics(params, x, activation="relu")
    leaky = vg.layer_statistics(params, x, activation="leaky_relu")
    assert float(relu.dead_fraction[0]) * 6 == pytest.approx(before + 2)
    assert float(leaky.dead_fraction[0]) == 0.0


def test_full_batch_relu_training_is_chaotic_but_residual_sigmoid_is_not():
    # Lo que afirma el capítulo 4 («¿Cuánto valen las cifras de la pérdida?»): agrupar los
    # 200 pasos en bloques de 10, 20 o 40 solo cambia el redondeo. La red residual sigmoide
    # da la misma pérdida; la ReLU + He con η = 0.03 se separa (caos), así que sus cifras no
    # se pueden comparar con nbval y su celda lleva `nbval-ignore-output`.
    data = vg.load_digits(seed=0)

    def final_losses(activation, init, lr, **arch):
        params = vg.init_mlp(jax.random.key(0), depth=20, width=64, n_in=64, n_out=10, init=init)
        return np.array([
            vg.train(params, data.x_train, data.y_train, activation=activation, steps=200,
                     learning_rate=lr, record_every=every, x_test=data.x_test,
                     y_test=data.y_test, **arch).loss[-1]
            for every in (10, 20, 40)
        ])

    residual = final_losses("sigmoid", "standard", 1.0, residual=True)
    np.testing.assert_allclose(residual, residual[0], rtol=1e-8)
    assert residual[0] < 0.1  # y aprende
    relu = final_losses("relu", "he_normal", 0.03)
    assert np.ptp(relu) > 1e-3, relu
