"""La red de partida de los capítulos 4 y 5 y sus variantes, como datos."""

import jax
import numpy as np

import vgcourse as vg


def test_baseline_is_the_documented_network():
    params = vg.baseline_params()
    same = vg.init_mlp(jax.random.key(0), depth=20, width=64, n_in=64, n_out=10, init="standard")
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(same)):
        np.testing.assert_array_equal(a, b)
    deep = vg.baseline_params("he_normal", depth=50)
    assert vg.depth_of(deep) == 50
    # las 20 primeras capas no dependen de la profundidad total
    np.testing.assert_array_equal(deep["hidden"]["W"][:19], vg.baseline_params("he_normal")["hidden"]["W"])


def test_variants_change_one_or_two_factors_and_use_a_rate_of_the_grid():
    base = vg.VARIANTS["base"]
    assert (base.activation, base.init, base.residual, base.batchnorm) == ("sigmoid", "standard",
                                                                          False, False)
    for key, v in vg.VARIANTS.items():
        assert v.learning_rate in vg.RATES, key
        changed = sum([v.activation != base.activation, v.init != base.init, v.residual, v.batchnorm])
        assert 1 <= changed <= 2 or key == "base", key
        assert set(v.options()) == {"activation", "residual", "batchnorm"}
    assert list(vg.RATES) == sorted(vg.RATES)
