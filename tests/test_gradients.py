"""Exactitud de los gradientes: diferencias finitas centrales en float64, jacfwd frente a jacrev,
y una cadena escalar frente al producto cerrado de derivadas y pesos."""

import itertools

import jax
from jax.flatten_util import ravel_pytree
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import ALL_ACTIVATIONS, NP_ACTIVATIONS

import vgcourse as vg
from vgcourse._core import forward_core, loss_fn

ARCHS = {
    "simple": dict(residual=False, batchnorm=False),
    "residual": dict(residual=True, residual_scale=0.7, batchnorm=False),
    "residual_activacion": dict(residual="activation", residual_scale=0.7, batchnorm=False),
    "batchnorm": dict(residual=False, batchnorm=True),
    "residual+bn": dict(residual=True, residual_scale=0.5, batchnorm=True),
}
DEPTH, WIDTH, N_IN, N_OUT, BATCH = 4, 5, 3, 2, 6


def small_problem(seed, init="xavier_normal", loss="mse"):
    params, x, y = vg.problem(seed, depth=DEPTH, width=WIDTH, n_in=N_IN, n_out=N_OUT,
                              batch=BATCH, init=init, bias_std=0.3)
    if loss == "cross_entropy":
        y = jax.nn.softmax(y, axis=-1)
    return params, x, y


def objective_with_perturbation(params, x, y, e, arch, activation, loss="mse"):
    alpha = jnp.asarray(arch.get("residual_scale", 1.0))
    out, _ = forward_core(params, x, e, None, alpha, activation=activation,
                          residual=arch["residual"], batchnorm=arch["batchnorm"], collect=False)
    return loss_fn(out, y, loss)


def central_difference(f, theta, direction, h=1e-6):
    """Derivada direccional por diferencias centrales. Con h = 1e-6 en float64 el redondeo
    aporta ~1e-10 y el truncamiento ~1e-12 (también si una preactivación pasa cerca del
    pico de ELU o ReLU, donde la segunda derivada salta)."""
    return (f(theta + h * direction) - f(theta - h * direction)) / (2 * h)


CASES = [(a, arch, jit) for jit in (True, False) for a in ALL_ACTIVATIONS for arch in ARCHS]


