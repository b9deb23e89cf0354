"""La red de partida de los capítulos 4 y 5 y sus variantes, como datos."""

import jax
import pytest
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


def test_train_variant_is_train_with_the_variant_and_its_rate():
    data = vg.load_digits(seed=0)
    v = vg.VARIANTS["relu_he"]
    got = vg.train_variant("relu_he", data, steps=5, record_every=5)
    ref = vg.train(vg.baseline_params("he_normal"), data.x_train, data.y_train, steps=5,
                   record_every=5, learning_rate=v.learning_rate, x_test=data.x_test,
                   y_test=data.y_test, **v.options())
    np.testing.assert_array_equal(got.loss, ref.loss)
    # otra arquitectura, otra tasa y otra semilla
    leaky = vg.train_variant("relu_he", data, steps=5, record_every=5, activation="leaky_relu",
                             learning_rate=0.3, seed=1)
    ref = vg.train(vg.baseline_params("he_normal", seed=1), data.x_train, data.y_train, steps=5,
                   record_every=5, learning_rate=0.3, x_test=data.x_test, y_test=data.y_test,
                   activation="leaky_relu")
    np.testing.assert_array_equal(leaky.loss, ref.loss)


def test_initial_gradients_accept_depth_init_and_architecture_changes():
    data = vg.load_digits(seed=0)
    g = vg.initial_gradients("relu_he", data, depth=30, residual=True, residual_scale=0.1)
    ref = vg.layer_gradients(vg.baseline_params("he_normal", depth=30), data.x_train,
                             data.y_train, loss="cross_entropy", activation="relu",
                             residual=True, residual_scale=0.1)
    np.testing.assert_array_equal(np.asarray(g.preact_norm), np.asarray(ref.preact_norm))
    assert np.asarray(g.preact_norm).shape == (30,)


def test_bad_variant_options_name_the_valid_ones():
    data = vg.load_digits(seed=0)
    with pytest.raises(TypeError, match="Las opciones válidas son: activation"):
        vg.train_variant("base", data, learning_rte=0.1)
    with pytest.raises(TypeError, match="no acepta 'learning_rate'"):
        vg.initial_gradients("base", data, learning_rate=0.1)
    with pytest.raises(ValueError, match="relu_he"):
        vg.initial_gradients("relu+he", data)


def test_search_learning_rate_is_the_grid_over_the_rates():
    data = vg.load_digits(seed=0)
    run = vg.search_learning_rate("base", data, rates=(0.01, 0.1), steps=4, record_every=2)
    np.testing.assert_array_equal(run.learning_rates, [0.01, 0.1])
    assert run.history.step[-1] == 4


def test_searching_several_variants_at_once_is_searching_each_one():
    """Todos los entrenamientos de varias búsquedas en un solo parallel_map dan, bit a bit, la
    búsqueda de cada variante por separado."""
    data = vg.load_digits(seed=0)
    kw = dict(rates=(0.01, 0.3), steps=4, record_every=2)
    together = vg.search_learning_rates(("bn", "relu_he"), data, **kw)
    assert list(together) == ["bn", "relu_he"]
    for key, run in together.items():
        alone = vg.search_learning_rate(key, data, **kw)
        np.testing.assert_array_equal(run.final_loss, alone.final_loss)
        assert run.best_learning_rate == alone.best_learning_rate
        np.testing.assert_array_equal(run.history.preact_grad_norm, alone.history.preact_grad_norm)
    assert together["bn"].best_learning_rate == 0.3  # con 4 pasos, la tasa mayor gana


def test_searching_several_variants_validates_in_spanish():
    data = vg.load_digits(seed=0)
    with pytest.raises(ValueError, match="relu_he"):
        vg.search_learning_rates(("base", "relu+he"), data)
    with pytest.raises(ValueError, match="al menos una tasa"):
        vg.search_learning_rates(("base",), data, rates=())
    with pytest.raises(ValueError, match="rates"):
        vg.search_learning_rates(("base",), data, rates=(0.1, -1.0))
