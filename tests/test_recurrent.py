"""Redes recurrentes (vgcourse.recurrent): una implementación independiente en NumPy escrita a
partir del docstring, diferencias finitas centrales en float64 (con y sin jit), jacfwd frente a
jacrev, las formas cerradas de la RNN lineal ((Wᵀ)^(T−t)) y del camino de la celda de la LSTM
(diag(f_t)), la cota de Pascanu et al. (2013) con el mayor valor singular de W, el underflow en
float32, el problema de la suma y los errores en español."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import NP_ACTIVATIONS, count_compilations
from jax.flatten_util import ravel_pytree
from scipy.special import expit

import vgcourse as vg

B, T, N_IN, N, N_OUT = 3, 6, 2, 4, 2
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def small_problem(cell, seed=0, scale=0.9, **kw):
    """Red pequeña de :func:`vg.init_recurrent` con sesgos no nulos (que ninguna derivada se anule
    por simetría) y datos N(0, 1); los datos y los sesgos, con NumPy: nada que compilar."""
    params = vg.init_recurrent(jax.random.key(seed), cell=cell, hidden=N, n_in=N_IN, n_out=N_OUT,
                               scale=scale, **kw)
    rng = np.random.default_rng(seed)
    params["b"] = params["b"] + 0.3 * rng.standard_normal(params["b"].shape)
    return params, rng.standard_normal((B, T, N_IN)), rng.standard_normal((B, N_OUT))


def central_difference(f, h=1e-6):
    """Derivada en 0 de f(s) por diferencias centrales (redondeo ~1e-10, truncamiento ~1e-12)."""
    return (f(h) - f(-h)) / (2 * h)


# ---------------------------------------------------------------------------------------
# Implementación independiente en NumPy, escrita a partir de las ecuaciones del módulo
# ---------------------------------------------------------------------------------------
def numpy_forward(params, x, cell, activation="tanh"):
    p = jax.tree.map(np.asarray, params)
    W, U, b = p["W"], p["U"], p["b"]
    n = W.shape[0]
    phi = NP_ACTIVATIONS[activation][0]
    h, c = np.zeros((x.shape[0], n)), np.zeros((x.shape[0], n))
    hs, cs, pres, gates = [], [], [], []
    for t in range(x.shape[1]):
        xt = np.asarray(x[:, t])
        if cell == "rnn":
            z = h @ W + xt @ U + b
            h = phi(z)
            pres.append(z)
        elif cell == "lstm":
            a = h @ W + xt @ U + b
            i, f, g, o = (a[:, k * n:(k + 1) * n] for k in range(4))
            i, f, g, o = expit(i), expit(f), np.tanh(g), expit(o)
            c = f * c + i * g
            h = o * np.tanh(c)
            pres.append(a)
            gates.append(np.concatenate([i, f, g, o], axis=1))
        else:
            blk = lambda M, k: M[..., k * n:(k + 1) * n]  # noqa: E731
            a_z = h @ blk(W, 0) + xt @ blk(U, 0) + blk(b, 0)
            a_r = h @ blk(W, 1) + xt @ blk(U, 1) + blk(b, 1)
            z, r = expit(a_z), expit(a_r)
            a_h = (r * h) @ blk(W, 2) + xt @ blk(U, 2) + blk(b, 2)
            cand = np.tanh(a_h)
            h = (1 - z) * h + z * cand
            pres.append(np.concatenate([a_z, a_r, a_h], axis=1))
            gates.append(np.concatenate([z, r, cand], axis=1))
        hs.append(h)
        cs.append(c)
    out = h @ p["readout"]["W"] + p["readout"]["b"]
    return out, np.stack(hs), np.stack(cs), np.stack(pres), (np.stack(gates) if gates else None)


CELL_CASES = [("rnn", "tanh"), ("rnn", "identity"), ("lstm", "tanh"), ("gru", "tanh")]


@pytest.mark.parametrize("cell, activation", CELL_CASES, ids=[f"{c}-{a}" for c, a in CELL_CASES])
def test_independent_numpy_implementation_reproduces_the_numbers(cell, activation):
    params, x, y = small_problem(cell, seed=1)
    out, hs, cs, pres, gates = numpy_forward(params, x, cell, activation)
    st = vg.recurrent_forward(params, x, cell=cell, activation=activation)
    np.testing.assert_allclose(st.output, out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(st.h, hs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(st.preact, pres, rtol=1e-12, atol=1e-14)
    if cell == "lstm":
        np.testing.assert_allclose(st.c, cs, rtol=1e-12, atol=1e-14)
    else:
        assert st.c is None
    if cell == "rnn":
        assert st.gates is None
    else:
        np.testing.assert_allclose(st.gates, gates, rtol=1e-12, atol=1e-14)
    expected = np.mean(0.5 * np.sum((out - np.asarray(y)) ** 2, axis=1))
    res = vg.time_gradients(params, x, y, cell=cell, activation=activation, return_arrays=True)
    assert float(res.loss) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------
# Inicialización
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", vg.CELLS)
def test_init_shapes_spectrum_and_biases(cell):
    g = BLOCKS[cell]
    key = jax.random.key(3)
    kw = dict(cell=cell, hidden=N, n_in=N_IN, n_out=N_OUT)
    p = vg.init_recurrent(key, scale=1.7, forget_bias=2.5, **kw)
    shapes = jax.tree.map(lambda a: a.shape, p)
    assert shapes == {"W": (N, g * N), "U": (N_IN, g * N), "b": (g * N,),
                      "readout": {"W": (N, N_OUT), "b": (N_OUT,)}}
    assert all(a.dtype == jnp.float64 for a in jax.tree.leaves(p))
    for k in range(g):  # cada bloque recurrente: 1.7 × ortogonal
        block = np.asarray(p["W"][:, k * N:(k + 1) * N])
        np.testing.assert_allclose(np.linalg.svd(block, compute_uv=False), 1.7, rtol=1e-12)
    expected_b = np.zeros(g * N)
    if cell == "lstm":
        expected_b[N:2 * N] = 2.5  # [i, f, g, o]: solo la puerta de olvido
    np.testing.assert_array_equal(p["b"], expected_b)
    np.testing.assert_array_equal(p["readout"]["b"], 0)
    # determinista por clave; otra clave, otros pesos
    again = vg.init_recurrent(key, scale=1.7, forget_bias=2.5, **kw)
    for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(again)):
        np.testing.assert_array_equal(a, b)
    other = vg.init_recurrent(jax.random.key(4), scale=1.7, **kw)
    assert not np.allclose(p["W"], other["W"]) and not np.allclose(p["U"], other["U"])
    if cell == "rnn":
        p32 = vg.init_recurrent(key, dtype="float32", **kw)
        assert all(a.dtype == jnp.float32 for a in jax.tree.leaves(p32))


# ---------------------------------------------------------------------------------------
# Exactitud de los gradientes
# ---------------------------------------------------------------------------------------
@functools.partial(jax.jit, static_argnames=("cell", "loss"))
def loss_along(params, x, y, s, v_params, u_h, u_c, *, cell, loss):
    """L(params + s·v, e^h = s·u_h, e^c = s·u_c): la pérdida pública a lo largo de una dirección."""
    moved = jax.tree.map(lambda a, d: a + s * d, params, v_params)
    return vg.recurrent_loss(moved, x, y, cell=cell, loss=loss, perturb_h=s * u_h,
                             perturb_c=s * u_c if cell == "lstm" else None)


#: jax.grad de la pérdida pública, como la derivará un bucle de entrenamiento
grad_loss = jax.jit(jax.grad(vg.recurrent_loss), static_argnames=("cell", "loss"))

FD_CASES = [(c, "mse", j) for c in vg.CELLS for j in (True, False)] + [
    ("lstm", "cross_entropy", True)]


@pytest.mark.parametrize("cell, loss, jit", FD_CASES,
                         ids=[f"{c}-{l}-{'jit' if j else 'sin_jit'}" for c, l, j in FD_CASES])
def test_gradients_match_central_finite_differences(cell, loss, jit):
    params, x, y = small_problem(cell, seed=2)
    if loss == "cross_entropy":
        y = jax.nn.softmax(y, axis=-1)
    run = lambda: vg.time_gradients(params, x, y, cell=cell, loss=loss, return_arrays=True)  # noqa: E731
    if jit:
        res = run()
    else:
        with jax.disable_jit():
            res = run()
    lstm = cell == "lstm"
    assert (res.c_grads is not None) == lstm and (res.c_norm is not None) == lstm
    flat, unravel = ravel_pytree(params)
    g_flat, _ = ravel_pytree(res.param_grads)
    # jax.grad de la pérdida pública (lo que usará un bucle de entrenamiento) da lo mismo
    g_loss, _ = ravel_pytree(grad_loss(params, x, y, cell=cell, loss=loss))
    np.testing.assert_allclose(g_loss, g_flat, rtol=1e-12, atol=1e-15)
    rng = np.random.default_rng(0)
    shape = (T, B, N)
    no_state = jnp.zeros(shape)
    for _ in range(2):  # dirección aleatoria en el espacio de los parámetros
        v = jnp.asarray(rng.standard_normal(flat.shape))
        fd = central_difference(lambda s: loss_along(params, x, y, s, unravel(v), no_state, no_state,
                                                     cell=cell, loss=loss))
        exact = jnp.vdot(g_flat, v)
        assert abs(exact - fd) <= 1e-6 * max(abs(fd), 1e-8), (exact, fd)
    no_params = jax.tree.map(jnp.zeros_like, params)
    c_grads = res.c_grads if lstm else no_state
    masks = [np.ones(shape)] + [np.eye(T)[t][:, None, None] * np.ones(shape) for t in range(T)]
    for mask in masks:  # toda la perturbación y cada paso de tiempo por separado
        u_h = jnp.asarray(rng.standard_normal(shape) * mask)
        u_c = jnp.asarray(rng.standard_normal(shape) * mask)
        fd = central_difference(lambda s: loss_along(params, x, y, s, no_params, u_h, u_c,
                                                     cell=cell, loss=loss))
        exact = jnp.vdot(res.h_grads, u_h) + (jnp.vdot(c_grads, u_c) if lstm else 0.0)
        assert abs(exact - fd) <= 1e-6 * max(abs(fd), 1e-8), (exact, fd)
    # las normas son las de los arreglos completos
    np.testing.assert_allclose(res.h_norm, np.linalg.norm(res.h_grads, axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(res.h_norm_per_example, np.linalg.norm(res.h_grads, axis=2), rtol=1e-12)
    if lstm:
        np.testing.assert_allclose(res.c_norm, np.linalg.norm(res.c_grads, axis=(1, 2)), rtol=1e-12)
        assert not np.any(res.c_underflow)
    assert not np.any(res.h_underflow)


@pytest.mark.parametrize("cell", vg.CELLS)
def test_the_gradient_at_step_t_is_the_derivative_with_respect_to_the_state(cell):
    """∂L/∂h_t (y ∂L/∂c_t) es la derivada total respecto del estado: reiniciar la red en t con el
    estado perturbado y los pasos t+1..T da la misma derivada; en t = T, (ŷ − y)·W_oᵀ / B."""
    params, x, y = small_problem(cell, seed=5)
    st = vg.recurrent_forward(params, x, cell=cell)
    res = vg.time_gradients(params, x, y, cell=cell, return_arrays=True)
    W_o = np.asarray(params["readout"]["W"])
    np.testing.assert_allclose(res.h_grads[-1], (np.asarray(st.output) - np.asarray(y)) @ W_o.T / B,
                               rtol=1e-12)
    rng = np.random.default_rng(1)
    t = T - 2  # estado h_t (índice t − 1), pasos t+1..T = x[:, t:]
    h_t = st.h[t - 1]
    c_t = st.c[t - 1] if cell == "lstm" else None
    for _ in range(2):
        u = jnp.asarray(rng.standard_normal((B, N)))
        if cell == "lstm":
            f_h = lambda s: vg.recurrent_loss(params, x[:, t:], y, cell=cell,  # noqa: E731
                                              h0=h_t + s * u, c0=c_t)
            o_t = st.gates[t - 1][:, 3 * N:]  # c_t perturbado también cambia h_t = o_t ⊙ tanh(c_t)
            f_c = lambda s: vg.recurrent_loss(params, x[:, t:], y, cell=cell,  # noqa: E731
                                              h0=o_t * jnp.tanh(c_t + s * u), c0=c_t + s * u)
            fd = central_difference(f_c)
            assert float(jnp.vdot(res.c_grads[t - 1], u)) == pytest.approx(float(fd), rel=1e-6)
        else:
            f_h = lambda s: vg.recurrent_loss(params, x[:, t:], y, cell=cell, h0=h_t + s * u)  # noqa: E731
        fd = central_difference(f_h)
        assert float(jnp.vdot(res.h_grads[t - 1], u)) == pytest.approx(float(fd), rel=1e-6)


@pytest.mark.parametrize("cell", vg.CELLS)
def test_jacfwd_agrees_with_jacrev(cell):
    """Las derivadas de ŷ y de todos los estados h_t respecto de los parámetros, la entrada y h_0."""
    params, x, _ = small_problem(cell, seed=7)
    h0 = jnp.asarray(np.random.default_rng(2).standard_normal((B, N)))

    def f(p, xx, h):
        st = vg.recurrent_forward(p, xx, cell=cell, h0=h)
        return st.output, st.h

    args = (params, x, h0)
    jf = jax.jit(jax.jacfwd(f, argnums=(0, 1, 2)))(*args)
    jr = jax.jit(jax.jacrev(f, argnums=(0, 1, 2)))(*args)
    leaves_f, leaves_r = jax.tree.leaves(jf), jax.tree.leaves(jr)
    assert len(leaves_f) == len(leaves_r) == 2 * 7  # (ŷ, h) × (W, U, b, W_o, b_o, x, h0)
    for a, b in zip(leaves_f, leaves_r):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------------------------------
# Formas cerradas
# ---------------------------------------------------------------------------------------
def rnn_with_general_W(seed, n=N, activation_scale=1.0):
    """Una RNN con W cualquiera (no ortogonal, no simétrica): la forma cerrada no es trivial."""
    params, x, y = small_problem("rnn", seed=seed)
    W = np.random.default_rng(100 + seed).standard_normal((n, n)) * activation_scale / np.sqrt(n)
    return {**params, "W": W}, x, y


def test_linear_rnn_jacobian_is_a_power_of_W_transpose():
    """Con φ = identidad, h_t = h_{t−1} W + x_t U + b: ∂h_s/∂h_0 = (Wᵀ)^s y
    ∂L/∂h_t = ∂L/∂h_T·(Wᵀ)^(T−t)."""
    params, x, y = rnn_with_general_W(0, activation_scale=1.2)
    W = np.asarray(params["W"])
    fh = lambda h: vg.recurrent_forward(params, x, cell="rnn", activation="identity", h0=h).h  # noqa: E731
    jac = np.asarray(jax.jacfwd(fh)(jnp.zeros((B, N))))  # (T, B, n, B, n)
    for s in range(1, T + 1):
        power = np.linalg.matrix_power(W.T, s)
        for b in range(B):
            np.testing.assert_allclose(jac[s - 1, b, :, b, :], power, rtol=1e-12, atol=1e-15)
            others = np.delete(jac[s - 1, b], b, axis=1)  # los ejemplos no se mezclan
            np.testing.assert_array_equal(others, 0)
    res = vg.time_gradients(params, x, y, cell="rnn", activation="identity", return_arrays=True)
    g = np.asarray(res.h_grads)
    for t in range(1, T + 1):
        np.testing.assert_allclose(g[t - 1], g[-1] @ np.linalg.matrix_power(W.T, T - t),
                                   rtol=1e-12, atol=1e-16)


def test_tanh_rnn_jacobian_is_the_chain_rule_product():
    """∂h_s/∂h_0 = diag(φ'(z_s)) Wᵀ · … · diag(φ'(z_1)) Wᵀ con las z del paso hacia delante."""
    params, x, _ = rnn_with_general_W(1, activation_scale=1.5)
    h0 = jnp.asarray(np.random.default_rng(3).standard_normal((B, N)))
    W = np.asarray(params["W"])
    st = vg.recurrent_forward(params, x, cell="rnn", h0=h0)
    dphi = NP_ACTIVATIONS["tanh"][1](np.asarray(st.preact))  # (T, B, n)
    jac = np.asarray(jax.jacfwd(lambda h: vg.recurrent_forward(params, x, cell="rnn", h0=h).h)(h0))
    for b in range(B):
        product = np.eye(N)
        for s in range(1, T + 1):
            product = np.diag(dphi[s - 1, b]) @ W.T @ product
            np.testing.assert_allclose(jac[s - 1, b, :, b, :], product, rtol=1e-11, atol=1e-15)


def test_lstm_cell_path_jacobian_is_the_forget_gate():
    """∂c_t/∂c_{t−1} = diag(f_t) a h_{t−1} fijo, con f_t la puerta de olvido del paso hacia
    delante; y la recursión de la pasada hacia atrás: ∂L/∂c_t = ∂L/∂c_{t+1} ⊙ f_{t+1} +
    ∂L/∂h_t ⊙ o_t ⊙ tanh'(c_t)."""
    params, x, y = small_problem("lstm", seed=8)
    st = vg.recurrent_forward(params, x, cell="lstm")
    f_gate, o_gate = np.asarray(st.gates[..., N:2 * N]), np.asarray(st.gates[..., 3 * N:])
    assert 0.05 < f_gate.min() and f_gate.max() < 0.99  # puertas en su zona lineal: prueba no trivial
    zeros = jnp.zeros((B, N))
    for t in range(1, T + 1):
        h_prev = st.h[t - 2] if t > 1 else zeros
        c_prev = st.c[t - 2] if t > 1 else zeros
        step = lambda c: vg.recurrent_forward(params, x[:, t - 1:t], cell="lstm",  # noqa: E731
                                              h0=h_prev, c0=c).c[0]
        jac = np.asarray(jax.jacfwd(step)(c_prev))  # (B, n, B, n)
        for b in range(B):
            np.testing.assert_allclose(jac[b, :, b, :], np.diag(f_gate[t - 1, b]), rtol=1e-13, atol=0)
            np.testing.assert_array_equal(np.delete(jac[b], b, axis=1), 0)
    res = vg.time_gradients(params, x, y, cell="lstm", return_arrays=True)
    gh, gc, c = np.asarray(res.h_grads), np.asarray(res.c_grads), np.asarray(st.c)
    dtanh = 1 - np.tanh(c) ** 2
    np.testing.assert_allclose(gc[-1], gh[-1] * o_gate[-1] * dtanh[-1], rtol=1e-12)
    for t in range(T - 1):
        np.testing.assert_allclose(gc[t], gc[t + 1] * f_gate[t + 1] + gh[t] * o_gate[t] * dtanh[t],
                                   rtol=1e-11, atol=1e-16)


