"""Funciones de activación, sus derivadas y sus regiones saturadas.

Las funciones vienen de ``jax.nn`` (tanh, de ``jax.numpy``; GELU es ``jax.nn.gelu`` en su
forma exacta; solo la identidad se escribe aquí): no se reimplementan. La derivada se obtiene
con diferenciación automática elemento a elemento (``jax.jvp`` con tangente 1),
así que es la misma derivada que usa la retropropagación de la red.

Definición de saturación usada en todo el curso
-----------------------------------------------
Una activación *satura* por un lado si su derivada tiende a 0 cuando x → −∞ (lado
izquierdo) o x → +∞ (lado derecho) (Gulcehre et al., 2016, «Noisy Activation
Functions»). Su *región saturada* es la cola de ese lado donde
``|φ'(x)| < fraction · max|φ'|`` en todos los puntos, con ``fraction = 0.1`` por
defecto: allí la unidad deja pasar menos del 10 % del gradiente que dejaría pasar
en su mejor punto. ReLU satura de forma dura a la izquierda (φ' = 0 para x < 0);
Leaky ReLU y la identidad no saturan (su derivada no tiende a 0).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._precision import x64_scope
from vgcourse._validation import check_array, check_choice, check_float

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "activation_curves",
    "derivative",
    "get_activation",
    "saturation_bounds",
    "saturated_mask",
]


def _gelu_exact(x: jax.Array) -> jax.Array:
    # jax.nn.gelu usa por defecto la aproximación con tanh; el curso usa la exacta x·Φ(x).
    return jax.nn.gelu(x, approximate=False)


def _identity(x: jax.Array) -> jax.Array:
    return x


@dataclass(frozen=True)
class Activation:
    """Una función de activación del curso.

    Attributes:
        name: identificador (en inglés, como en el código).
        display_name: nombre en español para textos y figuras.
        fn: la función elemento a elemento (de ``jax.nn`` o ``jax.numpy``).
        saturates: ``"ambos lados"``, ``"izquierda"`` o ``"no"``.
        note: una frase en español sobre su comportamiento.
    """

    name: str
    display_name: str
    fn: Callable[[jax.Array], jax.Array]
    saturates: str
    note: str

    def __call__(self, x: jax.typing.ArrayLike) -> jax.Array:
        return self.fn(x)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "Sigmoide", jax.nn.sigmoid, "ambos lados",
                   "σ(x) = 1/(1+e^(−x)); su derivada vale como mucho 1/4, en x = 0."),
        Activation("tanh", "Tangente hiperbólica", jnp.tanh, "ambos lados",
                   "tanh(x); su derivada vale como mucho 1, en x = 0."),
        Activation("relu", "ReLU", jax.nn.relu, "izquierda",
                   "max(0, x); derivada 1 para x > 0 y 0 para x < 0 (saturación dura)."),
        Activation("leaky_relu", "Leaky ReLU", jax.nn.leaky_relu, "no",
                   "x para x > 0 y 0.01·x para x < 0; la derivada nunca es 0."),
        Activation("elu", "ELU", jax.nn.elu, "izquierda",
                   "x para x > 0 y e^x − 1 para x < 0 (α = 1)."),
        Activation("gelu", "GELU", _gelu_exact, "izquierda",
                   "x·Φ(x), forma exacta (Φ: función de distribución normal estándar); "
                   "φ'(0) = 1/2."),
        Activation("selu", "SELU", jax.nn.selu, "izquierda",
                   "λ·x para x > 0 y λα(e^x − 1) para x < 0 (λ ≈ 1.0507, α ≈ 1.6733)."),
        Activation("softsign", "Softsign", jax.nn.soft_sign, "ambos lados",
                   "x/(1+|x|); satura más despacio (polinómicamente) que tanh."),
        Activation("silu", "SiLU (Swish)", jax.nn.silu, "izquierda",
                   "x·σ(x); φ'(0) = 1/2."),
        Activation("identity", "Identidad", _identity, "no",
                   "φ(x) = x: red lineal, sin saturación."),
    )
}

_ALIASES = {"swish": "silu", "linear": "identity"}


def get_activation(name: str | Activation) -> Activation:
    """Devuelve la :class:`Activation` de nombre ``name`` (error en español si no existe).

    Una :class:`Activation` se devuelve tal cual.

    Nombres válidos: ``sigmoid, tanh, relu, leaky_relu, elu, gelu, selu, softsign,
    silu, identity`` (alias: ``swish`` → ``silu``, ``linear`` → ``identity``).
    """
    if isinstance(name, Activation):
        return name
    if isinstance(name, str) and name in _ALIASES:
        name = _ALIASES[name]
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]


def derivative(name: str) -> Callable[[jax.typing.ArrayLike], jax.Array]:
    """La derivada φ' de la activación ``name``, elemento a elemento, por diferenciación automática.

    En los puntos no derivables (x = 0 en ReLU, Leaky ReLU y SELU) devuelve el valor que
    usa JAX en la retropropagación (0 en ReLU).
    """
    fn = get_activation(name).fn

    def dphi(x: jax.typing.ArrayLike) -> jax.Array:
        x = jnp.asarray(x)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(jnp.result_type(float))
        return jax.jvp(fn, (x,), (jnp.ones_like(x),))[1]

    return dphi


@functools.lru_cache(maxsize=None)
def _bounds(name: str, fraction: float) -> tuple[float, float]:
    act = ACTIVATIONS[name]
    with x64_scope():
        grid = np.linspace(-40.0, 40.0, 1025)  # una sola forma: JAX compila cada operación una vez
        dphi = derivative(name)
        d = np.abs(np.asarray(dphi(jnp.asarray(grid, dtype=jnp.float64))))
        i_peak = int(np.argmax(d))  # el máximo, afinado en una malla fina a su alrededor
        fine = np.linspace(grid[max(i_peak - 1, 0)], grid[min(i_peak + 1, len(grid) - 1)], 1025)
        peak = max(float(d.max()), float(np.abs(np.asarray(dphi(jnp.asarray(fine)))).max()))
        thr = fraction * peak

        def g(xs: np.ndarray) -> np.ndarray:
            return np.abs(np.asarray(dphi(jnp.asarray(xs, dtype=jnp.float64)))) - thr

        def refine(a: float, b: float) -> float:
            # búsqueda del cambio de signo de g entre a y b, vectorizada: cada paso evalúa
            # 1025 puntos y estrecha el intervalo 1024 veces (una llamada a JAX por paso)
            for _ in range(8):
                xs = np.linspace(a, b, 1025)
                neg = g(xs) < 0
                k = int(np.argmax(neg != neg[0]))  # primer punto con el signo de b
                a, b = xs[k - 1], xs[k]
            root = 0.5 * (a + b)
            return 0.0 if abs(root) < 1e-12 else root  # el codo de ReLU está exactamente en 0

        lower, upper = -np.inf, np.inf
        if act.saturates in ("izquierda", "ambos lados"):
            i = int(np.argmax(d >= thr))  # primer punto (desde la izquierda) que no está saturado
            lower = refine(grid[i - 1], grid[i])
        if act.saturates == "ambos lados":
            j = len(grid) - 1 - int(np.argmax(d[::-1] >= thr))
            upper = refine(grid[j + 1], grid[j])
    return float(lower), float(upper)


def saturation_bounds(name: str, fraction: float = 0.1) -> tuple[float, float]:
    """Límites ``(lower, upper)`` de la región saturada de la activación ``name``.

    Una preactivación ``z`` está en la región saturada si ``z < lower`` o ``z > upper``
    (``-inf``/``inf`` cuando ese lado no satura). Véase la definición al principio del módulo.

    Args:
        name: nombre de la activación.
        fraction: fracción de ``max|φ'|`` por debajo de la cual la unidad se considera saturada
            (0 < fraction < 1; 0.1 por defecto).

    Returns:
        Una tupla de dos ``float``. Por ejemplo, sigmoide: ``(-3.637, 3.637)``;
        tanh: ``(-1.818, 1.818)``; ReLU: ``(0.0, inf)``.
    """
    act = get_activation(name)
    fraction = check_float("fraction", fraction, strictly_positive=True)
    if fraction >= 1:
        raise ValueError(f"`fraction` debe estar entre 0 y 1 (sin incluirlos); se recibió {fraction}.")
    return _bounds(act.name, fraction)


def saturated_mask(z: jax.Array, bounds: tuple[float, float]) -> jax.Array:
    """Máscara booleana de las preactivaciones ``z`` que caen en la región saturada."""
    lower, upper = bounds
    return (z < lower) | (z > upper)


def activation_curves(
    name: str, x: jax.typing.ArrayLike
) -> tuple[jax.Array, jax.Array]:
    """``(φ(x), φ'(x))`` de la activación ``name`` en los puntos ``x`` (para dibujarlas)."""
    act = get_activation(name)
    xa = jnp.asarray(check_array("x", x))
    if not jnp.issubdtype(xa.dtype, jnp.floating):
        xa = xa.astype(jnp.result_type(float))
    return act.fn(xa), derivative(act.name)(xa)
