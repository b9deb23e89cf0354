"""La cadena escalar: la red más pequeña donde se ve la regla de la cadena.

Una «red» de anchura 1 y profundidad L::

    z_1 = w_1·x + b_1,   h_l = φ(z_l),   z_{l+1} = w_{l+1}·h_l + b_{l+1},   salida h_L

Por la regla de la cadena, ``∂h_L/∂x = Π_l φ'(z_l)·w_l``: un producto de L factores,
uno por capa. :func:`chain_forward` da las ``z_l`` para calcular ese producto a mano;
:func:`chain_grad` da el mismo número con ``jax.grad``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from vgcourse._validation import check_array
from vgcourse.activations import get_activation
from vgcourse._precision import resolve_dtype

__all__ = ["chain_forward", "chain_grad"]


def _prepare(weights, biases, x, dtype):
    dt = resolve_dtype(dtype)
    w = jnp.asarray(check_array("weights", weights), dt)
    b = jnp.asarray(check_array("biases", biases), dt)
    if w.ndim != 1 or b.shape != w.shape:
        raise ValueError(
            "`weights` y `biases` deben ser vectores de la misma longitud L (uno por capa); "
            f"se recibieron formas {w.shape} y {b.shape}."
        )
    return w, b, jnp.asarray(x, dt)


@functools.partial(jax.jit, static_argnames=("activation",))
def _forward(w, b, x, *, activation):
    phi = get_activation(activation).fn

    def step(h, wb):
        z = wb[0] * h + wb[1]
        return phi(z), z

    return jax.lax.scan(step, x, (w, b))


def chain_forward(weights, biases, x, *, activation: str, dtype: str | None = None):
    """Paso hacia delante de la cadena escalar.

    Args:
        weights, biases: ``(L,)`` pesos y sesgos, la capa 1 primero.
        x: la entrada escalar.
        activation: nombre de la activación.

    Returns:
        ``(h_L, z)`` con ``z`` de forma ``(L,)``: las preactivaciones de cada capa.
    """
    w, b, x = _prepare(weights, biases, x, dtype)
    return _forward(w, b, x, activation=get_activation(activation).name)


@functools.partial(jax.jit, static_argnames=("activation",))
def _grad(w, b, x, *, activation):
    return jax.grad(lambda x_: _forward(w, b, x_, activation=activation)[0])(x)


def chain_grad(weights, biases, x, *, activation: str, dtype: str | None = None) -> jax.Array:
    """``∂h_L/∂x`` de la cadena escalar, calculado con ``jax.grad`` (sin regla de la cadena a mano)."""
    w, b, x = _prepare(weights, biases, x, dtype)
    return _grad(w, b, x, activation=get_activation(activation).name)