def test_lstm_with_an_open_forget_gate_carries_the_gradient_unchanged():
    """W = 0 y puerta de olvido abierta (sesgo 40: f_t = 1 en float64): ∂L/∂c_t no cambia con t
    (el carrusel de la celda), mientras ∂L/∂h_t es un 0 medido para t < T (no un underflow)."""
    params, x, y = small_problem("lstm", seed=9, scale=0.0, forget_bias=40.0)
    params["b"] = params["b"].at[N:2 * N].set(40.0)
    st = vg.recurrent_forward(params, x, cell="lstm")
    np.testing.assert_array_equal(st.gates[..., N:2 * N], 1.0)
    res = vg.time_gradients(params, x, y, cell="lstm", return_arrays=True)
    np.testing.assert_allclose(res.c_norm, res.c_norm[-1], rtol=1e-14)
    np.testing.assert_array_equal(res.h_norm[:-1], 0.0)
    assert res.h_norm[-1] > 0 and not np.any(res.h_underflow) and not np.any(res.c_underflow)


# ---------------------------------------------------------------------------------------
# El ritmo de desvanecimiento y la cota de los valores singulares (Pascanu et al., 2013)
# ---------------------------------------------------------------------------------------
LONG_T, WIDE_N, WIDE_B = 20, 8, 4


