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


MULTI_DEVICE = r"""
import json
import jax, jax.numpy as jnp, numpy as np
import vgcourse as vg
from vgcourse import sweeps
vg.enable_x64()
kw = dict(width=16, n_in=16, batch=8, seeds=range(7), depths=(3, 8),
          activations=("tanh", "sigmoid"), inits=("xavier_normal", "he_normal"))
one, many = vg.gradient_sweep(shard=False, **kw), vg.gradient_sweep(**kw)
err = {}
for f in ("preact_norm", "weight_norm", "loss"):
    a, b = np.asarray(getattr(one, f)), np.asarray(getattr(many, f))
    assert np.array_equal(np.isnan(a), np.isnan(b)), f
    m = np.isfinite(a)
    err[f] = float(np.max(np.abs(a[m] - b[m]) / np.abs(a[m])))
sharding = sweeps._seed_sharding(7, None)
keys = jax.vmap(jax.random.key)(jnp.arange(8, dtype=jnp.uint32))
_, x, _ = sweeps._problems(keys, jnp.asarray(1.0), jnp.asarray(0.0), max_depth=3, width=16,
                           n_in=16, n_out=1, batch=8, init="he_normal", dtype="float64",
                           with_bias=False, sharding=sharding)
print(json.dumps({"devices": jax.local_device_count(), "err": err,
                  "x_devices": len(x.sharding.device_set), "seeds": list(many.seeds)}))
"""


def test_sweep_shards_seeds_across_devices_with_the_same_numbers():
    """Con 4 dispositivos de CPU (un proceso aparte con
    XLA_FLAGS=--xla_force_host_platform_device_count=4), las semillas se reparten entre los
    cuatro (7 semillas: se completa hasta 8) y las normas coinciden con las de un solo
    dispositivo a 1e-12."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", MULTI_DEVICE], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["devices"] == 4
    assert report["x_devices"] == 4  # los lotes de las semillas viven en los 4 dispositivos
    assert report["seeds"] == list(range(7))  # sin las copias del relleno
    assert max(report["err"].values()) < 1e-12, report["err"]
