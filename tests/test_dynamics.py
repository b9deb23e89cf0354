"""train_dynamics: optax dentro de lax.scan, registros exactos por capa, errores en español."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import vgcourse as vg
from vgcourse.dynamics import train_dynamics


@pytest.fixture(scope="module")
def small():
    params, x, y = vg.problem(0, depth=4, width=16, n_in=8, n_out=3, batch=32,
                              init="xavier_normal")
    y = jax.nn.one_hot(jnp.argmax(y, -1), 3, dtype=x.dtype)
    return params, x, y


def test_sgd_matches_a_hand_written_loop(small):
    """Con optax.sgd, el resultado es el de W ← W − η ∇L escrito a mano, paso a paso."""
    params, x, y = small
    h = train_dynamics(params, x, y, optimizer=optax.sgd(0.1), activation="tanh", steps=6,
                       record_every=3, x_test=x, y_test=y)
    from vgcourse.networks import forward_core, loss_fn

    def objective(p):
        out, _ = forward_core(p, x, None, None, jnp.asarray(1.0), activation="tanh",
                              residual=False, batchnorm=False, collect=False)
        return loss_fn(out, y, "cross_entropy")

    p, losses = params, []
    for _ in range(6):
        value, g = jax.value_and_grad(objective)(p)
        losses.append(float(value))
        p = jax.tree.map(lambda a, b: a - 0.1 * b, p, g)
    np.testing.assert_allclose(h.loss[:2], [losses[0], losses[3]], rtol=1e-12)
    np.testing.assert_allclose(h.params["input"]["W"], p["input"]["W"], rtol=1e-10, atol=1e-14)
    assert h.step.tolist() == [0, 3, 6]


def test_records_are_the_exact_layer_gradients(small):
    params, x, y = small
    h = train_dynamics(params, x, y, optimizer=optax.adam(1e-2), activation="relu", steps=4,
                       record_every=2, x_test=x, y_test=y)
    g = vg.layer_gradients(params, x, y, activation="relu", loss="cross_entropy")
    np.testing.assert_allclose(h.preact_grad_norm[0], g.preact_norm, rtol=1e-12)
    np.testing.assert_allclose(h.weight_grad_norm[0], g.weight_norm, rtol=1e-12)
    assert np.all(h.weight_change[0] == 0) and np.all(h.weight_change[-1] > 0)
    assert h.preact_grad_norm.shape == (3, 4)


def test_underflow_is_recorded_as_nan_not_zero():
    # sigmoide estándar de 40 capas en float32: el gradiente de las primeras capas no cabe
    params, x, y = vg.problem(0, depth=40, width=32, n_in=32, n_out=2, batch=16,
                              init="standard", dtype="float32")
    h = train_dynamics(params, x, y, optimizer=optax.sgd(0.1), activation="sigmoid", steps=2,
                       record_every=1, x_test=x, y_test=y, loss="mse", dtype="float32")
    assert np.isnan(h.preact_grad_norm[:, 0]).all()
    assert not (h.preact_grad_norm == 0).any()


def test_errors_in_spanish(small):
    params, x, y = small
    with pytest.raises(TypeError, match="optimizador de optax"):
        train_dynamics(params, x, y, optimizer="adam", activation="tanh", steps=2,
                       x_test=x, y_test=y)
    with pytest.raises(ValueError, match="múltiplo de `record_every`"):
        train_dynamics(params, x, y, optimizer=optax.sgd(0.1), activation="tanh", steps=5,
                       record_every=2, x_test=x, y_test=y)
    with pytest.raises(ValueError, match="Los valores válidos son"):
        train_dynamics(params, x, y, optimizer=optax.sgd(0.1), activation="sigmoide",
                       steps=2, record_every=1, x_test=x, y_test=y)