def long_problem(scale, seed=0):
    params = vg.init_recurrent(jax.random.key(seed), cell="rnn", hidden=WIDE_N, n_in=N_IN, n_out=1,
                               scale=scale)
    x = np.random.default_rng(seed).standard_normal((WIDE_B, LONG_T, N_IN))
    return params, x, np.ones((WIDE_B, 1))


@pytest.mark.parametrize("scale", [0.5, 0.8, 1.0, 1.3])
def test_tanh_rnn_gradient_decays_at_least_as_fast_as_the_largest_singular_value(scale):
    """‖∂L/∂h_t‖ ≤ γ·σ_max(W)·‖∂L/∂h_{t+1}‖ con γ = max|tanh'| = 1, y por ejemplo la cota más
    fina max_j|φ'(z_{t+1,j})|·σ_max(W). Con σ_max < 1 el gradiente se desvanece al menos como
    σ_max^(T−t)."""
    params, x, y = long_problem(scale)
    sigma = float(np.linalg.svd(np.asarray(params["W"]), compute_uv=False)[0])
    assert sigma == pytest.approx(scale, rel=1e-12)
    res = vg.time_gradients(params, x, y, cell="rnn")
    norm = np.asarray(res.h_norm)
    assert np.all(np.isfinite(norm)) and np.all(norm > 0)
    ratio = norm[:-1] / norm[1:]
    assert np.all(ratio <= sigma * (1 + 1e-12)), ratio
    steps_back = np.arange(LONG_T - 1, -1, -1)  # T − t
    assert np.all(norm <= norm[-1] * sigma**steps_back * (1 + 1e-11))
    if scale <= 1.0:  # W ortogonal incluida: tanh' < 1 fuera de 0, así que decrece estrictamente
        assert np.all(ratio < 1)
    # cota por ejemplo con las derivadas del paso hacia delante
    st = vg.recurrent_forward(params, x, cell="rnn")
    gamma = NP_ACTIVATIONS["tanh"][1](np.asarray(st.preact)).max(axis=2)  # (T, B)
    per = np.asarray(res.h_norm_per_example)
    assert np.all(per[:-1] <= gamma[1:] * sigma * per[1:] * (1 + 1e-12))


