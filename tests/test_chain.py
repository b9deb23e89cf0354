"""La cadena escalar del capítulo 2: jax.grad frente al producto de sus factores."""

import numpy as np
import pytest

import vgcourse as vg


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
