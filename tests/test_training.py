"""vgcourse.training: un solo bucle (optax dentro de lax.scan), registros exactos por capa."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import vgcourse as vg
from helpers import count_compilations
from vgcourse._core import forward_core, loss_fn


def _small_problem(seed=0, depth=3):
    params = vg.init_mlp(jax.random.key(seed), depth=depth, width=6, n_in=5, n_out=3)
    x, _ = vg.random_batch(jax.random.key(seed + 1), batch=8, n_in=5, n_out=3)
    y = jax.nn.one_hot(np.arange(8) % 3, 3)
    return params, x, y


def _hand_loop(params, x, y, lr, steps):
    """W ← W − η ∇L escrito a mano para una red tanh; devuelve (pérdidas, params finales)."""

    def objective(p):
        out, _ = forward_core(p, x, None, None, jnp.asarray(1.0), activation="tanh",
                              residual=False, batchnorm=False, collect=False)
        return loss_fn(out, y, "cross_entropy")

    p, losses = params, []
    for _ in range(steps):
        value, g = jax.value_and_grad(objective)(p)
        losses.append(float(value))
        p = jax.tree.map(lambda a, b: a - lr * b, p, g)
    return losses, p


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
    np.testing.assert_allclose(h.preact_grad_norm[0], g.preact_norm, rtol=1e-12)
    np.testing.assert_allclose(h.loss[0], g.loss, rtol=1e-12)
    assert np.all(h.weight_change[0] == 0)
    np.testing.assert_array_equal(h.step, [0, 1])


def test_sgd_equals_a_hand_written_loop_and_optax_sgd():
    """learning_rate=η, optimizer=optax.sgd(η) y el bucle a mano dan la misma trayectoria."""
    params, x, y = _small_problem(depth=4)
    losses, p = _hand_loop(params, x, y, 0.1, 6)
    a = vg.train(params, x, y, activation="tanh", steps=6, learning_rate=0.1, record_every=3,
                 x_test=x, y_test=y)
    b = vg.train(params, x, y, activation="tanh", steps=6, optimizer=optax.sgd(0.1),
                 record_every=3, x_test=x, y_test=y)
    for h in (a, b):
        np.testing.assert_allclose(h.loss[:2], [losses[0], losses[3]], rtol=1e-12)
        for got, want in zip(jax.tree.leaves(h.params), jax.tree.leaves(p)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
        assert h.step.tolist() == [0, 3, 6]


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


def test_training_reduces_the_loss_and_records_every_k_steps():
    params, x, y = _small_problem(depth=2)
    h = vg.train(params, x, y, activation="relu", steps=60, learning_rate=0.1, x_test=x, y_test=y,
                 record_every=20)
    np.testing.assert_array_equal(h.step, [0, 20, 40, 60])
    assert h.weight_change.shape == h.preact_grad_norm.shape == (4, 2)
    assert np.all(np.diff(h.loss) < 0)  # descenso de gradiente con paso pequeño: baja siempre
    assert h.loss[-1] < 0.8 * h.loss[0]
    assert h.test_accuracy[-1] > h.test_accuracy[0]


def test_records_are_the_exact_layer_gradients_with_any_optax_optimizer():
    params, x, y = vg.problem(0, depth=4, width=16, n_in=8, n_out=3, batch=32)
    y = jax.nn.one_hot(jnp.argmax(y, -1), 3, dtype=x.dtype)
    h = vg.train(params, x, y, optimizer=optax.adam(1e-2), activation="relu", steps=4,
                 record_every=2, x_test=x, y_test=y)
    g = vg.layer_gradients(params, x, y, activation="relu", loss="cross_entropy")
    np.testing.assert_allclose(h.preact_grad_norm[0], g.preact_norm, rtol=1e-12)
    np.testing.assert_allclose(h.weight_grad_norm[0], g.weight_norm, rtol=1e-12)
    assert np.all(h.weight_change[0] == 0) and np.all(h.weight_change[-1] > 0)
    assert h.preact_grad_norm.shape == (3, 4)
    # y el registro final es el de los parámetros finales
    g_end = vg.layer_gradients(h.params, x, y, activation="relu", loss="cross_entropy")
    np.testing.assert_allclose(h.preact_grad_norm[-1], g_end.preact_norm, rtol=1e-10)


def test_underflow_is_recorded_as_nan_not_zero():
    # sigmoide estándar de 40 capas en float32: el gradiente de las primeras capas no cabe
    params, x, y = vg.problem(0, depth=40, width=32, n_in=32, n_out=2, batch=16,
                              init="standard", dtype="float32")
    h = vg.train(params, x, y, learning_rate=0.1, activation="sigmoid", steps=2,
                 record_every=1, x_test=x, y_test=y, loss="mse", dtype="float32")
    assert np.isnan(h.preact_grad_norm[:, 0]).all()
    assert not (h.preact_grad_norm == 0).any()


def test_every_learning_rate_shares_one_compilation():
    params, x, y = _small_problem(depth=3)
    kw = dict(activation="gelu", steps=4, record_every=2, x_test=x, y_test=y)
    vg.train(params, x, y, learning_rate=0.05, **kw)
    with count_compilations() as compiled:
        for lr in (0.01, 0.2, 1.5):
            vg.train(params, x, y, learning_rate=lr, **kw)
    assert compiled["jit(_block_impl)"] == 0, compiled


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
    np.testing.assert_array_equal(grid.final_loss, finals)  # las mismas llamadas, bit a bit
    assert grid.best_learning_rate == rates[int(np.argmin(finals))]
    assert grid.history.loss[-1] == min(finals)
    assert grid.history.preact_grad_norm.shape == (5, 2)


def test_train_validates_in_spanish():
    params, x, y = _small_problem()
    kw = dict(activation="tanh", x_test=x, y_test=y)
    with pytest.raises(ValueError, match="múltiplo de `record_every`"):
        vg.train(params, x, y, steps=7, learning_rate=0.1, record_every=5, **kw)
    with pytest.raises(ValueError, match="learning_rate"):
        vg.train(params, x, y, steps=5, learning_rate=-1.0, record_every=5, **kw)
    with pytest.raises(ValueError, match="Los valores válidos son"):
        vg.train(params, x, y, activation="tanhh", steps=5, learning_rate=0.1, x_test=x,
                 y_test=y, record_every=5)
    with pytest.raises(TypeError, match="Da exactamente uno de `learning_rate`"):
        vg.train(params, x, y, steps=5, record_every=5, **kw)
    with pytest.raises(TypeError, match="Da exactamente uno de `learning_rate`"):
        vg.train(params, x, y, steps=5, record_every=5, learning_rate=0.1,
                 optimizer=optax.sgd(0.1), **kw)
    with pytest.raises(TypeError, match="optimizador de optax"):
        vg.train(params, x, y, steps=5, record_every=5, optimizer="adam", **kw)
    with pytest.raises(ValueError, match="al menos una tasa"):
        vg.train_lr_grid(params, x, y, learning_rates=(), steps=5, record_every=5, **kw)


def test_a_change_below_the_resolution_of_the_weights_is_not_a_measurement():
    """Un paso mucho menor que la resolución de los pesos no los mueve de forma medible:
    su cambio relativo se registra como NaN, no como el 0 (o el ulp suelto) que deja el
    redondeo. El paso 0 sí es un cero exacto."""
    params, x, y = _small_problem(depth=3)
    h = vg.train(params, x, y, activation="tanh", steps=2, learning_rate=1e-20,
                 record_every=1, x_test=x, y_test=y)
    assert np.all(h.weight_change[0] == 0)
    assert np.all(np.isnan(h.weight_change[1:]))
    h = vg.train(params, x, y, activation="tanh", steps=2, learning_rate=1e-6,
                 record_every=1, x_test=x, y_test=y)
    assert np.all(np.isfinite(h.weight_change)) and np.all(h.weight_change[1:] > 1e-10)
