import jax.numpy as jnp
import numpy as np
import pytest
from helpers import ALL_ACTIVATIONS, NP_ACTIVATIONS

import vgcourse as vg

X = np.linspace(-8, 8, 2001)
X = X[np.abs(X) > 1e-9]  # sin el punto x = 0, donde ReLU, ELU y SELU no son derivables


def test_registry_has_the_required_activations():
    required = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "selu", "softsign", "silu", "identity"}
    assert required <= set(vg.ACTIVATIONS)
    for act in vg.ACTIVATIONS.values():
        assert act.display_name and act.note
        assert act.saturates in ("ambos lados", "izquierda", "no")


@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
def test_function_and_derivative_match_closed_forms(name):
    phi_ref, dphi_ref = NP_ACTIVATIONS[name]
    phi, dphi = vg.activation_curves(name, X)
    np.testing.assert_allclose(np.asarray(phi), phi_ref(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(dphi), dphi_ref(X), rtol=1e-12, atol=1e-14)


def test_aliases_and_derivative_bounds():
    assert vg.get_activation("swish").name == "silu"
    d_sig = np.asarray(vg.derivative("sigmoid")(jnp.linspace(-10, 10, 4001)))
    d_tanh = np.asarray(vg.derivative("tanh")(jnp.linspace(-10, 10, 4001)))
    assert d_sig.max() == pytest.approx(0.25, abs=1e-15) and np.argmax(d_sig) == 2000
    assert d_tanh.max() == pytest.approx(1.0, abs=1e-15) and np.argmax(d_tanh) == 2000
    assert float(vg.derivative("sigmoid")(0.0)) == 0.25


@pytest.mark.parametrize(
    "name, expected",
    [
        # |φ'(x)| = 0.1·max|φ'| resuelto a mano
        ("sigmoid", (np.log(((1 - np.sqrt(0.9)) / 2) / ((1 + np.sqrt(0.9)) / 2)),
                     -np.log(((1 - np.sqrt(0.9)) / 2) / ((1 + np.sqrt(0.9)) / 2)))),
        ("tanh", (-np.arctanh(np.sqrt(0.9)), np.arctanh(np.sqrt(0.9)))),
        ("softsign", (1 - np.sqrt(10), np.sqrt(10) - 1)),
        ("relu", (0.0, np.inf)),
        ("elu", (np.log(0.1), np.inf)),
        ("selu", (np.log(0.1), np.inf)),
        ("leaky_relu", (-np.inf, np.inf)),
        ("identity", (-np.inf, np.inf)),
    ],
)
def test_saturation_bounds_closed_forms(name, expected):
    lower, upper = vg.saturation_bounds(name)
    assert lower == pytest.approx(expected[0], abs=1e-9)
    assert upper == pytest.approx(expected[1], abs=1e-9)


@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
def test_saturated_region_is_where_the_derivative_is_small(name):
    _, dphi_ref = NP_ACTIVATIONS[name]
    grid = np.concatenate([np.linspace(-40, 40, 80001), [-1e-12, 1e-12]])
    peak = np.abs(dphi_ref(grid)).max()
    lower, upper = vg.saturation_bounds(name)
    inside = (grid < lower) | (grid > upper)
    d = np.abs(dphi_ref(grid))
    assert np.all(d[inside] < 0.1 * peak + 1e-12)
    if np.isfinite(lower):  # justo a la derecha del límite ya no está saturada
        assert abs(dphi_ref(np.array([lower + 1e-3])))[0] >= 0.1 * peak - 1e-3
    assert vg.get_activation(name).saturates == (
        "ambos lados" if np.isfinite(upper) else "izquierda" if np.isfinite(lower) else "no"
    )
