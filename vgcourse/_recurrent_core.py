"""Núcleos trazables de las redes recurrentes, compartidos por ``recurrent`` y ``recurrent_training``.

Sin validación: las funciones públicas validan antes de llamarlas. Ecuaciones, convenciones y
referencias en :mod:`vgcourse.recurrent`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from vgcourse.activations import get_activation
from vgcourse.initializers import INITIALIZERS

#: celdas disponibles
CELLS = ("rnn", "lstm", "gru")
#: número de bloques (n, n) de W por celda
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def run_cells(params, x, h0, c0, e_h, e_c, *, cell, activation, collect, valid_from=None):
    """Paso hacia delante trazable; devuelve ``(ŷ, (h, c, preact, gates) o None)``.

    ``e_h``/``e_c`` (``(T, B, n)`` o ``None``) son las perturbaciones nulas del módulo
    :mod:`vgcourse.recurrent`. ``valid_from`` (entero, puede ser trazado; ``None``: 0) es el
    primer paso que actualiza el estado: en los pasos anteriores (relleno a la izquierda) el
    estado se queda en ``h0`` (``c0``), así que una secuencia de longitud T rellenada hasta
    T_max da exactamente la misma salida y los mismos gradientes que sin relleno.
    """
    phi = get_activation(activation).fn
    dt = x.dtype
    batch, steps = x.shape[0], x.shape[1]
    W = params["W"]
    n = W.shape[0]
    # x_t U + b de todos los pasos a la vez, con el tiempo delante: (T, B, G·n)
    xu = jnp.einsum("bti,ij->tbj", x, params["U"]) + params["b"][None, None, :]
    h_init = jnp.zeros((batch, n), dt) if h0 is None else h0
    c_init = jnp.zeros((batch, n), dt) if c0 is None else c0
    zero = jnp.zeros((steps, 1, 1), dt)
    e_h = zero if e_h is None else e_h
    e_c = zero if e_c is None else e_c

    if cell == "rnn":
        def update(h, c, xu_t, eh, ec):
            a = h @ W + xu_t
            h_new = phi(a) + eh
            return h_new, c, ((h_new, a) if collect else None)
    elif cell == "lstm":
        def update(h, c, xu_t, eh, ec):
            a = h @ W + xu_t
            i = jax.nn.sigmoid(a[:, :n])
            f = jax.nn.sigmoid(a[:, n:2 * n])
            g = jnp.tanh(a[:, 2 * n:3 * n])
            o = jax.nn.sigmoid(a[:, 3 * n:])
            c_new = f * c + i * g + ec
            h_new = o * jnp.tanh(c_new) + eh
            out = (h_new, c_new, a, jnp.concatenate([i, f, g, o], axis=1))
            return h_new, c_new, (out if collect else None)
    else:  # gru
        def update(h, c, xu_t, eh, ec):
            a_zr = h @ W[:, :2 * n] + xu_t[:, :2 * n]
            z = jax.nn.sigmoid(a_zr[:, :n])
            r = jax.nn.sigmoid(a_zr[:, n:])
            a_h = (r * h) @ W[:, 2 * n:] + xu_t[:, 2 * n:]
            cand = jnp.tanh(a_h)
            h_new = (1 - z) * h + z * cand + eh
            out = (h_new, jnp.concatenate([a_zr, a_h], axis=1), jnp.concatenate([z, r, cand], axis=1))
            return h_new, c, (out if collect else None)

    def step(carry, inp):
        h, c = carry  # c: sin uso fuera de la LSTM
        t, xu_t, eh, ec = inp
        h_new, c_new, out = update(h, c, xu_t, eh, ec)
        if valid_from is not None:  # relleno: el estado no cambia antes de valid_from
            active = t >= valid_from
            h_new = jnp.where(active, h_new, h)
            c_new = jnp.where(active, c_new, c)
        return (h_new, c_new), out

    (h_last, _), ys = jax.lax.scan(step, (h_init, c_init), (jnp.arange(steps), xu, e_h, e_c))
    readout = params["readout"]
    out = h_last @ readout["W"] + readout["b"][None, :]
    if not collect:
        return out, None
    if cell == "rnn":
        return out, (ys[0], None, ys[1], None)
    if cell == "lstm":
        return out, ys
    return out, (ys[0], None, ys[1], ys[2])


@functools.partial(jax.jit, static_argnames=("cell", "hidden", "n_in", "n_out", "dtype"))
def init_params(key, scale, forget_bias, *, cell, hidden, n_in, n_out, dtype):
    """Parámetros iniciales (ver :func:`vgcourse.init_recurrent`); ``scale`` y ``forget_bias``, trazados."""
    blocks = BLOCKS[cell]
    k_w, k_u, k_out = jax.random.split(key, 3)
    orthogonal, xavier = INITIALIZERS["orthogonal"], INITIALIZERS["xavier_normal"]

    def side_by_side(make, k, rows):
        # un bloque (rows, n) por subclave, con vmap (una sola compilación para los G bloques),
        # puestos uno al lado del otro: (rows, G·n)
        stack = jax.vmap(lambda kk: make(kk, (rows, hidden), dtype))(jax.random.split(k, blocks))
        return jnp.transpose(stack, (1, 0, 2)).reshape(rows, blocks * hidden)

    W = side_by_side(orthogonal, k_w, hidden)
    U = side_by_side(xavier, k_u, n_in)
    b = jnp.zeros((blocks * hidden,), dtype)
    if cell == "lstm":
        b = b.at[hidden:2 * hidden].set(forget_bias)
    return {
        "W": scale * W,
        "U": U,
        "b": b,
        "readout": {"W": xavier(k_out, (hidden, n_out), dtype), "b": jnp.zeros((n_out,), dtype)},
    }


def adding_sequences(key, length, *, max_length, batch, dtype):
    """El problema de la suma de longitud ``length`` (puede ser trazada), rellenado a la izquierda
    con ceros hasta ``max_length``: ``(x (B, max_length, 2), y (B, 1), primer paso válido)``.

    Con ``length == max_length`` no hay relleno y es exactamente :func:`vgcourse.adding_problem`.
    """
    k_values, k_first, k_second = jax.random.split(key, 3)
    offset = max_length - length
    half = length // 2
    pos = jnp.arange(max_length)
    values = jax.random.uniform(k_values, (batch, max_length), dtype)
    values = jnp.where(pos[None, :] >= offset, values, 0)
    first = offset + jax.random.randint(k_first, (batch,), 0, half)
    second = offset + jax.random.randint(k_second, (batch,), half, length)
    markers = (jax.nn.one_hot(first, max_length, dtype=dtype)
               + jax.nn.one_hot(second, max_length, dtype=dtype))
    x = jnp.stack([values, markers], axis=-1)
    y = jnp.sum(values * markers, axis=1, keepdims=True)
    return x, y, offset
