"""Redes profundas como funciones puras de parámetros explícitos.

Convenciones (suficientes para reproducir los números con otra biblioteca)
==========================================================================
Entrada ``x`` de forma ``(B, n_in)`` (B ejemplos, uno por fila); profundidad de
``L ≥ 1`` capas ocultas de anchura ``n``; salida de forma ``(B, n_out)``. Las capas se
numeran desde la entrada: **la capa 1 es la más cercana a la entrada** y la capa
L la más cercana a la salida. En los arreglos por capa, el índice 0 es la capa 1.

Parámetros (un *pytree* de arreglos que se puede escribir a mano)::

    params = {
        "input":   {"W": (n_in, n),      "b": (n,)},        # capa 1
        "hidden":  {"W": (L-1, n, n),    "b": (L-1, n)},    # capas 2..L, apiladas
        "readout": {"W": (n, n_out),     "b": (n_out,)},    # lectura lineal
    }

Las capas 2..L están apiladas en un solo arreglo para recorrerlas con
``jax.lax.scan`` (una sola compilación, independiente de L).
:func:`params_from_layers` y :func:`layers_from_params` convierten desde y hacia
una lista de capas ``[{"W", "b"}, ...]``.

Ecuación de capa (una fila por ejemplo; el sesgo se suma después del producto)::

    z_1 = x W_1 + b_1,                  h_1 = φ(z_1)
    z_l = h_{l-1} W_l + b_l,            h_l = φ(z_l)                 (red simple)
                                        h_l = h_{l-1} + α·φ(z_l)     (residual, l ≥ 2)
    ŷ  = h_L W_o + b_o                  (lectura lineal, sin activación)

La *preactivación* ``z_l`` es siempre el argumento de φ en la capa l.

- **Residual** (``residual=True``): la capa 1 no tiene conexión de salto (cambia la anchura);
  cada capa l ≥ 2 suma su rama escalada por ``α = residual_scale`` a su entrada.
- **Normalización por lotes** (``batchnorm=True``, estadísticas del lote como al
  inicio del entrenamiento, escala γ = 1): ``u_l = h_{l-1} W_l`` (o ``x W_1``),
  ``z_l = (u_l − media_B(u_l)) / sqrt(var_B(u_l) + ε) + b_l``, con media y
  varianza (sesgada, dividiendo entre B) por unidad sobre el lote y ε = 1e-5.
  El sesgo ``b_l`` hace de desplazamiento β. Se aplica en las capas 1..L.

Pérdidas (media sobre el lote)::

    "mse":           L = 1/B · Σ_b ½‖ŷ_b − y_b‖²
    "cross_entropy": L = −1/B · Σ_b Σ_k y_bk · log softmax(ŷ_b)_k   (y: probabilidades)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._validation import (
    check_array,
    check_choice,
    check_float,
    check_int,
    check_key,
)
from vgcourse.activations import get_activation
from vgcourse.initializers import INITIALIZERS, check_init
from vgcourse.precision import resolve_dtype

__all__ = [
    "LOSSES",
    "BN_EPS",
    "depth_of",
    "forward",
    "init_mlp",
    "layers_from_params",
    "params_from_layers",
    "batch_core",
    "random_batch",
    "validate_inputs",
]

LOSSES = ("mse", "cross_entropy")
BN_EPS = 1e-5

Params = dict[str, dict[str, jax.Array]]


# ---------------------------------------------------------------------------
# Inicialización
# ---------------------------------------------------------------------------
@functools.partial(
    jax.jit, static_argnames=("depth", "width", "n_in", "n_out", "init", "dtype", "with_bias")
)
def _init_core(key, gain, bias_std, *, depth, width, n_in, n_out, init, dtype, with_bias=True):
    """Núcleo trazable de :func:`init_mlp` (sin validación).

    ``with_bias=False`` (cuando ``bias_std == 0``) omite el sorteo de los sesgos, que serían
    cero de todos modos: el resultado es idéntico y se compila menos.
    """
    k_in, k_hidden, k_out, k_bias = jax.random.split(key, 4)
    make = INITIALIZERS[init]

    def hidden_layer(i):
        # fold_in por índice de capa: la red de profundidad d es un prefijo exacto
        # de la de profundidad D > d con la misma clave (los barridos lo usan).
        k = jax.random.fold_in(k_hidden, i)
        return make(k, (width, width), dtype)

    w_hidden = jax.vmap(hidden_layer)(jnp.arange(depth - 1))
    if with_bias:
        bias_keys = jax.vmap(lambda i: jax.random.fold_in(k_bias, i))(jnp.arange(depth))
        biases = jax.vmap(lambda k: jax.random.normal(k, (width,), dtype))(bias_keys)
    else:
        biases = jnp.zeros((depth, width), dtype)
    return {
        "input": {"W": gain * make(k_in, (n_in, width), dtype), "b": bias_std * biases[0]},
        "hidden": {"W": gain * w_hidden, "b": bias_std * biases[1:]},
        "readout": {
            "W": gain * make(k_out, (width, n_out), dtype),
            "b": jnp.zeros((n_out,), dtype),
        },
    }


def init_mlp(
    key: jax.Array,
    *,
    depth: int,
    width: int,
    n_in: int,
    n_out: int = 1,
    init: str = "xavier_normal",
    gain: float = 1.0,
    bias_std: float = 0.0,
    dtype: str | None = None,
) -> Params:
    """Parámetros de un perceptrón multicapa profundo (ver las convenciones del módulo).

    Todas las capas (también la lectura) usan la inicialización ``init`` con su
    propio ``fan_in``/``fan_out``, multiplicada por ``gain``. Los sesgos son
    ``N(0, bias_std²)`` (cero por defecto: σ_b² = bias_std²). La capa l ≥ 2 usa la
    subclave ``fold_in(k_hidden, l-2)``, así que los pesos de las d primeras capas no
    dependen de la profundidad total.

    Args:
        key: ``jax.random.key(semilla)``.
        depth: número de capas ocultas L ≥ 1.
        width: anchura n ≥ 1 de cada capa oculta.
        n_in: tamaño de la entrada ≥ 1.
        n_out: tamaño de la salida ≥ 1.
        init: nombre de la inicialización (:mod:`vgcourse.initializers`).
        gain: factor de los pesos (> 0).
        bias_std: desviación típica de los sesgos (≥ 0).
        dtype: ``"float64"`` (por defecto donde el backend lo admite) o ``"float32"``.

    Returns:
        El *pytree* ``params`` descrito en el módulo.
    """
    key = check_key("key", key)
    depth = check_int("depth", depth)
    width = check_int("width", width)
    n_in = check_int("n_in", n_in)
    n_out = check_int("n_out", n_out)
    init = check_init(init)
    gain = check_float("gain", gain, strictly_positive=True, maximum=1e3)
    bias_std = check_float("bias_std", bias_std, minimum=0.0, maximum=1e3)
    dt = resolve_dtype(dtype)
    return _init_core(
        key, jnp.asarray(gain, dt), jnp.asarray(bias_std, dt),
        depth=depth, width=width, n_in=n_in, n_out=n_out, init=init, dtype=dt,
        with_bias=bias_std > 0,
    )


def batch_core(key, *, batch, n_in, n_out, dtype):
    """Núcleo trazable de :func:`random_batch`: una sola extracción ``(batch, n_in + n_out)``."""
    xy = jax.random.normal(key, (batch, n_in + n_out), dtype)
    return xy[:, :n_in], xy[:, n_in:]


def random_batch(
    key: jax.Array, *, batch: int, n_in: int, n_out: int = 1, dtype: str | None = None
) -> tuple[jax.Array, jax.Array]:
    """Un lote sintético ``(x, y)`` con entradas y objetivos ``N(0, 1)`` independientes.

    Se extrae una matriz normal ``(batch, n_in + n_out)`` con ``key``; sus primeras
    ``n_in`` columnas son ``x`` y las demás, ``y``.

    Returns:
        ``x`` de forma ``(batch, n_in)`` e ``y`` de forma ``(batch, n_out)``.
    """
    key = check_key("key", key)
    batch = check_int("batch", batch)
    n_in = check_int("n_in", n_in)
    n_out = check_int("n_out", n_out)
    return batch_core(key, batch=batch, n_in=n_in, n_out=n_out, dtype=resolve_dtype(dtype))


def params_from_layers(layers: Sequence[dict[str, Any]], readout: dict[str, Any]) -> Params:
    """Construye ``params`` a partir de una lista de capas ``[{"W": (fan_in, n), "b": (n,)}, ...]``.

    Útil para escribir una red pequeña a mano. La primera capa puede tener un
    ``fan_in`` distinto; los pesos de las demás deben tener forma ``(n, n)``.
    """
    if not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError("`layers` debe ser una lista no vacía de capas {'W': ..., 'b': ...}.")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            raise ValueError(f"`layers[{i}]` debe ser un diccionario con las claves 'W' y 'b'.")
    n = np.shape(layers[0]["W"])[1]
    w_h = [jnp.asarray(layer["W"]) for layer in layers[1:]]
    b_h = [jnp.asarray(layer["b"]) for layer in layers[1:]]
    dt = jnp.asarray(layers[0]["W"]).dtype
    params = {
        "input": {"W": jnp.asarray(layers[0]["W"]), "b": jnp.asarray(layers[0]["b"])},
        "hidden": {
            "W": jnp.stack(w_h) if w_h else jnp.zeros((0, n, n), dt),
            "b": jnp.stack(b_h) if b_h else jnp.zeros((0, n), dt),
        },
        "readout": {"W": jnp.asarray(readout["W"]), "b": jnp.asarray(readout["b"])},
    }
    validate_params(params)
    return params


def layers_from_params(params: Params) -> list[dict[str, jax.Array]]:
    """La lista de capas ocultas ``[{"W", "b"}, ...]`` (capa 1 primero) de ``params``."""
    validate_params(params)
    layers = [dict(params["input"])]
    for W, b in zip(params["hidden"]["W"], params["hidden"]["b"]):
        layers.append({"W": W, "b": b})
    return layers


def depth_of(params: Params) -> int:
    """Profundidad L (número de capas ocultas) de ``params``."""
    return 1 + int(np.shape(params["hidden"]["W"])[0])


# ---------------------------------------------------------------------------
# Validación de parámetros y datos
# ---------------------------------------------------------------------------
def validate_params(params: Any) -> tuple[int, int, int, int]:
    """Comprueba la estructura y las formas de ``params``; devuelve ``(L, n_in, n, n_out)``."""
    expected = {"input": {"W", "b"}, "hidden": {"W", "b"}, "readout": {"W", "b"}}
    if not isinstance(params, dict) or set(params) != set(expected) or any(
        not isinstance(params[k], dict) or set(params[k]) != v for k, v in expected.items()
    ):
        got = (
            {k: sorted(v) if isinstance(v, dict) else type(v).__name__ for k, v in params.items()}
            if isinstance(params, dict)
            else type(params).__name__
        )
        raise TypeError(
            "`params` debe ser un diccionario {'input': {'W','b'}, 'hidden': {'W','b'}, "
            f"'readout': {{'W','b'}}}} como el que devuelve `init_mlp`; se recibió {got}."
        )
    w_in = check_array("params['input']['W']", params["input"]["W"], ndim=2)
    n_in, n = w_in.shape
    check_array("params['input']['b']", params["input"]["b"], shape=(n,))
    hw = params["hidden"]["W"]
    if np.ndim(hw) != 3 or tuple(np.shape(hw)[1:]) != (n, n):
        raise ValueError(
            f"`params['hidden']['W']` debe tener forma (L-1, {n}, {n}); "
            f"se recibió {tuple(np.shape(hw))}."
        )
    depth = 1 + np.shape(hw)[0]
    if depth > 1:
        check_array("params['hidden']['W']", hw)
    hb = params["hidden"]["b"]
    if tuple(np.shape(hb)) != (depth - 1, n):
        raise ValueError(
            f"`params['hidden']['b']` debe tener forma ({depth - 1}, {n}); "
            f"se recibió {tuple(np.shape(hb))}."
        )
    if depth > 1:
        check_array("params['hidden']['b']", hb)
    w_out = check_array("params['readout']['W']", params["readout"]["W"], ndim=2)
    if w_out.shape[0] != n:
        raise ValueError(
            f"`params['readout']['W']` debe tener forma ({n}, n_out); se recibió {tuple(w_out.shape)}."
        )
    n_out = w_out.shape[1]
    check_array("params['readout']['b']", params["readout"]["b"], shape=(n_out,))
    return int(depth), int(n_in), int(n), int(n_out)


def validate_inputs(params: Any, x: Any, y: Any = None) -> tuple[int, int, int, int]:
    """Valida ``params``, la entrada ``x`` ``(B, n_in)`` y, si se da, el objetivo ``y`` ``(B, n_out)``."""
    depth, n_in, n, n_out = validate_params(params)
    xa = check_array("x", x, ndim=2)
    if xa.shape[1] != n_in:
        raise ValueError(
            f"`x` debe tener forma (B, {n_in}) porque la primera capa espera {n_in} entradas; "
            f"se recibió {tuple(xa.shape)}."
        )
    if y is not None:
        ya = check_array("y", y, ndim=2)
        if ya.shape != (xa.shape[0], n_out):
            raise ValueError(
                f"`y` debe tener forma ({xa.shape[0]}, {n_out}) (un objetivo por ejemplo de `x`); "
                f"se recibió {tuple(ya.shape)}."
            )
    return depth, n_in, n, n_out


def check_architecture(
    activation: str, residual: bool, residual_scale: float, batchnorm: bool
) -> tuple[str, bool, float, bool]:
    """Valida las opciones de arquitectura comunes a todas las funciones."""
    act = get_activation(activation).name
    for arg, v in (("residual", residual), ("batchnorm", batchnorm)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"`{arg}` debe ser True o False; se recibió {v!r}.")
    residual_scale = check_float("residual_scale", residual_scale)
    return act, bool(residual), residual_scale, bool(batchnorm)


# ---------------------------------------------------------------------------
# Paso hacia delante (núcleo trazable; sin validación)
# ---------------------------------------------------------------------------
@jax.custom_jvp
def dense(h: jax.Array, W: jax.Array) -> jax.Array:
    """``h @ W`` con una regla de derivación escrita para que XLA elija productos rápidos.

    Es la misma derivada exacta (tangente ``ḣ W + h Ẇ``; al trasponerla, ∂L/∂h = g Wᵀ y
    ∂L/∂W = hᵀ g); solo cambia la disposición en memoria: ``hᵀ`` se materializa en el
    paso hacia delante (``optimization_barrier`` impide que XLA la vuelva a plegar), de
    modo que ∂L/∂W es un producto «normal × normal». En CPU, el producto con el operando
    traspuesto al vuelo era más lento (``benchmarks/``). Admite modo directo e inverso
    (``jacfwd`` y ``jacrev``); las pruebas lo comparan con diferencias finitas.
    """
    return h @ W


@dense.defjvp
def _dense_jvp(primals, tangents):
    h, W = primals
    h_dot, W_dot = tangents
    h_t = jax.lax.optimization_barrier(h.T)
    return h @ W, h_dot @ W + (W_dot.T @ h_t).T


def _batchnorm(u: jax.Array) -> jax.Array:
    mean = jnp.mean(u, axis=0, keepdims=True)
    var = jnp.mean(jnp.square(u - mean), axis=0, keepdims=True)
    return (u - mean) * jax.lax.rsqrt(var + BN_EPS)


def forward_core(
    params: Params,
    x: jax.Array,
    perturb: jax.Array | None,
    depth: jax.Array | None,
    alpha: jax.Array,
    *,
    activation: str,
    residual: bool,
    batchnorm: bool,
    collect: bool,
):
    """Paso hacia delante trazable. Devuelve ``(ŷ, (z, h))`` con ``z, h`` de forma ``(L, B, n)``.

    ``perturb`` (forma ``(L, B, n)`` o ``None``) se suma a cada preactivación: su
    gradiente es exactamente ∂L/∂z_l. ``depth`` (entero trazado o ``None``) desactiva
    las capas l > depth (pasan h sin cambios), para barrer profundidades sin recompilar.
    """
    # ``activation`` es un nombre o, dentro de otros núcleos trazados (el explorador),
    # una función elemento a elemento ya construida.
    phi = activation if callable(activation) else get_activation(activation).fn

    def pre(h, W, b):
        u = dense(h, W)
        return (_batchnorm(u) if batchnorm else u) + b[None, :]

    z1 = pre(x, params["input"]["W"], params["input"]["b"])
    if perturb is not None:
        z1 = z1 + perturb[0]
    h1 = phi(z1)
    n_hidden = params["hidden"]["W"].shape[0]
    dt = h1.dtype
    eps_hidden = perturb[1:] if perturb is not None else jnp.zeros((n_hidden, 1, 1), dt)

    def layer(h, W, b, e):
        z = pre(h, W, b) + e
        a = phi(z)
        return (h + alpha * a if residual else a), z

    def body(h, xs):
        W, b, e, idx = xs
        if depth is None:
            h_new, z = layer(h, W, b, e)
        else:
            h_new, z = jax.lax.cond(
                idx + 2 <= depth,
                lambda: layer(h, W, b, e),
                lambda: (h, jnp.zeros(h.shape, h.dtype)),
            )
        return h_new, ((z, h_new) if collect else None)

    hL, ys = jax.lax.scan(
        body,
        h1,
        (params["hidden"]["W"], params["hidden"]["b"], eps_hidden, jnp.arange(n_hidden)),
    )
    out = dense(hL, params["readout"]["W"]) + params["readout"]["b"][None, :]
    if not collect:
        return out, None
    z_all = jnp.concatenate([z1[None], ys[0]], axis=0)
    h_all = jnp.concatenate([h1[None], ys[1]], axis=0)
    return out, (z_all, h_all)


def loss_fn(out: jax.Array, y: jax.Array, loss: str) -> jax.Array:
    """Pérdida media sobre el lote (ver las convenciones del módulo)."""
    if loss == "mse":
        return 0.5 * jnp.mean(jnp.sum(jnp.square(out - y), axis=-1))
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(out, axis=-1), axis=-1))


def prepare_call(params, x, y, activation, residual, residual_scale, batchnorm, dtype):
    """Valida y convierte los argumentos comunes de las funciones públicas.

    Returns:
        ``(params, x, y, alpha, static)`` convertidos a ``dtype`` (``y`` puede ser ``None``),
        con ``static`` = ``{activation, residual, batchnorm}`` para los núcleos compilados.
    """
    validate_inputs(params, x, y)
    act, residual, alpha, batchnorm = check_architecture(
        activation, residual, residual_scale, batchnorm
    )
    dt = resolve_dtype(dtype)
    params = jax.tree.map(lambda a: jnp.asarray(a, dt), params)
    return (
        params,
        jnp.asarray(x, dt),
        None if y is None else jnp.asarray(y, dt),
        jnp.asarray(alpha, dt),
        dict(activation=act, residual=residual, batchnorm=batchnorm),
    )


@functools.partial(jax.jit, static_argnames=("activation", "residual", "batchnorm"))
def _forward_jit(params, x, alpha, *, activation, residual, batchnorm):
    return forward_core(
        params, x, None, None, alpha,
        activation=activation, residual=residual, batchnorm=batchnorm, collect=False,
    )[0]


def forward(
    params: Params,
    x: jax.typing.ArrayLike,
    *,
    activation: str,
    residual: bool = False,
    residual_scale: float = 1.0,
    batchnorm: bool = False,
    dtype: str | None = None,
) -> jax.Array:
    """Salida ``ŷ`` de forma ``(B, n_out)`` de la red (ecuaciones en el módulo)."""
    params, x, _, alpha, static = prepare_call(
        params, x, None, activation, residual, residual_scale, batchnorm, dtype
    )
    return _forward_jit(params, x, alpha, **static)


def check_loss(loss: str) -> str:
    return check_choice("loss", loss, LOSSES)
