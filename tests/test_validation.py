"""Entradas erróneas: errores ValueError/TypeError en español que nombran el argumento,
el valor recibido y lo válido; nunca una traza interna de JAX."""

import string

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vgcourse as vg
from vgcourse._precision import x64_scope

PARAMS, X, Y = vg.problem(0, depth=3, width=4, n_in=3, n_out=2, batch=5)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_unknown_activation_lists_valid_names_and_suggests():
    with pytest.raises(ValueError) as err:
        vg.layer_gradients(PARAMS, X, Y, activation="sigmoide")
    msg = str(err.value)
    assert "`activation`" in msg and "'sigmoide'" in msg and "no es válido" in msg
    for name in vg.ACTIVATIONS:
        assert name in msg
    assert "¿Quisiste decir «sigmoid»?" in msg


def test_unknown_initializer():
    with pytest.raises(ValueError, match=r"`init` = 'xavier' no es válido.*¿Quisiste decir «xavier_"):
        vg.init_mlp(jax.random.key(0), depth=2, width=3, n_in=2, init="xavier")


@pytest.mark.parametrize("arg", ["depth", "width", "n_in", "n_out"])
def test_sizes_below_one(arg):
    kwargs = dict(depth=2, width=3, n_in=2, n_out=1)
    kwargs[arg] = 0
    with pytest.raises(ValueError, match=rf"`{arg}` debe ser un entero ≥ 1; se recibió 0"):
        vg.init_mlp(jax.random.key(0), **kwargs)


def test_non_key():
    with pytest.raises(TypeError, match=r"`key` debe ser una clave aleatoria de JAX.*jax\.random\.key"):
        vg.init_mlp(0, depth=2, width=3, n_in=2)


def test_mismatched_shapes():
    with pytest.raises(ValueError, match=r"`x` debe tener forma \(B, 3\).*se recibió \(5, 4\)"):
        vg.layer_gradients(PARAMS, np.zeros((5, 4)), Y, activation="tanh")
    with pytest.raises(ValueError, match=r"`y` debe tener forma \(5, 2\)"):
        vg.layer_gradients(PARAMS, X, np.zeros((5, 3)), activation="tanh")
    bad = {**PARAMS, "hidden": {"W": PARAMS["hidden"]["W"][:, :3], "b": PARAMS["hidden"]["b"]}}
    with pytest.raises(ValueError, match=r"`params\['hidden'\]\['W'\]` debe tener forma"):
        vg.layer_gradients(bad, X, Y, activation="tanh")
    with pytest.raises(TypeError, match=r"`params` debe ser un diccionario"):
        vg.layer_gradients([1, 2], X, Y, activation="tanh")


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_inputs(bad_value):
    x = np.array(X)
    x[1, 2] = bad_value
    with pytest.raises(ValueError, match=r"`x` contiene 1 valor NaN o infinitos"):
        vg.layer_gradients(PARAMS, x, Y, activation="relu")


def test_float64_without_x64_is_explained():
    with x64_scope(False):
        with pytest.raises(ValueError, match=r"vgcourse\.enable_x64\(\)"):
            vg.layer_gradients(PARAMS, X, Y, activation="relu")
        r = vg.layer_gradients(PARAMS, X, Y, activation="relu", dtype="float32")
        assert r.preact_norm.dtype == np.float32


@FAST
@given(st.text(alphabet=string.ascii_letters + "_-ñá ", min_size=0, max_size=12))
def test_random_activation_names(name):
    valid = set(vg.ACTIVATIONS) | {"swish", "linear"}
    if name in valid:
        return
    with pytest.raises(ValueError) as err:
        vg.layer_gradients(PARAMS, X, Y, activation=name)
    assert "Los valores válidos son: sigmoid, tanh" in str(err.value)


@FAST
@given(st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.none(), st.text(max_size=3),
                 st.booleans()))
def test_random_bad_depths(depth):
    with pytest.raises((ValueError, TypeError)) as err:
        vg.init_mlp(jax.random.key(0), depth=depth, width=3, n_in=2)
    assert "`depth`" in str(err.value) and "≥ 1" in str(err.value)


@FAST
@given(
    st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=3),
    st.sampled_from(["x", "y"]),
)
def test_random_bad_input_shapes(shape, which):
    arr = np.ones(shape)
    good = (X.shape if which == "x" else Y.shape)
    if arr.shape == good:
        return
    kwargs = {"x": X, "y": Y}
    kwargs[which] = arr
    with pytest.raises(ValueError) as err:
        vg.layer_gradients(PARAMS, kwargs["x"], kwargs["y"], activation="elu")
    assert f"`{which}`" in str(err.value) and "se recibió" in str(err.value)


@FAST
@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.none(),
                 st.lists(st.integers(), max_size=3)))
def test_random_non_keys(key):
    with pytest.raises(TypeError, match="`key` debe ser una clave aleatoria de JAX"):
        vg.init_weight(key, (3, 3))


@FAST
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_random_scalar_options(value):
    if np.isfinite(value) and 0 < value <= 1e3:
        vg.sigma_w2("he_normal", 4, 4, gain=value)
        return
    with pytest.raises(ValueError, match=r"`gain` debe ser"):
        vg.sigma_w2("he_normal", 4, 4, gain=value)


def test_theory_and_sweep_arguments():
    with pytest.raises(ValueError, match=r"`sigma_w2` debe ser > 0"):
        vg.chi1("tanh", sigma_w2=0.0)
    with pytest.raises(ValueError, match=r"`depths\[1\]` debe ser un entero ≥ 1; se recibió 0"):
        vg.gradient_sweep(seeds=[0], depths=[3, 0], activations="tanh", inits="he_normal",
                          width=3, n_in=2, batch=2)
    with pytest.raises(TypeError, match=r"`seeds` debe ser"):
        vg.gradient_sweep(seeds="abc", depths=[3], activations="tanh", inits="he_normal",
                          width=3, n_in=2, batch=2)
    with pytest.raises(ValueError, match=r"`loss` = 'mae' no es válido"):
        vg.layer_gradients(PARAMS, X, Y, activation="tanh", loss="mae")
    with pytest.raises(ValueError, match=r"`dtype` = 'float16' no es válido"):
        vg.layer_gradients(PARAMS, X, Y, activation="tanh", dtype="float16")


def test_residual_forms_and_unknown_options_get_spanish_errors():
    params, x, y = vg.problem(0, depth=3, width=4, n_in=2, batch=3)
    for form in (True, "linear", "activation"):
        vg.layer_gradients(params, x, y, activation="tanh", residual=form)
    with pytest.raises(ValueError, match="¿Quisiste decir «linear»?"):
        vg.layer_gradients(params, x, y, activation="tanh", residual="lineal")
    with pytest.raises(TypeError, match="`residual` debe ser True o False"):
        vg.layer_gradients(params, x, y, activation="tanh", residual=1)
    with pytest.raises(TypeError, match="`resdual` no es una opción de la red.*¿Quisiste decir «residual»?"):
        vg.layer_gradients(params, x, y, activation="tanh", resdual=True)
    with pytest.raises(TypeError, match="Falta `steps`"):
        vg.train(params, x, y, learning_rate=0.1, activation="tanh", x_test=x, y_test=y)


def test_problem_takes_one_seed():
    with pytest.raises(TypeError, match="una sola semilla.*gradient_sweep"):
        vg.problem([3, 4], depth=2, width=3, n_in=2, batch=2)
