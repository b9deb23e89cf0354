"""El explorador: exacto (igual que layer_gradients en la red de anchura n) y sin recompilar."""

import jax.numpy as jnp
import numpy as np
import pytest

import vgcourse as vg
from helpers import count_compilations
from vgcourse.explorer import EXPLORER_INITS, GradientExplorer


@pytest.fixture(scope="module")
def explorer():
    return GradientExplorer(seed=3, max_depth=12, widths=(8, 16, 32), n_in=10, n_out=2, batch=6)


def _equivalent_params(ex, init, width, depth):
    """La red de anchura ``width`` y profundidad ``depth`` que el explorador dice calcular."""
    pick = 1 if EXPLORER_INITS[init] else 0
    raw = ex._raw
    s_in, s_h, s_o = ex.scales(init, width)
    return {
        "input": {"W": raw["input"][pick][:, :width] * s_in, "b": jnp.zeros(width)},
        "hidden": {"W": raw["hidden"][pick][: depth - 1, :width, :width] * s_h,
                   "b": jnp.zeros((depth - 1, width))},
        "readout": {"W": raw["readout"][pick][:width] * s_o, "b": jnp.zeros(ex.n_out)},
    }


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "gelu", "selu", "softsign"])
@pytest.mark.parametrize("init,width,depth", [("xavier_normal", 8, 12), ("standard", 16, 5),
                                              ("he_normal", 32, 1), ("lecun_normal", 16, 2)])
def test_matches_layer_gradients_of_the_unpadded_network(explorer, activation, init, width, depth):
    r = explorer(activation=activation, depth=depth, width=width, init=init)
    params = _equivalent_params(explorer, init, width, depth)
    g = vg.layer_gradients(params, explorer._x, explorer._y, activation=activation)
    st = vg.layer_statistics(params, explorer._x, activation=activation)
    assert r.preact_norm.shape == (depth,)
    np.testing.assert_allclose(r.preact_norm, g.preact_norm, rtol=1e-12)
    np.testing.assert_allclose(r.weight_norm, g.weight_norm, rtol=1e-12)
    np.testing.assert_allclose(r.saturated_fraction, st.saturated_fraction, atol=1e-15)
    np.testing.assert_allclose(r.preact_second_moment, st.preact_second_moment, rtol=1e-12)
    np.testing.assert_allclose(r.loss, g.loss, rtol=1e-12)


def test_weight_distributions_have_the_init_variance():
    ex = GradientExplorer(seed=0, max_depth=6, widths=(128,), n_in=128)
    for uniform in (0, 1):
        w = np.asarray(ex._raw["hidden"][uniform])
        assert abs(w.var() - 1) < 0.02
        assert abs(w.mean()) < 0.01
    assert np.abs(np.asarray(ex._raw["hidden"][0])).max() <= 2 / 0.8796256610342398 + 1e-12  # truncada en ±2σ
    assert np.abs(np.asarray(ex._raw["hidden"][1])).max() <= np.sqrt(3)  # uniforme
    s_in, s_h, s_o = ex.scales("he_normal", 128)
    assert s_h == pytest.approx(np.sqrt(2 / 128))
    assert ex.scales("standard", 128)[1] == pytest.approx(np.sqrt(1 / 3 / 128))


def test_no_recompilation_across_every_control(explorer):
    explorer(activation="tanh", depth=3, width=8, init="standard")
    with count_compilations() as compiled:
        for activation in vg.EXPLORER_ACTIVATIONS:
            for init in EXPLORER_INITS:
                for width in explorer.widths:
                    for depth in (1, 7, 12):
                        explorer(activation=activation, depth=depth, width=width, init=init)
    assert compiled["jit(_explore_core)"] == 0, compiled


def test_sigmoid_vanishes_and_relu_he_does_not(explorer):
    sig = explorer(activation="sigmoid", depth=12, width=32, init="xavier_normal")
    relu = explorer(activation="relu", depth=12, width=32, init="he_normal")
    assert sig.preact_norm[0] / sig.preact_norm[-1] < 1e-5
    assert 0.1 < relu.preact_norm[0] / relu.preact_norm[-1] < 10


def test_bad_arguments_get_spanish_errors(explorer):
    with pytest.raises(ValueError, match="`depth` debe estar entre 1 y 12"):
        explorer(activation="relu", depth=13, width=8, init="he_normal")
    with pytest.raises(ValueError, match="entero ≥ 1"):
        explorer(activation="relu", depth=0, width=8, init="he_normal")
    with pytest.raises(ValueError, match="Las anchuras de este explorador son: 8, 16, 32"):
        explorer(activation="relu", depth=2, width=12, init="he_normal")
    with pytest.raises(ValueError, match="Los valores válidos son: standard, xavier_normal"):
        explorer(activation="relu", depth=2, width=8, init="orthogonal")
    with pytest.raises(ValueError, match="¿Quisiste decir «sigmoid»?"):
        explorer(activation="sigmoide", depth=2, width=8, init="he_normal")


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("residual,batchnorm,alpha", [(True, False, 1.0), (True, False, 0.3),
                                                      (False, True, 1.0), (True, True, 0.5)])
def test_architectures_match_layer_gradients(explorer, activation, residual, batchnorm, alpha):
    init, width, depth = "he_normal", 16, 9
    r = explorer(activation=activation, depth=depth, width=width, init=init, residual=residual,
                 residual_scale=alpha, batchnorm=batchnorm)
    params = _equivalent_params(explorer, init, width, depth)
    arch = dict(residual=residual, residual_scale=alpha, batchnorm=batchnorm)
    g = vg.layer_gradients(params, explorer._x, explorer._y, activation=activation, **arch)
    st = vg.layer_statistics(params, explorer._x, activation=activation, **arch)
    np.testing.assert_allclose(r.preact_norm, g.preact_norm, rtol=1e-10)
    np.testing.assert_allclose(r.weight_norm, g.weight_norm, rtol=1e-10)
    np.testing.assert_allclose(r.saturated_fraction, st.saturated_fraction, atol=1e-15)


def test_warmup_compiles_each_architecture_once_and_alpha_is_traced():
    ex = GradientExplorer(seed=1, max_depth=5, widths=(4, 8), n_in=3, batch=4)
    with count_compilations() as warm:
        ex.warmup()
    assert warm["jit(_explore_core)"] <= 4  # una por arquitectura (las ya compiladas, no)
    with count_compilations() as compiled:
        for residual in (False, True):
            for batchnorm in (False, True):
                for alpha in (0.0, 0.2, 1.3):
                    ex(activation="gelu", depth=4, width=8, init="lecun_normal",
                       residual=residual, residual_scale=alpha, batchnorm=batchnorm)
    assert compiled["jit(_explore_core)"] == 0, compiled
    with pytest.raises(TypeError, match="`residual` debe ser True o False"):
        ex(activation="relu", depth=2, width=4, init="he_normal", residual=1)
    with pytest.raises(ValueError, match="residual_scale"):
        ex(activation="relu", depth=2, width=4, init="he_normal", residual=True, residual_scale=-1.0)