@pytest.mark.parametrize(
    "activation, arch_name, jit", CASES,
    ids=[f"{a}-{arch}-{'jit' if j else 'sin_jit'}" for a, arch, j in CASES],
)
def test_gradients_match_central_finite_differences(activation, arch_name, jit):
    arch = ARCHS[arch_name]
    params, x, y = small_problem(3)
    run = lambda: vg.layer_gradients(params, x, y, activation=activation,  # noqa: E731
                                     return_arrays=True, **arch)
    if jit:
        res = run()
    else:
        with jax.disable_jit():
            res = run()
    flat, unravel = ravel_pytree(params)
    zeros_e = jnp.zeros((DEPTH, BATCH, WIDTH))
    f_params = jax.jit(lambda th: objective_with_perturbation(unravel(th), x, y, zeros_e, arch, activation))
    f_z = jax.jit(lambda e: objective_with_perturbation(params, x, y, e, arch, activation))
    g_params_flat, _ = ravel_pytree(res.weight_grads)
    rng = np.random.default_rng(0)
    for _ in range(3):  # derivadas direccionales en direcciones aleatorias
        v = jnp.asarray(rng.standard_normal(flat.shape))
        fd = central_difference(f_params, flat, v)
        exact = jnp.vdot(g_params_flat, v)
        assert abs(exact - fd) <= 1e-6 * max(abs(fd), 1e-8), (exact, fd)
        u = jnp.asarray(rng.standard_normal(zeros_e.shape))
        fd = central_difference(f_z, zeros_e, u)
        exact = jnp.vdot(res.preact_grads, u)
        assert abs(exact - fd) <= 1e-6 * max(abs(fd), 1e-8), (exact, fd)
    # las normas por capa son las de los arreglos completos
    w_layers = [res.weight_grads["input"]["W"], *res.weight_grads["hidden"]["W"]]
    np.testing.assert_allclose(res.weight_norm, [np.linalg.norm(w) for w in w_layers], rtol=1e-12)
    np.testing.assert_allclose(res.preact_norm, np.linalg.norm(res.preact_grads, axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(res.preact_norm_per_example,
                               np.linalg.norm(res.preact_grads, axis=2), rtol=1e-12)
    assert not np.any(res.weight_underflow) and not np.any(res.preact_underflow)


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_cross_entropy_gradients_match_finite_differences(activation):
    arch = ARCHS["simple"]
    params, x, y = small_problem(5, loss="cross_entropy")
    res = vg.layer_gradients(params, x, y, activation=activation, loss="cross_entropy", return_arrays=True)
    flat, unravel = ravel_pytree(params)
    e0 = jnp.zeros((DEPTH, BATCH, WIDTH))
    f = lambda th: objective_with_perturbation(unravel(th), x, y, e0, arch, activation, "cross_entropy")  # noqa: E731
    v = jnp.asarray(np.random.default_rng(1).standard_normal(flat.shape))
    fd = central_difference(f, flat, v)
    exact = jnp.vdot(ravel_pytree(res.weight_grads)[0], v)
    assert abs(exact - fd) <= 1e-6 * abs(fd)


@pytest.mark.parametrize("arch_name", list(ARCHS))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "elu", "softsign"])
def test_jacfwd_agrees_with_jacrev(activation, arch_name):
    arch = ARCHS[arch_name]
    params, x, _ = small_problem(7)
    f = lambda p: vg.forward(p, x, activation=activation, **arch)  # noqa: E731
    jf, jr = jax.jacfwd(f)(params), jax.jacrev(f)(params)
    for a, b in zip(jax.tree.leaves(jf), jax.tree.leaves(jr)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    fx = lambda xx: vg.forward(params, xx, activation=activation, **arch)  # noqa: E731
    np.testing.assert_allclose(jax.jacfwd(fx)(x), jax.jacrev(fx)(x), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softsign", "gelu"])
def test_scalar_chain_matches_closed_form_product(activation):
    """Red de anchura 1: ∂L/∂z_l = (ŷ − t)·w_o·φ'(z_L)·Π_{k=l}^{L-1} w_{k+1} φ'(z_k)."""
    phi, dphi = NP_ACTIVATIONS[activation]
    depth = 12
    rng = np.random.default_rng(4)
    w = rng.uniform(0.5, 1.8, depth)
    b = rng.uniform(-0.4, 0.4, depth)
    w_o, b_o, x0, t = 1.3, 0.1, 0.7, -0.2
    layers = [{"W": np.array([[w[i]]]), "b": np.array([b[i]])} for i in range(depth)]
    params = vg.params_from_layers(layers, {"W": np.array([[w_o]]), "b": np.array([b_o])})
    res = vg.layer_gradients(params, np.array([[x0]]), np.array([[t]]), activation=activation)
    # paso hacia delante y producto de la regla de la cadena, a mano
    h, zs, hs = x0, [], [x0]
    for i in range(depth):
        zs.append(h * w[i] + b[i])
        h = phi(np.array(zs[-1]))
        hs.append(h)
    yhat = h * w_o + b_o
    dz = np.empty(depth)
    dz[-1] = (yhat - t) * w_o * dphi(np.array(zs[-1]))
    for i in range(depth - 2, -1, -1):
        dz[i] = dz[i + 1] * w[i + 1] * dphi(np.array(zs[i]))
    dw = dz * np.array(hs[:-1])
    np.testing.assert_allclose(res.preact_norm, np.abs(dz), rtol=1e-12)
    np.testing.assert_allclose(res.weight_norm, np.abs(dw), rtol=1e-12)
    np.testing.assert_allclose(res.bias_norm, np.abs(dz), rtol=1e-12)


def test_hundred_layer_sigmoid_chain_float64_versus_float32():
    """La cadena escalar de 100 sigmoides en 0: 0.25^100 ≈ 6e-61 en float64; en float32 no es medible."""
    depth = 100
    layers = [{"W": np.ones((1, 1)), "b": np.zeros(1)} for _ in range(depth)]
    # pesos 1 y entrada 0: z_1 = 0, pero z_l = σ(z_{l-1}) > 0; el producto se compara con NumPy
    params = vg.params_from_layers(layers, {"W": np.ones((1, 1)), "b": np.zeros(1)})
    x, y = np.zeros((1, 1)), np.ones((1, 1))
    r64 = vg.layer_gradients(params, x, y, activation="sigmoid")
    z = [0.0]
    for _ in range(depth - 1):
        z.append(1 / (1 + np.exp(-z[-1])))
    dsig = lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2  # noqa: E731
    yhat = 1 / (1 + np.exp(-z[-1]))
    expected_first = abs(yhat - 1) * np.prod([dsig(v) for v in z])
    assert float(r64.preact_norm[0]) == pytest.approx(expected_first, rel=1e-10)
    assert 1e-70 < expected_first < 1e-55
    r32 = vg.layer_gradients(params, x, y, activation="sigmoid", dtype="float32")
    assert bool(r32.preact_underflow[0]) and np.isnan(r32.preact_norm[0])


def test_float32_underflow_is_reported_not_shown_as_zero():
    params, x, y = vg.problem(0, depth=60, width=64, n_in=64, batch=128, init="xavier_normal")
    r64 = vg.layer_gradients(params, x, y, activation="sigmoid")
    r32 = vg.layer_gradients(params, x, y, activation="sigmoid", dtype="float32")
    assert not np.any(r64.preact_underflow) and np.all(np.asarray(r64.preact_norm) > 0)
    flagged = np.asarray(r32.preact_underflow)
    assert flagged.sum() >= 10  # unas 4.3 veces menos por capa: float32 se queda sin rango
    k = int(flagged.sum())
    assert np.all(flagged[:k]) and not np.any(flagged[k:])  # contiguas desde la capa 1
    assert np.all(np.isnan(np.asarray(r32.preact_norm)[flagged]))
    assert np.all(np.isnan(np.asarray(r32.weight_norm)[np.asarray(r32.weight_underflow)]))
    assert not np.any(np.asarray(r32.preact_norm)[~flagged] == 0)
    # donde float32 sí mide, coincide con float64
    np.testing.assert_allclose(np.asarray(r32.preact_norm)[~flagged],
                               np.asarray(r64.preact_norm)[~flagged], rtol=1e-4)


def test_batchnorm_normalizes_preactivations_and_residual_scale_zero_is_shallow():
    params, x, _ = vg.problem(1, depth=6, width=16, n_in=8, batch=32, init="he_normal")
    st = vg.layer_statistics(params, x, activation="relu", batchnorm=True)
    np.testing.assert_allclose(st.preact_mean, 0, atol=1e-12)
    np.testing.assert_allclose(st.preact_var, 1, rtol=1e-3)
    shallow = {**params, "hidden": {"W": params["hidden"]["W"][:0], "b": params["hidden"]["b"][:0]}}
    # con α = 0 y la rama que termina en la activación, la red es la capa 1 y la lectura
    out = vg.forward(params, x, activation="tanh", residual="activation", residual_scale=0.0)
    np.testing.assert_allclose(out, vg.forward(shallow, x, activation="tanh"), rtol=1e-13)
    # con el bloque estándar, la capa 1 es lineal: con α = 0 la red entera es lineal
    out = vg.forward(params, x, activation="tanh", residual=True, residual_scale=0.0)
    np.testing.assert_allclose(out, vg.forward(shallow, x, activation="identity"), rtol=1e-13)


def test_statistics_saturated_fraction_counts_units():
    params, x, _ = vg.problem(2, depth=3, width=50, n_in=20, batch=40, init="standard", gain=6.0)
    st = vg.layer_statistics(params, x, activation="tanh")
    _, (z, _) = forward_core(params, x, None, None, jnp.asarray(1.0), activation="tanh",
                             residual=False, batchnorm=False, collect=True)
    lower, upper = vg.saturation_bounds("tanh")
    expected = np.mean((np.asarray(z) < lower) | (np.asarray(z) > upper), axis=(1, 2))
    np.testing.assert_allclose(st.saturated_fraction, expected)
    assert np.all(np.asarray(st.saturated_fraction) > 0.2)
    np.testing.assert_allclose(st.preact_second_moment, np.mean(np.asarray(z) ** 2, axis=(1, 2)))


def test_gradient_histograms_count_every_entry():
    params, x, y = vg.problem(0, depth=5, width=16, n_in=8, batch=8, init="xavier_normal")
    g = vg.layer_gradients(params, x, y, activation="relu", return_arrays=True)
    edges, counts, zeros = vg.gradient_histograms(g.preact_grads, bins=30)
    assert edges.shape == (31,) and counts.shape == (5, 30)
    np.testing.assert_array_equal(np.asarray(counts).sum(1) + np.asarray(zeros), 8 * 16)
    np.testing.assert_array_equal(zeros, (np.asarray(g.preact_grads) == 0).sum(axis=(1, 2)))
    assert np.asarray(zeros).sum() > 0  # ReLU: unidades inactivas, gradiente exactamente 0


def test_param_list_roundtrip_and_depth_prefix_property():
    key = jax.random.key(11)
    deep = vg.init_mlp(key, depth=9, width=6, n_in=4, n_out=2, init="he_uniform", bias_std=0.1)
    shallow = vg.init_mlp(key, depth=4, width=6, n_in=4, n_out=2, init="he_uniform", bias_std=0.1)
    for k in ("input", "readout"):
        for leaf in ("W", "b"):
            np.testing.assert_array_equal(deep[k][leaf], shallow[k][leaf])
    np.testing.assert_array_equal(deep["hidden"]["W"][:3], shallow["hidden"]["W"])
    np.testing.assert_array_equal(deep["hidden"]["b"][:3], shallow["hidden"]["b"])
    layers = vg.layers_from_params(deep)
    assert len(layers) == vg.depth_of(deep) == 9
    again = vg.params_from_layers(layers, deep["readout"])
    for a, b in itertools.zip_longest(jax.tree.leaves(again), jax.tree.leaves(deep)):
        np.testing.assert_array_equal(a, b)


def test_structural_zeros_are_measured_zeros_not_underflow():
    """Un cero exacto por una operación exacta (α = 0, ReLU muerta) es un 0 medido."""
    params, x, y = vg.problem(3, depth=6, width=8, n_in=4, batch=5, init="he_normal")
    for form in ("linear", "activation"):
        r = vg.layer_gradients(params, x, y, activation="tanh", residual=form,
                               residual_scale=0.0, return_arrays=True)
        assert not np.any(r.preact_underflow) and not np.any(r.weight_underflow)
        # con α = 0 el salto copia el gradiente del tronco, ∂L/∂h_l = ∂L/∂h_L, y las ramas
        # no reciben nada: ∂L/∂W_l = 0 exactos (l ≥ 2); la capa 1 sí aprende
        for layer in range(5):
            np.testing.assert_array_equal(r.preact_grads[layer], r.preact_grads[-1])
        assert float(r.weight_norm[0]) > 0
        np.testing.assert_array_equal(r.weight_norm[1:], 0.0)
    # capa 3 muerta (sesgo −100): su ∂L/∂z y el de todas las de debajo son 0 exactos;
    # las capas 4-6 siguen vivas gracias a un sesgo +1 (reciben h_3 = 0)
    dead = {**params, "hidden": {"W": params["hidden"]["W"],
                                 "b": params["hidden"]["b"].at[1].set(-100.0).at[2:].set(1.0)}}
    r = vg.layer_gradients(dead, x, y, activation="relu")
    assert not np.any(r.preact_underflow)
    np.testing.assert_array_equal(r.preact_norm[:3], 0.0)
    assert np.all(np.asarray(r.preact_norm[3:]) > 0)
    np.testing.assert_array_equal(r.weight_norm[:3], 0.0)  # capa 4 recibe h_3 = 0: ∂L/∂W_4 = 0
    assert float(r.weight_norm[3]) == 0.0 and float(r.weight_norm[4]) > 0


def test_underflow_in_residual_network_does_not_spread_through_the_skip():
    """Con saltos, una rama en underflow solo deja sin medida sus propios pesos: el salto lleva
    el gradiente del tronco a las capas de debajo."""
    params, x, y = vg.problem(0, depth=8, width=16, n_in=8, batch=4, init="he_normal")
    # capa 5: sesgo −80 y pesos pequeños, así que σ'(z_5) ≈ e^−80 ≈ 2e-35 < umbral de float32
    hidden = {"W": params["hidden"]["W"].at[3].multiply(1e-3), "b": params["hidden"]["b"].at[3].set(-80.0)}
    odd = {**params, "hidden": hidden}
    kw = dict(activation="sigmoid", residual="activation", residual_scale=0.5)
    res = vg.layer_gradients(odd, x, y, dtype="float32", **kw)
    assert not np.any(res.preact_underflow)  # el tronco se mide en todas las capas
    w_flags = np.asarray(res.weight_underflow)
    assert w_flags[4] and not np.any(np.delete(w_flags, 4))
    ref = vg.layer_gradients(odd, x, y, **kw)
    np.testing.assert_allclose(np.asarray(res.preact_norm), np.asarray(ref.preact_norm), rtol=1e-4)
    # sin saltos, el gradiente de las capas 1-4 pasa por la capa 5: todas quedan sin medida
    plain = vg.layer_gradients(odd, x, y, activation="sigmoid", dtype="float32")
    assert np.all(np.asarray(plain.preact_underflow)[:5]) and not np.any(np.asarray(plain.preact_underflow)[5:])


def _hand_jacobian(params, x, phi_prime):
    """∂h_L/∂x de un ejemplo como producto explícito de la regla de la cadena (NumPy)."""
    Ws = [np.asarray(params["input"]["W"])] + list(np.asarray(params["hidden"]["W"]))
    bs = [np.asarray(params["input"]["b"])] + list(np.asarray(params["hidden"]["b"]))
    h, J = np.asarray(x, float), np.eye(x.shape[0])
    for W, b in zip(Ws, bs):
        z = h @ W + b
        J = (phi_prime(z)[:, None] * W.T) @ J
        h = np.tanh(z)
    return J


def test_jacobian_spectrum_orthogonal_linear_is_isometry_and_matches_hand_product():
    # red lineal cuadrada con pesos ortogonales: todos los valores singulares valen 1 exactamente
    params = vg.init_mlp(jax.random.key(0), depth=12, width=16, n_in=16, init="orthogonal")
    x = jax.random.normal(jax.random.key(1), (3, 16))
    s = np.asarray(vg.jacobian_spectrum(params, x, activation="identity"))
    assert s.shape == (3, 16)
    np.testing.assert_allclose(s, 1.0, atol=1e-12)
    # con Xavier, la media de s² se conserva (≈ 1) pero el espectro se abre
    params = vg.init_mlp(jax.random.key(0), depth=12, width=16, n_in=16, init="xavier_normal")
    s = np.asarray(vg.jacobian_spectrum(params, x, activation="identity"))
    assert s[0, 0] / s[0, -1] > 1e3
    # tanh: frente al producto explícito diag(1 − h_l²)·W_lᵀ, en cada ejemplo
    s = np.asarray(vg.jacobian_spectrum(params, x, activation="tanh"))
    for b in range(3):
        J = _hand_jacobian(params, np.asarray(x[b]), lambda z: 1 - np.tanh(z) ** 2)
        np.testing.assert_allclose(s[b], np.linalg.svd(J, compute_uv=False), rtol=1e-9, atol=1e-14)


def test_jacobian_spectrum_rejects_bad_input_in_spanish():
    params = vg.init_mlp(jax.random.key(0), depth=3, width=8, n_in=8)
    with pytest.raises(ValueError, match="Los valores válidos son"):
        vg.jacobian_spectrum(params, np.ones((2, 8)), activation="tangente")


def test_dead_fraction_counts_units_silent_for_the_whole_batch():
    params = vg.init_mlp(jax.random.key(0), depth=2, width=6, n_in=5, n_out=3)
    x, _ = vg.random_batch(jax.random.key(1), batch=8, n_in=5, n_out=3)
    before = np.asarray(vg.layer_statistics(params, x, activation="relu").dead_fraction)[0] * 6
    z = np.asarray(x) @ np.asarray(params["input"]["W"])
    alive = np.flatnonzero((z > 0).any(axis=0))[:2]  # dos unidades vivas de la capa 1...
    b = np.zeros(6)
    b[alive] = -1e3  # ...que un sesgo muy negativo apaga para todos los ejemplos
    params["input"]["b"] = jax.numpy.asarray(b)
    relu = vg.layer_statistics(params, x, activation="relu")
    leaky = vg.layer_statistics(params, x, activation="leaky_relu")
    assert float(relu.dead_fraction[0]) * 6 == pytest.approx(before + 2)
    assert float(leaky.dead_fraction[0]) == 0.0


def test_layer_slope_recovers_a_known_rate_and_flags_missing_layers():
    layers = np.arange(1, 21)
    norms = 3.0 * np.exp(0.25 * (20 - layers))  # crece 0.25 por capa hacia la entrada
    assert vg.layer_slope(norms) == pytest.approx(0.25, rel=1e-12)
    both = np.stack([norms, 1 / norms])
    np.testing.assert_allclose(vg.layer_slope(both, first=3, last=15), [0.25, -0.25], rtol=1e-12)
    holed = norms.copy()
    holed[4] = np.nan  # una capa sin medida (underflow)
    assert np.isnan(vg.layer_slope(holed))
    assert vg.layer_slope(holed, first=6) == pytest.approx(0.25, rel=1e-12)
    with pytest.raises(ValueError, match="1 ≤ first < last ≤ 20"):
        vg.layer_slope(norms, first=10, last=5)


def test_hidden_states_are_the_layers_of_the_forward_pass():
    params, x, _ = vg.problem(2, depth=5, width=7, n_in=3, batch=4, init="he_normal", bias_std=0.1)
    z, h = vg.hidden_states(params, x, activation="tanh")
    assert z.shape == h.shape == (5, 4, 7)
    np.testing.assert_allclose(h, np.tanh(np.asarray(z)), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(z[0]), np.asarray(x) @ np.asarray(params["input"]["W"])
                               + np.asarray(params["input"]["b"]), rtol=1e-13)
    # bloque estándar: la capa 1 es lineal y la entrada de φ en el bloque l es h_{l-1}
    z, h = vg.hidden_states(params, x, activation="tanh", residual=True)
    np.testing.assert_array_equal(z[0], h[0])
    np.testing.assert_array_equal(z[1:], h[:-1])


def test_weight_gradient_coherence_matches_per_example_gradients():
    params, x, y = vg.problem(5, depth=4, width=6, n_in=3, batch=5, init="he_normal", bias_std=0.2)

    def example_loss(p, xb, yb):
        out, _ = forward_core(p, xb[None], None, None, jnp.asarray(1.0), activation="relu",
                              residual=False, batchnorm=False, collect=False)
        return loss_fn(out, yb[None], "mse") / x.shape[0]  # su parte de la media del lote

    grads = jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(params, x, y)
    per_layer = [grads["input"]["W"]] + [grads["hidden"]["W"][:, k] for k in range(3)]
    expected = [float(np.sum(np.sum(np.asarray(g), 0) ** 2) / np.sum(np.asarray(g) ** 2))
                for g in per_layer]
    got = vg.weight_gradient_coherence(params, x, y, activation="relu")
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    with pytest.raises(ValueError, match="solo para la red simple"):
        vg.weight_gradient_coherence(params, x, y, activation="relu", residual=True)
