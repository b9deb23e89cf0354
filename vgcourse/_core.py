"""Núcleos trazables compartidos por los módulos del paquete (no es API pública).

Aquí viven las piezas que usan varios módulos públicos: la inicialización y el lote
sintético sin validar, el paso hacia delante (:func:`forward_core`), la pérdida, el
gradiente exacto por capa (:func:`grad_core`), las normas escaladas y la preparación común
de los argumentos de las funciones públicas (:func:`prepare_call`). Las convenciones
(ecuaciones, formas, numeración de capas) están en :mod:`vgcourse.networks` y
:mod:`vgcourse.gradients`. Ninguna función de este módulo valida sus argumentos salvo las
de la última sección: las llaman las funciones públicas después de validar.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Mapping
from typing import NamedTuple, TypedDict

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._precision import resolve_dtype, underflow_threshold
from vgcourse._validation import check_choice, check_float, validate_inputs
from vgcourse.activations import get_activation
from vgcourse.initializers import INITIALIZERS

LOSSES = ("mse", "cross_entropy")
BN_EPS = 1e-5

Params = dict[str, dict[str, jax.Array]]


# ---------------------------------------------------------------------------
# Inicialización y lote sintético (sin validación)
# ---------------------------------------------------------------------------
@functools.partial(
    jax.jit, static_argnames=("depth", "width", "n_in", "n_out", "init", "dtype", "with_bias")
)
def init_core(key, gain, bias_std, *, depth, width, n_in, n_out, init, dtype, with_bias=True):
    """Núcleo trazable de :func:`vgcourse.init_mlp` (sin validación).

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


def batch_core(key, *, batch, n_in, n_out, dtype):
    """Núcleo trazable de :func:`vgcourse.random_batch`: una sola extracción ``(batch, n_in + n_out)``."""
    xy = jax.random.normal(key, (batch, n_in + n_out), dtype)
    return xy[:, :n_in], xy[:, n_in:]


# ---------------------------------------------------------------------------
# Paso hacia delante y pérdida
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


def batch_normalize(u: jax.Array) -> jax.Array:
    """Normalización por lotes sin escala: media 0 y varianza (sesgada) 1 por unidad."""
    mean = jnp.mean(u, axis=0, keepdims=True)
    var = jnp.mean(jnp.square(u - mean), axis=0, keepdims=True)
    return (u - mean) * jax.lax.rsqrt(var + BN_EPS)


#: formas del bloque residual (ver :mod:`vgcourse.networks`)
RESIDUAL_FORMS = ("linear", "activation")


def forward_core(
    params: Params,
    x: jax.Array,
    perturb: jax.Array | None,
    depth: jax.Array | None,
    alpha: jax.Array,
    *,
    activation: str | Callable[[jax.Array], jax.Array],
    residual: bool | str,
    batchnorm: bool,
    collect: bool,
):
    """Paso hacia delante trazable. Devuelve ``(ŷ, (z, h))`` con ``z, h`` de forma ``(L, B, n)``.

    ``residual`` es ``False`` (red simple), ``"linear"`` (o ``True``: el bloque estándar, cuya
    rama termina en una capa lineal) o ``"activation"`` (la rama termina en la activación).
    ``z_l`` es el argumento de φ en la capa l (en el bloque estándar, la entrada de φ en la
    rama, ``BN(h_{l-1})`` o ``h_{l-1}``, y en la capa 1 su salida lineal) y ``h_l`` su salida
    (en las redes residuales, el tronco después del bloque l).

    ``perturb`` (forma ``(L, B, n)`` o ``None``) se suma al tensor cuyo gradiente es «el
    gradiente de la capa l»: la preactivación ``z_l`` en la red simple y el tronco ``h_l`` en
    las residuales; su gradiente es exactamente ∂L/∂z_l o ∂L/∂h_l. ``depth`` (entero trazado
    o ``None``) desactiva las capas l > depth (pasan h sin cambios), para barrer
    profundidades sin recompilar.
    """
    # ``activation`` es un nombre o, dentro de otros núcleos trazados (el explorador),
    # una función elemento a elemento ya construida.
    phi = activation if callable(activation) else get_activation(activation).fn
    form = "linear" if residual is True else residual
    norm = batch_normalize if batchnorm else (lambda u: u)

    def pre(h, W, b):
        return norm(dense(h, W)) + b[None, :]

    n_hidden = params["hidden"]["W"].shape[0]
    dt = x.dtype
    e_all = perturb if perturb is not None else jnp.zeros((n_hidden + 1, 1, 1), dt)
    z1 = pre(x, params["input"]["W"], params["input"]["b"])
    # capa 1 (sin salto: cambia la anchura). En las redes residuales abre el tronco: lineal
    # en el bloque estándar (como la primera capa de una ResNet con preactivación o la
    # proyección de entrada de un transformer), con φ en la rama que termina en la activación
    if not form:
        h1 = phi(z1 + e_all[0])
    else:
        h1 = (z1 if form == "linear" else phi(z1)) + e_all[0]

    def layer(h, W, b, e):
        if form == "linear":  # h_l = h_{l-1} + α·(φ(h_{l-1}) W_l + b_l)
            z = norm(h)
            return h + alpha * (dense(phi(z), W) + b[None, :]) + e, z
        if form == "activation":  # h_l = h_{l-1} + α·φ(h_{l-1} W_l + b_l)
            z = pre(h, W, b)
            return h + alpha * phi(z) + e, z
        z = pre(h, W, b) + e  # red simple: h_l = φ(z_l)
        return phi(z), z

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
        (params["hidden"]["W"], params["hidden"]["b"], e_all[1:], jnp.arange(n_hidden)),
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


