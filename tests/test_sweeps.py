import numpy as np
import pytest

import vgcourse as vg
from helpers import count_compilations

KW = dict(width=16, n_in=12, n_out=3, batch=8)


def test_sweep_equals_single_configuration():
    res = vg.gradient_sweep(seeds=[0, 5, 9], depths=[3, 7, 12], activations=["tanh", "relu"],
                            inits=["xavier_normal", "he_uniform"], bias_std=0.1, **KW)
    assert res.preact_norm.shape == (2, 2, 3, 3, 12)
    for a, act in enumerate(res.activations):
        for i, init in enumerate(res.inits):
            for s, seed in enumerate(res.seeds):
                for d, depth in enumerate(res.depths):
                    params, x, y = vg.problem(seed, depth=depth, init=init, bias_std=0.1, **KW)
                    g = vg.layer_gradients(params, x, y, activation=act)
                    np.testing.assert_allclose(res.preact_norm[a, i, s, d, :depth], g.preact_norm, rtol=1e-12)
                    np.testing.assert_allclose(res.weight_norm[a, i, s, d, :depth], g.weight_norm, rtol=1e-12)
                    assert res.loss[a, i, s, d] == pytest.approx(float(g.loss), rel=1e-12)
                    assert np.all(np.isnan(res.preact_norm[a, i, s, d, depth:]))


def test_residual_batchnorm_sweep_equals_single_configuration():
    opts = dict(residual=True, residual_scale=0.3, batchnorm=True)
    res = vg.gradient_sweep(seeds=2, depths=[4, 9], activations="sigmoid", inits="standard", **opts, **KW)
    params, x, y = vg.problem(2, depth=4, init="standard", **KW)
    g = vg.layer_gradients(params, x, y, activation="sigmoid", **opts)
    np.testing.assert_allclose(res.preact_norm[0, 0, 0, 0, :4], g.preact_norm, rtol=1e-12)


def test_depth_sweep_compiles_once():
    with count_compilations() as compiled:  # una compilación por activación y formas
        vg.gradient_sweep(seeds=range(3), depths=[2, 5, 8, 11, 20], activations="elu",
                          inits="lecun_normal", **KW)
    assert compiled["jit(_sweep_core)"] == 1, compiled
    # otra vez con otras profundidades ≤ la máxima pero la misma máxima: nada nuevo
    with count_compilations() as compiled:
        vg.gradient_sweep(seeds=[7, 8, 9], depths=[1, 20], activations="elu",
                          inits="lecun_normal", **KW)
    assert compiled["jit(_sweep_core)"] == 0, compiled


def test_seed_chunking_does_not_change_numbers():
    a = vg.gradient_sweep(seeds=range(5), depths=6, activations="gelu", inits="he_normal", seed_chunk=5, **KW)
    b = vg.gradient_sweep(seeds=range(5), depths=6, activations="gelu", inits="he_normal", seed_chunk=2, **KW)
    c = vg.gradient_sweep(seeds=range(5), depths=6, activations="gelu", inits="he_normal", seed_chunk=1, **KW)
    np.testing.assert_allclose(a.preact_norm, b.preact_norm, rtol=1e-12)
    np.testing.assert_allclose(a.preact_norm, c.preact_norm, rtol=1e-12)
    np.testing.assert_allclose(a.weight_norm, c.weight_norm, rtol=1e-12)