@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5])
def test_linear_rnn_decay_rate_is_exactly_the_spectrum(scale):
    """φ = identidad y W = escala × ortogonal: ∂L/∂h_t = ∂L/∂h_{t+1} Wᵀ multiplica la norma
    exactamente por la escala (se desvanece, se conserva o explota)."""
    params, x, y = long_problem(scale, seed=1)
    res = vg.time_gradients(params, x, y, cell="rnn", activation="identity")
    norm = np.asarray(res.h_norm)
    np.testing.assert_allclose(norm[:-1] / norm[1:], scale, rtol=1e-12)


def test_float32_underflow_is_nan_never_zero():
    """RNN lineal con escala 0.003 y T = 20: el gradiente de t = 1 es ~0.003^19 ≈ 1e-48. En float64
    se mide; en float32 los primeros pasos quedan bajo el umbral (≈ 1.2e-32): se marcan, contiguos
    desde t = 1, con norma NaN, y donde float32 sí mide coincide con float64."""
    params, x, y = long_problem(0.003, seed=2)
    r64 = vg.time_gradients(params, x, y, cell="rnn", activation="identity")
    r32 = vg.time_gradients(params, x, y, cell="rnn", activation="identity", dtype="float32")
    assert not np.any(r64.h_underflow)
    np.testing.assert_allclose(np.asarray(r64.h_norm)[:-1] / np.asarray(r64.h_norm)[1:], 0.003, rtol=1e-12)
    flagged = np.asarray(r32.h_underflow)
    k = int(flagged.sum())
    assert 5 <= k < LONG_T - 5 and np.all(flagged[:k]) and not np.any(flagged[k:])
    n32 = np.asarray(r32.h_norm)
    assert np.all(np.isnan(n32[:k])) and np.all(n32[k:] > 0)
    assert np.all(np.isnan(np.asarray(r32.h_norm_per_example)[:k]))
    np.testing.assert_allclose(n32[k:], np.asarray(r64.h_norm)[k:], rtol=1e-4)