# ---------------------------------------------------------------------------
# Gradientes exactos por capa
# ---------------------------------------------------------------------------
class LayerGradients(NamedTuple):
    """Gradientes por capa (índice 0 = capa 1, junto a la entrada). Formas con L capas y lote B."""

    loss: jax.Array                     #: () valor de la pérdida
    weight_norm: jax.Array              #: (L,) ‖∂L/∂W_l‖_F; NaN si hay underflow
    bias_norm: jax.Array                #: (L,) ‖∂L/∂b_l‖; NaN si hay underflow
    preact_norm: jax.Array              #: (L,) ‖∂L/∂Z_l‖_F; NaN si hay underflow
    preact_norm_per_example: jax.Array  #: (L, B) ‖∂L/∂z_{l,b}‖; NaN si hay underflow
    weight_underflow: jax.Array         #: (L,) bool: gradiente de la capa bajo el mínimo representable
    preact_underflow: jax.Array         #: (L,) bool
    readout_weight_norm: jax.Array      #: () ‖∂L/∂W_o‖_F de la capa de lectura
    weight_grads: Params | None = None  #: gradientes completos (misma estructura que params)
    preact_grads: jax.Array | None = None  #: (L, B, n) ∂L/∂Z_l completos


def scaled_norm(g: jax.Array, axes: tuple[int, ...]) -> tuple[jax.Array, jax.Array]:
    """Norma euclídea sobre ``axes`` sin underflow en los cuadrados; devuelve (norma, max|g|)."""
    m = jnp.max(jnp.abs(g), axis=axes, keepdims=True)
    safe = jnp.where(m > 0, m, 1)
    norm = jnp.squeeze(m, axis=axes) * jnp.sqrt(jnp.sum(jnp.square(g / safe), axis=axes))
    return norm, jnp.squeeze(m, axis=axes)


def layer_weight_norms(tree: Params) -> tuple[jax.Array, jax.Array]:
    """``(‖W_l‖_F, max|W_l|)`` por capa, forma ``(L,)``, de un árbol con la forma de ``params``.

    Sirve para los pesos, sus gradientes o sus diferencias (solo mira ``input.W`` y ``hidden.W``).
    """
    n_in, m_in = scaled_norm(tree["input"]["W"], (0, 1))
    n_h, m_h = scaled_norm(tree["hidden"]["W"], (1, 2))
    return jnp.concatenate([n_in[None], n_h]), jnp.concatenate([m_in[None], m_h])


def preact_underflow(magnitude: jax.Array, thr: float, chained: bool) -> jax.Array:
    """Máscara de underflow de ∂L/∂z por capa, clasificando de la salida hacia la entrada.

    Args:
        magnitude: ``max|∂L/∂z_l|`` por capa, forma ``(L,)`` (índice 0 = capa 1).
        thr: umbral de underflow.
        chained: ``True`` si el gradiente de cada capa se calcula solo a partir del de la
            capa de encima (red sin conexiones residuales): el underflow se extiende hacia abajo.
    """

    def step(above_bad, m):
        zero = m == 0
        # un cero es estructural si lo de encima está bien; bajo el umbral, underflow
        bad = ((m < thr) & ~zero) | (zero & above_bad) | (above_bad & chained)
        return bad, bad

    return jax.lax.scan(step, jnp.asarray(False), magnitude, reverse=True)[1]


