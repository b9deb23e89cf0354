"""Redes recurrentes y el gradiente de fuga a través del tiempo.

Una red recurrente aplica la *misma* celda en cada paso de tiempo: la retropropagación a
través del tiempo multiplica por el mismo jacobiano una y otra vez, como una red profunda
con los pesos compartidos entre capas. Este módulo da la red (RNN simple, LSTM y GRU) como
una función pura de un *pytree* de parámetros, el gradiente exacto ``∂L/∂h_t`` de cada paso
de tiempo (``jax.grad`` bajo ``jax.jit``, una sola pasada hacia atrás) y el problema de la
suma, una tarea de memoria a largo plazo generada sin descargas.

Convenciones (suficientes para reproducir los números con otra biblioteca)
==========================================================================
Entrada ``x`` de forma ``(B, T, n_in)``: B secuencias (una por fila, como en el resto del
paquete), T ≥ 1 pasos de tiempo y ``n_in`` entradas por paso; ``x_t`` es la matriz
``(B, n_in)`` del paso t = 1..T. Estado oculto de anchura ``n``; estado inicial
``h_0 = 0`` (y ``c_0 = 0`` en la LSTM) salvo que se pase ``h0`` (``c0``). En los arreglos
por paso de tiempo, **el índice 0 es t = 1** y el índice T − 1 es t = T.

Parámetros (iguales para las tres celdas salvo el número G de bloques)::

    params = {
        "W": (n, G·n),                           # pesos recurrentes, un bloque (n, n) por puerta
        "U": (n_in, G·n),                        # pesos de la entrada
        "b": (G·n,),                             # sesgos
        "readout": {"W": (n, n_out), "b": (n_out,)},   # lectura lineal del último estado
    }

con G = 1 (``"rnn"``), 4 (``"lstm"``) o 3 (``"gru"``). ``W_k``, ``U_k`` y ``b_k`` son el
bloque k (columnas ``k·n .. (k+1)·n − 1``). σ es la sigmoide y ⊙ el producto elemento a
elemento; una fila por ejemplo, así que el sesgo se suma después de los productos.

RNN simple (Elman; φ elegible, ``"tanh"`` por defecto, ``"identity"`` para la red lineal)::

    z_t = h_{t−1} W + x_t U + b,        h_t = φ(z_t)

LSTM (Hochreiter y Schmidhuber, 1997, con la puerta de olvido de Gers et al., 2000; sin
conexiones *peephole*), bloques en el orden [entrada i, olvido f, candidata g, salida o]::

    a_t = h_{t−1} W + x_t U + b = [a_i | a_f | a_g | a_o]
    i_t = σ(a_i),   f_t = σ(a_f),   g_t = tanh(a_g),   o_t = σ(a_o)
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,        h_t = o_t ⊙ tanh(c_t)

GRU (Cho et al., 2014, en su forma original: la puerta de reinicio actúa *antes* del
producto por ``W_h``; PyTorch y cuDNN la aplican después), bloques [actualización z,
reinicio r, candidata h̃]::

    z_t = σ(h_{t−1} W_z + x_t U_z + b_z),      r_t = σ(h_{t−1} W_r + x_t U_r + b_r)
    h̃_t = tanh((r_t ⊙ h_{t−1}) W_h + x_t U_h + b_h)
    h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t

Salida y pérdida (media sobre el lote; solo el **último** estado llega a la salida)::

    ŷ = h_T W_o + b_o
    "mse":           L = 1/B · Σ_b ½‖ŷ_b − y_b‖²
    "cross_entropy": L = −1/B · Σ_b Σ_k y_bk · log softmax(ŷ_b)_k   (y: probabilidades)

Inicialización (:func:`init_recurrent`): cada bloque recurrente ``W_k`` es ``scale`` veces
una matriz ortogonal (todos sus valores singulares valen ``scale``); cada bloque ``U_k``,
Xavier normal ``(n_in, n)``; sesgos 0 salvo el de la puerta de olvido de la LSTM, que vale
``forget_bias`` (1 por defecto: Gers et al., 2000; Jozefowicz et al., 2015); lectura
Xavier normal con sesgo 0.

El gradiente de cada paso de tiempo
-----------------------------------
``∂L/∂h_t`` es la derivada **total** de L respecto del estado h_t (por todos los caminos:
los pasos siguientes y, en t = T, la lectura); en la LSTM, ``∂L/∂c_t`` también es total
(incluye el camino ``h_t = o_t ⊙ tanh(c_t)``). Se obtienen todos en una sola pasada hacia
atrás con perturbaciones nulas: un tensor ``e^h`` de forma ``(T, B, n)`` se suma a cada
``h_t`` después de calcularlo (y ``e^c`` a cada ``c_t`` antes de calcular ``h_t``); el
gradiente de L respecto de ``e^h_t`` en ``e = 0`` es exactamente ``∂L/∂h_t``. En la RNN,
con la fila ``g_t = ∂L/∂h_t`` de un ejemplo::

    g_t = (g_{t+1} ⊙ φ'(z_{t+1})) Wᵀ,     ‖g_t‖ ≤ max|φ'| · σ_max(W) · ‖g_{t+1}‖

(Pascanu, Mikolov y Bengio, 2013): si ``γ·σ_max(W) < 1``, con γ = max|φ'| (1 para tanh),
el gradiente se desvanece hacia el pasado al menos como ``(γ·σ_max)^(T−t)``. En la red
lineal, ``∂h_T/∂h_t = (Wᵀ)^(T−t)`` (jacobiano con las componentes de h_T en las filas). En
la LSTM, ``∂c_t/∂c_{t−1} = diag(f_t)`` a ``h_{t−1}`` fijo: el «carrusel» de la celda deja
pasar el gradiente multiplicado solo por la puerta de olvido.

*Underflow*: las normas se calculan escaladas (``m·‖g/m‖`` con ``m = max|g|``) y cada paso
se clasifica del último al primero con la regla de :mod:`vgcourse.gradients` (umbral:
``2**20`` veces el mínimo normal del tipo). El gradiente del estado en t se calcula solo a
partir del de t + 1, así que un paso en *underflow* lo extiende a todos los anteriores; en
la LSTM el estado es el par ``(h_t, c_t)`` y pasa a *underflow* cuando lo está el mayor de
los dos (cada norma se marca además si ella misma está bajo el umbral). Un paso en
*underflow* tiene norma ``NaN``, nunca 0; un cero exacto bajo un paso medido (``W = 0``)
es un 0 medido.

Referencias: Hochreiter y Schmidhuber (1997), «Long short-term memory»; Gers, Schmidhuber
y Cummins (2000), «Learning to forget»; Cho et al. (2014), «Learning phrase
representations using RNN encoder-decoder»; Pascanu, Mikolov y Bengio (2013), «On the
difficulty of training recurrent neural networks»; Jozefowicz, Zaremba y Sutskever (2015),
«An empirical exploration of recurrent network architectures»; Arjovsky, Shah y Bengio
(2016), «Unitary evolution recurrent neural networks».
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._core import check_loss, loss_fn, preact_underflow, scaled_norm
from vgcourse._precision import resolve_dtype, underflow_threshold
from vgcourse._validation import (
    check_array,
    check_choice,
    check_float,
    check_int,
    check_key,
    check_readout,
    describe_structure,
)
from vgcourse._recurrent_core import BLOCKS, CELLS, adding_sequences, init_params, run_cells
from vgcourse.activations import get_activation

__all__ = [
    "CELLS",
    "RecurrentStates",
    "TimeGradients",
    "adding_problem",
    "init_recurrent",
    "recurrent_forward",
    "recurrent_loss",
    "recurrent_problem",
    "time_gradients",
    "time_profile",
]


RecurrentParams = dict[str, Any]


class RecurrentStates(NamedTuple):
    """Paso hacia delante de una red recurrente (índice 0 del eje de tiempo = t = 1).

    ``preact`` son los argumentos de las no linealidades: en la RNN, z_t; en la LSTM,
    a_t = [a_i | a_f | a_g | a_o]; en la GRU, [a_z | a_r | a_h] con
    a_h = (r_t ⊙ h_{t−1}) W_h + x_t U_h + b_h. ``gates``, las puertas tras su no linealidad,
    en el mismo orden: LSTM [i | f | g | o], GRU [z | r | h̃].
    """

    output: jax.Array         #: (B, n_out) ŷ = h_T W_o + b_o
    h: jax.Array              #: (T, B, n) estados ocultos h_1..h_T
    c: jax.Array | None       #: (T, B, n) estados de la celda c_1..c_T (LSTM); None en las demás
    preact: jax.Array         #: (T, B, G·n) argumentos de las no linealidades
    gates: jax.Array | None   #: (T, B, G·n) puertas (LSTM, GRU); None en la RNN


class TimeGradients(NamedTuple):
    """Gradientes exactos por paso de tiempo (índice 0 = t = 1). Formas con T pasos y lote B."""

    loss: jax.Array                  #: () valor de la pérdida
    h_norm: jax.Array                #: (T,) ‖∂L/∂H_t‖_F sobre el lote; NaN si hay underflow
    h_norm_per_example: jax.Array    #: (T, B) ‖∂L/∂h_{t,b}‖; NaN si hay underflow
    h_underflow: jax.Array           #: (T,) bool
    c_norm: jax.Array | None = None  #: (T,) ‖∂L/∂C_t‖_F (solo LSTM); NaN si hay underflow
    c_underflow: jax.Array | None = None  #: (T,) bool (solo LSTM)
    h_grads: jax.Array | None = None      #: (T, B, n) ∂L/∂h_t completos (con ``return_arrays``)
    c_grads: jax.Array | None = None      #: (T, B, n) ∂L/∂c_t completos (LSTM, con ``return_arrays``)
    param_grads: RecurrentParams | None = None  #: ∂L/∂params (misma estructura; con ``return_arrays``)


# ---------------------------------------------------------------------------
# Núcleos trazables (sin validación de arreglos)
# ---------------------------------------------------------------------------
def _check_cell_activation(cell: str, activation: str) -> tuple[str, str]:
    """Valida los argumentos estáticos (nombres); no toca arreglos, vale también bajo traza."""
    cell = check_choice("cell", cell, CELLS)
    act = get_activation(activation).name
    if cell != "rnn" and act != "tanh":
        raise ValueError(
            f"`activation` = {activation!r} solo se puede elegir con cell='rnn'; la celda "
            f"{cell!r} usa sigmoides en sus puertas y tanh en la candidata (sus ecuaciones son "
            "fijas). Con esta celda deja activation='tanh'."
        )
    return cell, act


@functools.partial(jax.jit, static_argnames=("cell", "activation", "loss"))
def recurrent_loss(
    params: RecurrentParams,
    x: jax.Array,
    y: jax.Array,
    *,
    cell: str,
    activation: str = "tanh",
    loss: str = "mse",
    h0: jax.Array | None = None,
    c0: jax.Array | None = None,
    perturb_h: jax.Array | None = None,
    perturb_c: jax.Array | None = None,
    valid_from: jax.Array | int | None = None,
) -> jax.Array:
    """Pérdida escalar de la red recurrente, trazable y derivable (sin validar los arreglos).

    Es la función que deriva :func:`time_gradients` y la que puede derivar un bucle de
    entrenamiento (``jax.grad(recurrent_loss)(params, x, y, cell="lstm")``). Solo se
    comprueban los nombres ``cell``, ``activation`` y ``loss``; los arreglos se usan en su
    propio tipo de dato, sin convertirlos ni validarlos.

    Args:
        params: parámetros de :func:`init_recurrent` (estructura en el módulo).
        x: entradas ``(B, T, n_in)``.
        y: objetivos ``(B, n_out)``.
        cell: ``"rnn"``, ``"lstm"`` o ``"gru"``.
        activation: φ de la RNN (:mod:`vgcourse.activations`); las otras celdas, ``"tanh"``.
        loss: ``"mse"`` o ``"cross_entropy"``.
        h0, c0: estados iniciales ``(B, n)`` (``None``: ceros; ``c0`` solo en la LSTM).
        perturb_h, perturb_c: perturbaciones ``(T, B, n)`` sumadas a cada ``h_t`` (después de
            calcularlo) y a cada ``c_t`` (antes de calcular ``h_t``); ``None``: ninguna. El
            gradiente respecto de ellas en 0 es ``∂L/∂h_t`` y ``∂L/∂c_t``.
        valid_from: índice del primer paso que actualiza el estado (``None``: 0). Los pasos
            anteriores son relleno: el estado se queda en ``h0`` (``c0``). Así, secuencias de
            longitudes distintas, rellenadas a la izquierda hasta la misma T, comparten una
            compilación y dan exactamente la pérdida y los gradientes de la secuencia sin
            relleno.

    Returns:
        La pérdida media sobre el lote, forma ``()``.
    """
    cell, activation = _check_cell_activation(cell, activation)
    loss = check_loss(loss)
    if cell != "lstm" and (c0 is not None or perturb_c is not None):
        raise ValueError(f"`c0` y `perturb_c` solo existen con cell='lstm'; se pidió cell={cell!r}.")
    out, _ = run_cells(params, x, h0, c0, perturb_h, perturb_c, cell=cell, activation=activation,
                       collect=False, valid_from=valid_from)
    return loss_fn(out, y, loss)


@functools.partial(jax.jit, static_argnames=("cell", "activation"))
def _forward_jit(params, x, h0, c0, *, cell, activation):
    out, (h, c, preact, gates) = run_cells(params, x, h0, c0, None, None, cell=cell,
                                      activation=activation, collect=True)
    return RecurrentStates(output=out, h=h, c=c, preact=preact, gates=gates)


@functools.partial(jax.jit, static_argnames=("cell", "activation", "loss", "return_arrays"))
def _time_gradients_jit(params, x, y, h0, c0, *, cell, activation, loss, return_arrays):
    batch, steps = x.shape[0], x.shape[1]
    n = params["W"].shape[0]
    zeros = jnp.zeros((steps, batch, n), x.dtype)
    lstm = cell == "lstm"

    def objective(p, e_h, e_c=None):
        return recurrent_loss(p, x, y, cell=cell, activation=activation, loss=loss, h0=h0, c0=c0,
                              perturb_h=e_h, perturb_c=e_c)

    # una sola pasada hacia atrás: ∂L/∂params y ∂L/∂e (= ∂L/∂h_t y, en la LSTM, ∂L/∂c_t)
    if lstm:
        value, (g_params, g_h, g_c) = jax.value_and_grad(objective, argnums=(0, 1, 2))(
            params, zeros, zeros
        )
    else:
        value, (g_params, g_h) = jax.value_and_grad(objective, argnums=(0, 1))(params, zeros)
        g_c = None
    thr = underflow_threshold(x.dtype)
    nan = jnp.asarray(jnp.nan, x.dtype)

    def norms(g):
        # una sola pasada sobre (T, B, n): la norma de Frobenius de cada paso es la norma de
        # sus normas por ejemplo, y su máximo, el máximo de los máximos por ejemplo
        per_example, per_example_max = scaled_norm(g, (2,))
        total, _ = scaled_norm(per_example, (1,))
        return total, per_example, jnp.max(per_example_max, axis=1)

    h_total, h_per_example, h_max = norms(g_h)
    if lstm:
        c_total, _, c_max = norms(g_c)
        state_max = jnp.maximum(h_max, c_max)
    else:
        state_max = h_max
    # el estado en t se calcula solo a partir del de t + 1: el underflow se extiende al pasado
    state_flag = preact_underflow(state_max, thr, True)
    h_flag = state_flag | ((h_max < thr) & (h_max > 0))
    result = TimeGradients(
        loss=value,
        h_norm=jnp.where(h_flag, nan, h_total),
        h_norm_per_example=jnp.where(h_flag[:, None], nan, h_per_example),
        h_underflow=h_flag,
    )
    if lstm:
        c_flag = state_flag | ((c_max < thr) & (c_max > 0))
        result = result._replace(c_norm=jnp.where(c_flag, nan, c_total), c_underflow=c_flag)
    if return_arrays:
        result = result._replace(h_grads=g_h, c_grads=g_c, param_grads=g_params)
    return result


# ---------------------------------------------------------------------------
# Validación de las funciones públicas
# ---------------------------------------------------------------------------
def _validate_params(params: Any, cell: str) -> tuple[int, int, int]:
    """Comprueba la estructura y las formas de ``params`` para ``cell``; devuelve ``(n_in, n, n_out)``."""
    blocks = BLOCKS[cell]
    if (
        not isinstance(params, dict)
        or set(params) != {"W", "U", "b", "readout"}
        or not isinstance(params["readout"], dict)
        or set(params["readout"]) != {"W", "b"}
    ):
        got = describe_structure(params)
        raise TypeError(
            "`params` debe ser un diccionario {'W', 'U', 'b', 'readout': {'W', 'b'}} como el que "
            f"devuelve `init_recurrent`; se recibió {got}."
        )
    W = check_array("params['W']", params["W"], ndim=2)
    n = W.shape[0]
    names = {"rnn": "", "lstm": " (bloques i, f, g, o)", "gru": " (bloques z, r, h̃)"}[cell]
    if W.shape[1] != blocks * n:
        raise ValueError(
            f"con cell={cell!r}{names}, `params['W']` debe tener forma (n, {blocks}·n) = "
            f"({n}, {blocks * n}); se recibió {tuple(W.shape)}. ¿Son parámetros de otra celda?"
        )
    U = check_array("params['U']", params["U"], ndim=2)
    if U.shape[1] != blocks * n:
        raise ValueError(
            f"`params['U']` debe tener forma (n_in, {blocks * n}) (con cell={cell!r} y n = {n}); "
            f"se recibió {tuple(U.shape)}."
        )
    check_array("params['b']", params["b"], shape=(blocks * n,))
    n_out = check_readout(params, n)
    return int(U.shape[0]), int(n), int(n_out)


def _validate_sequence(x: Any, n_in: int) -> tuple[int, int]:
    """Comprueba ``x`` ``(B, T, n_in)`` (T ≥ 1, finito); devuelve ``(B, T)``."""
    try:
        shape = tuple(np.shape(x))
    except Exception:  # pragma: no cover - listas irregulares
        shape = None
    if shape is None or len(shape) != 3:
        raise ValueError(
            f"`x` debe tener forma (B, T, n_in) = (B, T, {n_in}): una secuencia por fila, T pasos "
            f"de tiempo y {n_in} entradas por paso; se recibió "
            f"{'un objeto sin forma' if shape is None else f'forma {shape}'}."
        )
    if shape[1] == 0:
        raise ValueError(
            f"la longitud de la secuencia T (eje 1 de `x`) debe ser ≥ 1; se recibió T = 0 "
            f"(forma {shape})."
        )
    if shape[0] == 0:
        raise ValueError(f"el lote B (eje 0 de `x`) debe ser ≥ 1; se recibió B = 0 (forma {shape}).")
    if shape[2] != n_in:
        raise ValueError(
            f"`x` debe tener forma (B, T, {n_in}) porque `params['U']` espera {n_in} entradas por "
            f"paso; se recibió {shape}."
        )
    check_array("x", x, ndim=3)
    return shape[0], shape[1]


def _prepare(params, x, y, h0, c0, cell, activation, dtype):
    """Valida y convierte los argumentos comunes; devuelve los arreglos en ``dtype`` y los nombres."""
    cell, activation = _check_cell_activation(cell, activation)
    n_in, n, n_out = _validate_params(params, cell)
    batch, _ = _validate_sequence(x, n_in)
    if y is not None:
        ya = check_array("y", y, ndim=2)
        if tuple(ya.shape) != (batch, n_out):
            raise ValueError(
                f"`y` debe tener forma ({batch}, {n_out}) (un objetivo por secuencia de `x`); "
                f"se recibió {tuple(ya.shape)}."
            )
    if c0 is not None and cell != "lstm":
        raise ValueError(
            f"`c0` (el estado inicial de la celda) solo existe con cell='lstm'; se pidió cell={cell!r}."
        )
    for name, state in (("h0", h0), ("c0", c0)):
        if state is not None:
            check_array(name, state, shape=(batch, n))
    dt = resolve_dtype(dtype)
    conv = lambda a: None if a is None else jnp.asarray(a, dt)  # noqa: E731
    params = jax.tree.map(lambda a: jnp.asarray(a, dt), params)
    return params, conv(x), conv(y), conv(h0), conv(c0), cell, activation


# ---------------------------------------------------------------------------
# API pública
# ---------------------------------------------------------------------------
def init_recurrent(
    key: jax.Array,
    *,
    cell: str,
    hidden: int,
    n_in: int,
    n_out: int = 1,
    scale: float = 1.0,
    forget_bias: float = 1.0,
    dtype: str | None = None,
) -> RecurrentParams:
    """Parámetros de una red recurrente (estructura e inicialización en el módulo).

    Cada bloque ``(n, n)`` de ``W`` es ``scale`` veces una matriz ortogonal, así que todos sus
    valores singulares valen ``scale``: es la escala espectral que el capítulo varía. La
    clave se divide en ``(k_W, k_U, k_lectura)``; el bloque k de ``W`` (y de ``U``) usa la
    subclave k de ``split(k_W, G)`` (``split(k_U, G)``).

    Args:
        key: ``jax.random.key(semilla)``.
        cell: ``"rnn"``, ``"lstm"`` o ``"gru"``.
        hidden: anchura n ≥ 1 del estado oculto.
        n_in: entradas por paso de tiempo ≥ 1.
        n_out: tamaño de la salida ≥ 1.
        scale: valor singular de cada bloque recurrente (≥ 0; 0 da ``W = 0``).
        forget_bias: sesgo inicial de la puerta de olvido de la LSTM (las demás celdas lo ignoran).
        dtype: ``"float64"`` (por defecto donde el backend lo admite) o ``"float32"``.

    Returns:
        ``{"W": (n, G·n), "U": (n_in, G·n), "b": (G·n,), "readout": {"W": (n, n_out), "b": (n_out,)}}``
        con G = 1, 4 o 3 (RNN, LSTM, GRU).
    """
    key = check_key("key", key)
    cell = check_choice("cell", cell, CELLS)
    hidden = check_int("hidden", hidden)
    n_in = check_int("n_in", n_in)
    n_out = check_int("n_out", n_out)
    scale = check_float("scale", scale, minimum=0.0, maximum=1e3)
    forget_bias = check_float("forget_bias", forget_bias, minimum=-1e3, maximum=1e3)
    dt = resolve_dtype(dtype)
    return init_params(
        key, jnp.asarray(scale, dt), jnp.asarray(forget_bias, dt),
        cell=cell, hidden=hidden, n_in=n_in, n_out=n_out, dtype=dt,
    )


def recurrent_forward(
    params: RecurrentParams,
    x: jax.typing.ArrayLike,
    *,
    cell: str,
    activation: str = "tanh",
    h0: jax.typing.ArrayLike | None = None,
    c0: jax.typing.ArrayLike | None = None,
    dtype: str | None = None,
) -> RecurrentStates:
    """Paso hacia delante de la red recurrente (ecuaciones en el módulo).

    Args:
        params: parámetros de :func:`init_recurrent` (o escritos a mano).
        x: entradas ``(B, T, n_in)``, T ≥ 1.
        cell: ``"rnn"``, ``"lstm"`` o ``"gru"``.
        activation: φ de la RNN (p. ej. ``"tanh"``, ``"identity"``); la LSTM y la GRU solo
            admiten ``"tanh"``.
        h0: estado inicial ``(B, n)`` (``None``: ceros).
        c0: estado inicial de la celda ``(B, n)``, solo con ``cell="lstm"`` (``None``: ceros).
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        Un :class:`RecurrentStates`: ``output`` ``(B, n_out)``, ``h`` ``(T, B, n)``, ``c``
        ``(T, B, n)`` o ``None``, ``preact`` y ``gates`` ``(T, B, G·n)`` (``gates`` es ``None``
        en la RNN). Índice 0 del tiempo = t = 1.
    """
    params, x, _, h0, c0, cell, activation = _prepare(params, x, None, h0, c0, cell, activation, dtype)
    return _forward_jit(params, x, h0, c0, cell=cell, activation=activation)


def time_gradients(
    params: RecurrentParams,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    cell: str,
    activation: str = "tanh",
    loss: str = "mse",
    h0: jax.typing.ArrayLike | None = None,
    c0: jax.typing.ArrayLike | None = None,
    return_arrays: bool = False,
    dtype: str | None = None,
) -> TimeGradients:
    """Gradiente exacto ``∂L/∂h_t`` de cada paso de tiempo, en una sola pasada hacia atrás.

    Un ``jax.value_and_grad`` de :func:`recurrent_loss` respecto de los parámetros y de
    perturbaciones nulas ``(T, B, n)`` sumadas a cada estado (ver el módulo): da a la vez
    ∂L/∂params, ∂L/∂h_t para t = 1..T y, en la LSTM, ∂L/∂c_t.

    Args:
        params: parámetros de :func:`init_recurrent`.
        x: entradas ``(B, T, n_in)``.
        y: objetivos ``(B, n_out)``.
        cell, activation, h0, c0, dtype: como en :func:`recurrent_forward`.
        loss: ``"mse"`` o ``"cross_entropy"``.
        return_arrays: si ``True``, añade ``h_grads``, ``c_grads`` y ``param_grads``.

    Returns:
        Un :class:`TimeGradients` (índice 0 = t = 1): ``h_norm`` ``(T,)``,
        ``h_norm_per_example`` ``(T, B)``, ``h_underflow`` ``(T,)`` y, en la LSTM,
        ``c_norm`` y ``c_underflow`` ``(T,)``. Una norma en *underflow* es ``NaN``.
    """
    params, x, y, h0, c0, cell, activation = _prepare(params, x, y, h0, c0, cell, activation, dtype)
    loss = check_loss(loss)
    if not isinstance(return_arrays, bool):
        raise TypeError(f"`return_arrays` debe ser True o False; se recibió {return_arrays!r}.")
    return _time_gradients_jit(params, x, y, h0, c0, cell=cell, activation=activation, loss=loss,
                               return_arrays=return_arrays)


def adding_problem(
    key: jax.Array, *, length: int, batch: int, dtype: str | None = None
) -> tuple[jax.Array, jax.Array]:
    """El problema de la suma: una tarea de memoria a largo plazo, generada (sin descargas).

    Propuesto por Hochreiter y Schmidhuber (1997, experimento 4, con valores en [−1, 1] y otro
    objetivo); aquí, en la forma simplificada habitual en los trabajos sobre RNN (p. ej.
    Arjovsky, Shah y Bengio, 2016). Cada secuencia tiene dos canales por paso: el
    primero, un valor ``U[0, 1)``; el segundo, un marcador que vale 1 en exactamente dos
    posiciones (una en la primera mitad, ``{0, …, ⌊T/2⌋ − 1}``, y otra en la segunda,
    ``{⌊T/2⌋, …, T − 1}``, contando desde 0, ambas uniformes) y 0 en el resto. El objetivo es
    la suma de los dos valores marcados. Predecir siempre 1 da un error cuadrático medio de
    1/6 (la varianza de la suma; con la pérdida ``"mse"`` del módulo, que lleva ½, L = 1/12):
    la referencia que una red debe batir.

    La clave se divide en ``(k_valores, k_primera, k_segunda)``: el resultado depende solo de
    ``key``, ``length`` y ``batch``.

    Args:
        key: ``jax.random.key(semilla)``.
        length: longitud T ≥ 2 de las secuencias.
        batch: número B ≥ 1 de secuencias.
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        ``x`` de forma ``(B, T, 2)`` e ``y`` de forma ``(B, 1)``.
    """
    key = check_key("key", key)
    length = check_int("length", length, minimum=2)
    batch = check_int("batch", batch)
    x, y, _ = _adding_jit(key, length=length, batch=batch, dtype=resolve_dtype(dtype))
    return x, y


@functools.partial(jax.jit, static_argnames=("length", "batch", "dtype"))
def _adding_jit(key, *, length, batch, dtype):
    return adding_sequences(key, length, max_length=length, batch=batch, dtype=dtype)


def recurrent_problem(
    cell: str,
    *,
    length: int,
    scale: float = 1.0,
    forget_bias: float = 1.0,
    hidden: int = 32,
    batch: int = 32,
    seed: int = 0,
    dtype: str | None = None,
) -> tuple[RecurrentParams, jax.Array, jax.Array]:
    """Una red recurrente recién inicializada y un lote del problema de la suma: ``(params, x, y)``.

    La clave ``jax.random.key(seed)`` se divide en ``(k_params, k_datos)``: los parámetros son
    :func:`init_recurrent` con ``k_params`` (``n_in = 2``, ``n_out = 1``) y el lote,
    :func:`adding_problem` con ``k_datos``. Es la red que mide :func:`time_profile`.

    Args:
        cell: ``"rnn"``, ``"lstm"`` o ``"gru"``.
        length: longitud T ≥ 2 de las secuencias.
        scale: valor singular de cada bloque de W (ver :func:`init_recurrent`).
        forget_bias: sesgo inicial de la puerta de olvido (solo LSTM).
        hidden, batch: anchura del estado y número de secuencias.
        seed: semilla ≥ 0.
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        ``params``, ``x`` de forma ``(batch, length, 2)`` e ``y`` de forma ``(batch, 1)``.
    """
    seed = check_int("seed", seed, minimum=0)
    k_params, k_data = jax.random.split(jax.random.key(seed))
    params = init_recurrent(k_params, cell=cell, hidden=hidden, n_in=2, scale=scale,
                            forget_bias=forget_bias, dtype=dtype)
    x, y = adding_problem(k_data, length=length, batch=batch, dtype=dtype)
    return params, x, y


def time_profile(
    cell: str,
    *,
    length: int,
    scale: float = 1.0,
    forget_bias: float = 1.0,
    activation: str = "tanh",
    hidden: int = 32,
    batch: int = 32,
    seed: int = 0,
    dtype: str | None = None,
) -> TimeGradients:
    """Los gradientes por paso de tiempo de una red recién inicializada en el problema de la suma.

    Es la medida del capítulo 7 y de su explorador: :func:`time_gradients` (pérdida ``"mse"``)
    de la red y el lote de :func:`recurrent_problem`. ``scale`` y ``forget_bias`` no
    recompilan: una compilación por celda, longitud y anchura.

    Args:
        cell, length, scale, forget_bias, hidden, batch, seed, dtype: como en
            :func:`recurrent_problem`.
        activation: φ de la RNN (``"tanh"`` o ``"identity"``, la red lineal).

    Returns:
        El :class:`TimeGradients` de :func:`time_gradients` (índice 0 = t = 1).
    """
    params, x, y = recurrent_problem(cell, length=length, scale=scale, forget_bias=forget_bias,
                                     hidden=hidden, batch=batch, seed=seed, dtype=dtype)
    return time_gradients(params, x, y, cell=cell, activation=activation, dtype=dtype)