def test_time_gradients_compile_once_per_shape():
    """Otros valores (pesos, datos, escala) no recompilan; otra longitud T, una vez."""
    params, x, y = small_problem("gru", seed=12)
    vg.time_gradients(params, x, y, cell="gru", return_arrays=True)
    other, x2, y2 = small_problem("gru", seed=13, scale=0.3)
    with count_compilations() as compiled:
        vg.time_gradients(other, x2, y2, cell="gru", return_arrays=True)
    assert compiled["jit(_time_gradients_jit)"] == 0, compiled
    with count_compilations() as compiled:
        vg.time_gradients(other, x2[:, :3], y2, cell="gru", return_arrays=True)
        vg.time_gradients(params, x[:, 1:4], y, cell="gru", return_arrays=True)
    assert compiled["jit(_time_gradients_jit)"] == 1, compiled


# ---------------------------------------------------------------------------------------
# El problema de la suma
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [2, 31])
def test_adding_problem(length):
    x, y = vg.adding_problem(jax.random.key(0), length=length, batch=500)
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (500, length, 2) and y.shape == (500, 1) and x.dtype == np.float64
    values, markers = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = length // 2
    np.testing.assert_array_equal(markers[:, :half].sum(axis=1), 1)  # uno en la primera mitad
    np.testing.assert_array_equal(markers[:, half:].sum(axis=1), 1)  # y otro en la segunda
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), rtol=1e-15)
    if length == 31:  # las posiciones cubren cada mitad
        assert len(np.unique(markers[:, :half].argmax(axis=1))) == half
        assert len(np.unique(markers[:, half:].argmax(axis=1))) == length - half
    x2, y2 = vg.adding_problem(jax.random.key(0), length=length, batch=500)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = vg.adding_problem(jax.random.key(1), length=length, batch=500)
    assert not np.array_equal(x, x3)