def layer_summary(value, g_params, g_z, depth, *, residual) -> LayerGradients:
    """Normas por capa y marcas de *underflow* de unos gradientes ya calculados.

    ``g_params`` son los gradientes de los parámetros y ``g_z`` (``(L, B, n)``) los de las
    perturbaciones de cada capa; ``depth`` (entero trazado o ``None``) deja fuera las capas
    l > depth. Lo comparten :func:`grad_core` y la rejilla de los exploradores.
    """
    dt = g_z.dtype
    n_layers = g_z.shape[0]
    weight_norm, weight_max = layer_weight_norms(g_params)
    bias_all = jnp.concatenate([g_params["input"]["b"][None], g_params["hidden"]["b"]])
    bias_norm, _ = scaled_norm(bias_all, (1,))
    # una sola pasada sobre ∂L/∂Z (L, B, n): la norma de Frobenius de cada capa es la
    # norma de sus normas por ejemplo, y su máximo, el máximo de los máximos por ejemplo
    per_example, per_example_max = scaled_norm(g_z, (2,))
    preact_norm, _ = scaled_norm(per_example, (1,))
    preact_max = jnp.max(per_example_max, axis=1)

    thr = underflow_threshold(dt)
    # En un barrido de profundidad las capas l > depth no existen: ni se miden ni se marcan como underflow.
    active = jnp.ones(n_layers, bool) if depth is None else jnp.arange(n_layers) < depth
    chained = not residual  # sin salto, cada ∂L/∂z se calcula a partir del de encima
    z_flag = preact_underflow(preact_max, thr, chained) & active
    # ∂L/∂W_l = h_{l-1}ᵀ ∂L/∂z_l: hereda el underflow de ∂L/∂z_l, o lo tiene por sí mismo
    w_flag = (z_flag | ((weight_max < thr) & (weight_max > 0))) & active
    nan = jnp.asarray(jnp.nan, dt)
    readout_norm, _ = scaled_norm(g_params["readout"]["W"], (0, 1))
    return LayerGradients(
        loss=value,
        weight_norm=jnp.where(w_flag, nan, weight_norm),
        bias_norm=jnp.where(w_flag, nan, bias_norm),
        preact_norm=jnp.where(z_flag, nan, preact_norm),
        preact_norm_per_example=jnp.where(z_flag[:, None], nan, per_example),
        weight_underflow=w_flag,
        preact_underflow=z_flag,
        readout_weight_norm=readout_norm,
    )


def grad_core(
    params: Params,
    x: jax.Array,
    y: jax.Array,
    depth: jax.Array | None,
    alpha: jax.Array,
    *,
    activation: str | Callable[[jax.Array], jax.Array],
    residual: bool,
    batchnorm: bool,
    loss: str,
    return_arrays: bool,
    with_preacts: bool = False,
):
    """Núcleo trazable de :func:`vgcourse.layer_gradients` (sin validación).

    Lo usan los barridos, el explorador y el entrenamiento. ``activation`` es un nombre o,
    dentro de otros núcleos trazados (el explorador), una función elemento a elemento.

    Con ``with_preacts=True`` devuelve ``(LayerGradients, z)``, con las preactivaciones
    ``z`` ``(L, B, n)`` del mismo paso hacia delante que da los gradientes (sin repetirlo).
    """
    n_layers = 1 + params["hidden"]["W"].shape[0]
    batch, width = x.shape[0], params["input"]["W"].shape[1]
    perturb = jnp.zeros((n_layers, batch, width), x.dtype)

    def objective(p, e):
        out, zh = forward_core(
            p, x, e, depth, alpha,
            activation=activation, residual=residual, batchnorm=batchnorm, collect=with_preacts,
        )
        # e es cero: las z recogidas son las preactivaciones de la red sin perturbar
        return loss_fn(out, y, loss), (zh[0] if with_preacts else None)

    (value, z), (g_params, g_z) = jax.value_and_grad(objective, argnums=(0, 1), has_aux=True)(
        params, perturb
    )

    result = layer_summary(value, g_params, g_z, depth, residual=residual)
    if return_arrays:
        result = result._replace(weight_grads=g_params, preact_grads=g_z)
    return (result, z) if with_preacts else result


