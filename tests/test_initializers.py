import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vgcourse as vg


@pytest.mark.parametrize("shape", [(400, 400), (600, 200), (200, 600)])
@pytest.mark.parametrize("init", list(vg.INITIALIZERS))
def test_empirical_variance_matches_sigma_w2(init, shape):
    fan_in, fan_out = shape
    W = vg.init_weight(jax.random.key(1), shape, init=init, dtype=jnp.float64)
    measured = float(jnp.var(W)) * fan_in
    expected = vg.sigma_w2(init, fan_in, fan_out)
    # 1e5+ muestras: error relativo de la varianza ~ 0.5 %
    assert measured == pytest.approx(expected, rel=0.03)
    assert abs(float(jnp.mean(W))) < 0.01 * np.sqrt(expected / fan_in) * 10


def test_standard_init_is_uniform_in_plus_minus_one_over_sqrt_n():
    W = np.asarray(vg.init_weight(jax.random.key(0), (256, 64), init="standard", dtype=jnp.float64))
    assert W.min() >= -1 / 16 and W.max() <= 1 / 16
    assert W.min() < -0.99 / 16 and W.max() > 0.99 / 16
    assert vg.sigma_w2("standard", 256, 64) == pytest.approx(1 / 3)


def test_orthogonal_and_gain():
    W = np.asarray(vg.init_weight(jax.random.key(0), (64, 64), init="orthogonal", gain=2.0, dtype=jnp.float64))
    np.testing.assert_allclose(W.T @ W, 4 * np.eye(64), atol=1e-12)
    assert vg.sigma_w2("he_normal", 10, 10, gain=0.5) == pytest.approx(0.5)
    assert vg.sigma_w2("xavier_uniform", 100, 300) == pytest.approx(0.5)


def test_same_key_same_weights_and_no_global_state():
    a = vg.init_weight(jax.random.key(3), (5, 5), init="he_normal")
    b = vg.init_weight(jax.random.key(3), (5, 5), init="he_normal")
    c = vg.init_weight(jax.random.key(4), (5, 5), init="he_normal")
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    legacy = vg.init_weight(jax.random.PRNGKey(3), (5, 5), init="he_normal")
    np.testing.assert_array_equal(a, legacy)