def test_adding_problem_float32():
    x, y = vg.adding_problem(jax.random.key(2), length=8, batch=4, dtype="float32")
    assert x.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(x[..., 1].sum(axis=1), 2)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * x[..., 1]).sum(axis=1), rtol=1e-6)


# ---------------------------------------------------------------------------------------
# Errores en español
# ---------------------------------------------------------------------------------------
def test_bad_input_gets_spanish_errors():
    params, x, y = small_problem("rnn", seed=0)
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"`length` debe ser un entero ≥ 2; se recibió 0"):
        vg.adding_problem(key, length=0, batch=2)
    with pytest.raises(ValueError, match=r"`batch` debe ser un entero ≥ 1; se recibió 0"):
        vg.adding_problem(key, length=4, batch=0)
    with pytest.raises(ValueError, match=r"longitud de la secuencia T .* debe ser ≥ 1; se recibió T = 0"):
        vg.time_gradients(params, np.zeros((B, 0, N_IN)), y, cell="rnn")
    with pytest.raises(ValueError, match=r"`x` debe tener forma \(B, T, 2\).*se recibió \(3, 6, 5\)"):
        vg.recurrent_forward(params, np.zeros((B, T, 5)), cell="rnn")
    with pytest.raises(ValueError, match=r"`x` debe tener forma \(B, T, n_in\).*forma \(3, 2\)"):
        vg.recurrent_forward(params, np.zeros((B, N_IN)), cell="rnn")
    with pytest.raises(ValueError, match=r"`y` debe tener forma \(3, 2\).*se recibió \(3, 1\)"):
        vg.time_gradients(params, x, np.zeros((B, 1)), cell="rnn")
    with pytest.raises(ValueError, match=r"cell='lstm'.*`params\['W'\]` debe tener forma \(n, 4·n\) = "
                                         r"\(4, 16\); se recibió \(4, 4\)\. ¿Son parámetros de otra celda\?"):
        vg.time_gradients(params, x, y, cell="lstm")
    with pytest.raises(TypeError, match=r"`params` debe ser un diccionario \{'W', 'U', 'b', 'readout'"):
        vg.recurrent_forward({"W": params["W"]}, x, cell="rnn")
    bad_x = np.array(x)
    bad_x[0, 2, 1] = np.nan
    with pytest.raises(ValueError, match=r"`x` contiene 1 valor NaN o infinitos"):
        vg.time_gradients(params, bad_x, y, cell="rnn")
    bad_p = {**params, "W": params["W"].at[0, 0].set(np.inf)}
    with pytest.raises(ValueError, match=r"`params\['W'\]` contiene 1 valor NaN o infinitos"):
        vg.recurrent_forward(bad_p, x, cell="rnn")
    with pytest.raises(ValueError, match=r"`cell` = 'lstn' no es válido\. Los valores válidos son: "
                                         r"rnn, lstm, gru\. ¿Quisiste decir «lstm»\?"):
        vg.recurrent_forward(params, x, cell="lstn")
    with pytest.raises(ValueError, match=r"`cell` = 'transformer' no es válido.*rnn, lstm, gru"):
        vg.init_recurrent(key, cell="transformer", hidden=3, n_in=2)
    with pytest.raises(ValueError, match=r"`hidden` debe ser un entero ≥ 1; se recibió 0"):
        vg.init_recurrent(key, cell="gru", hidden=0, n_in=2)
    with pytest.raises(ValueError, match=r"`scale` debe ser ≥ 0\.0; se recibió -1\.0"):
        vg.init_recurrent(key, cell="rnn", hidden=3, n_in=2, scale=-1.0)
    with pytest.raises(TypeError, match=r"`key` debe ser una clave aleatoria de JAX"):
        vg.adding_problem(0, length=4, batch=2)
    with pytest.raises(ValueError, match=r"`activation` = 'relu' solo se puede elegir con cell='rnn'"):
        lstm_params, _, _ = small_problem("lstm")
        vg.recurrent_forward(lstm_params, x, cell="lstm", activation="relu")
    with pytest.raises(ValueError, match=r"`activation` = 'tahn' no es válido.*¿Quisiste decir «tanh»\?"):
        vg.recurrent_forward(params, x, cell="rnn", activation="tahn")
    with pytest.raises(ValueError, match=r"`c0` .* solo existe con cell='lstm'"):
        vg.recurrent_forward(params, x, cell="rnn", c0=np.zeros((B, N)))
    with pytest.raises(ValueError, match=r"`h0` debe tener forma \(3, 4\); se recibió \(3, 5\)"):
        vg.recurrent_forward(params, x, cell="rnn", h0=np.zeros((B, 5)))
    with pytest.raises(ValueError, match=r"`loss` = 'mae' no es válido"):
        vg.time_gradients(params, x, y, cell="rnn", loss="mae")
    with pytest.raises(TypeError, match=r"`return_arrays` debe ser True o False"):
        vg.time_gradients(params, x, y, cell="rnn", return_arrays=1)