# ---------------------------------------------------------------------------
# Validación y conversión comunes de las funciones públicas
# ---------------------------------------------------------------------------
def check_loss(loss: str) -> str:
    """Valida el nombre de la pérdida (``"mse"`` o ``"cross_entropy"``)."""
    return check_choice("loss", loss, LOSSES)


class NetworkOptions(TypedDict, total=False):
    """Arquitectura y precisión: las opciones comunes de las funciones que evalúan una red.

    Todas son opcionales (valor por defecto entre paréntesis):

    - ``residual`` (``False``): conexiones residuales en las capas 2..L: ``True`` o
      ``"linear"``, el bloque estándar (la rama termina en una capa lineal); ``"activation"``,
      la rama termina en la activación (ecuaciones en :mod:`vgcourse.networks`);
    - ``residual_scale`` (``1.0``): α, la escala de la rama residual;
    - ``batchnorm`` (``False``): normalización por lotes antes de cada activación;
    - ``dtype`` (``None``, float64 donde el backend lo admite): ``"float64"`` o ``"float32"``.
    """

    residual: bool | str
    residual_scale: float
    batchnorm: bool
    dtype: str | None


NETWORK_DEFAULTS = NetworkOptions(residual=False, residual_scale=1.0, batchnorm=False, dtype=None)


def network_options(options: Mapping[str, object]) -> NetworkOptions:
    """Las opciones de la red con sus valores por defecto; un nombre desconocido es un error."""
    for name in options:
        if name not in NETWORK_DEFAULTS:
            close = difflib.get_close_matches(name, NETWORK_DEFAULTS, n=1, cutoff=0.6)
            hint = f" ¿Quisiste decir «{close[0]}»?" if close else ""
            raise TypeError(
                f"`{name}` no es una opción de la red. Las opciones válidas son: "
                f"{', '.join(NETWORK_DEFAULTS)}.{hint}"
            )
    return NetworkOptions(**{**NETWORK_DEFAULTS, **options})


def check_architecture(
    activation: str, residual: bool | str, residual_scale: float, batchnorm: bool
) -> tuple[str, bool | str, float, bool]:
    """Valida las opciones de arquitectura comunes a todas las funciones.

    Returns:
        ``(activación, residual, α, batchnorm)`` con ``residual`` normalizado a ``False``,
        ``"linear"`` o ``"activation"``.
    """
    act = get_activation(activation).name
    if not isinstance(batchnorm, (bool, np.bool_)):
        raise TypeError(f"`batchnorm` debe ser True o False; se recibió {batchnorm!r}.")
    if isinstance(residual, (bool, np.bool_)):
        residual = "linear" if residual else False
    elif isinstance(residual, str):
        residual = check_choice("residual", residual, RESIDUAL_FORMS)
    else:
        raise TypeError(
            "`residual` debe ser True o False (con True, el bloque estándar), o el nombre de la "
            f"forma del bloque: {', '.join(RESIDUAL_FORMS)}; se recibió {residual!r}."
        )
    residual_scale = check_float("residual_scale", residual_scale)
    return act, residual, residual_scale, bool(batchnorm)


def prepare_call(params, x, y, activation, options: Mapping[str, object]):
    """Valida y convierte los argumentos comunes de las funciones públicas.

    Args:
        params, x, y: la red y los datos (``y`` puede ser ``None``).
        activation: nombre de la activación.
        options: las :class:`NetworkOptions` que recibió la función pública.

    Returns:
        ``(params, x, y, alpha, static)`` convertidos a ``dtype``, con ``static`` =
        ``{activation, residual, batchnorm}`` para los núcleos compilados.
    """
    opts = network_options(options)
    validate_inputs(params, x, y)
    act, residual, alpha, batchnorm = check_architecture(
        activation, opts["residual"], opts["residual_scale"], opts["batchnorm"]
    )
    dt = resolve_dtype(opts["dtype"])
    params = jax.tree.map(lambda a: jnp.asarray(a, dt), params)
    return (
        params,
        jnp.asarray(x, dt),
        None if y is None else jnp.asarray(y, dt),
        jnp.asarray(alpha, dt),
        dict(activation=act, residual=residual, batchnorm=batchnorm),
    )
