"""Ejercicios con comprobación: la respuesta de referencia se calcula con el motor, no se copia.

Uso en un cuaderno::

    respuesta = 1.9          # tu respuesta
    vg.check("leaky_critico", respuesta)

:func:`check` devuelve un :class:`Feedback` (se muestra como texto) con «Correcto» o
con una pista. Con ``respuesta = None`` recuerda qué hay que hacer. Las referencias
se calculan solo al comprobar una respuesta, así que los cuadernos no pagan su coste.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np

from vgcourse._validation import check_choice
from vgcourse.activations import saturation_bounds
from vgcourse.gradients import layer_gradients, layer_statistics
from vgcourse.initializers import sigma_w2
from vgcourse.sweeps import problem
from vgcourse.theory import chi1

__all__ = ["EXERCISES", "Feedback", "check"]


@dataclass(frozen=True)
class Feedback:
    """Resultado de una comprobación."""

    correct: bool | None  #: ``None`` si aún no hay respuesta
    message: str

    def __repr__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Exercise:
    question: str
    judge: Callable[[object], tuple[bool, str]]  #: (¿correcto?, explicación)
    hint: str


def _number(answer: object) -> float:
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
        raise TypeError(f"La respuesta debe ser un número; se recibió {answer!r}.")
    return float(answer)


def _close(value: float, reference: float, rtol: float) -> bool:
    return abs(value - reference) <= rtol * abs(reference)


def _dead_fraction(answer):
    # fracción de preactivaciones negativas en una red ReLU con He (φ' = 0 en ellas)
    params, x, _ = problem(0, depth=10, width=256, n_in=64, batch=128, init="he_normal")
    st = layer_statistics(params, x, activation="relu")
    ref = 1.0 - float(np.mean(np.asarray(st.mean_abs_derivative)))
    ok = abs(_number(answer) - ref) <= 0.05
    return ok, f"medido en una red ReLU de 10 capas con He: {ref:.3f}"


def _leaky_critical(answer):
    value = _number(answer)
    if value <= 0:
        return False, "σ_w² tiene que ser positivo"
    chi = chi1("leaky_relu", sigma_w2=value, q=1.0)
    ok = abs(chi - 1.0) <= 0.01
    return ok, f"con σ_w² = {value:.4g}, χ₁ = {chi:.4f} (crítico: χ₁ = 1)"


def _xavier_variance(answer):
    ref = sigma_w2("xavier_normal", 256, 64) / 256
    return _close(_number(answer), ref, 0.02), f"Var(W) = σ_w²/fan_in = {ref:.5f}"


def _tanh_he_slope(answer):
    ref = 0.5 * math.log(chi1("tanh", sigma_w2=2.0))
    ok = abs(_number(answer) - ref) <= 0.01
    return ok, f"½·ln χ₁ = {ref:+.4f} por capa hacia la entrada"


def _residual_preact_norms(alpha: float) -> np.ndarray:
    """‖∂L/∂Z_l‖ de la red residual ReLU de los ejercicios (30 capas, anchura 256, He)."""
    params, x, y = problem(0, depth=30, width=256, n_in=256, batch=64, init="he_normal")
    g = layer_gradients(params, x, y, activation="relu", residual=True, residual_scale=alpha)
    return np.asarray(g.preact_norm)


def _residual_square_growth(answer):
    dz = _residual_preact_norms(1.0)
    layers = np.arange(2, 26)  # lejos de la capa 1 (sin salto) y de la salida
    rate = float(np.exp(-2 * np.polyfit(layers, np.log(dz[layers - 1]), 1)[0]))
    ok = _close(_number(answer), rate, 0.15)
    return ok, f"medido: el cuadrado del gradiente se multiplica por {rate:.2f} por bloque"


def _residual_alpha(answer):
    alpha = _number(answer)
    if not 0 < alpha <= 1.5:
        return False, "α debe estar entre 0 y 1.5"
    dz = _residual_preact_norms(alpha)
    ratio = float(dz[1] / dz[-1])  # capa 2: la primera con conexión residual
    ok = 0.1 <= ratio <= 10
    return ok, f"con α = {alpha:.3g}: ‖∂L/∂Z_2‖ / ‖∂L/∂Z_30‖ = {ratio:.3g} (objetivo: entre 0.1 y 10)"


def _bn_saturation(answer):
    _, hi = saturation_bounds("tanh")
    ref = float(2 * (1 - 0.5 * (1 + math.erf(hi / math.sqrt(2)))))
    ok = abs(_number(answer) - ref) <= 0.01
    return ok, f"P(|z| > {hi:.3f}) con z ~ N(0, 1) = {ref:.4f}"


def _bn_explodes(answer):
    if answer not in ("mayor", "menor"):
        raise TypeError('La respuesta debe ser "mayor" o "menor".')
    params, x, y = problem(0, depth=50, width=128, n_in=128, batch=64, init="xavier_normal")
    g = layer_gradients(params, x, y, activation="tanh", batchnorm=True)
    ratio = float(g.preact_norm[0] / g.preact_norm[-1])
    ref = "mayor" if ratio > 1 else "menor"
    return answer == ref, f"medido: ‖∂L/∂Z_1‖ / ‖∂L/∂Z_50‖ = {ratio:.3g}"


EXERCISES: dict[str, Exercise] = {
    "relu_muertas": Exercise(
        "En una red ReLU inicializada con He, ¿qué fracción de las preactivaciones de una capa "
        "tiene derivada 0?", _dead_fraction,
        "Las preactivaciones son simétricas alrededor de 0 y φ'(z) = 0 para z < 0."),
    "leaky_critico": Exercise(
        "¿Con qué σ_w² es crítica (χ₁ = 1) una Leaky ReLU de pendiente a = 0.01?", _leaky_critical,
        "χ₁ = σ_w²·E[φ'(z)²] y φ' vale 1 o a, cada uno con probabilidad 1/2."),
    "xavier_varianza": Exercise(
        "Una capa tiene fan_in = 256 y fan_out = 64. ¿Qué varianza Var(W_ij) le da Xavier?",
        _xavier_variance, "Xavier: Var(W) = 2/(fan_in + fan_out)."),
    "tanh_he_pendiente": Exercise(
        "Con tanh y He (σ_w² = 2), ¿cuánto cambia ln‖∂L/∂Z_l‖ por capa hacia la entrada?",
        _tanh_he_slope, "Calcula ½·ln χ₁ con vg.chi1('tanh', sigma_w2=2.0)."),
    "residual_crecimiento": Exercise(
        "En una red residual ReLU de 30 capas, anchura 256 y He, con α = 1, ¿por qué factor se "
        "multiplica el cuadrado de ‖∂L/∂Z_l‖ en cada capa hacia la entrada?", _residual_square_growth,
        "Mide la pendiente de ln‖∂L/∂Z_l‖ en la figura de esta sección (o con vg.layer_gradients) y "
        "recuerda que el cuadrado duplica la pendiente: factor = exp(2·pendiente)."),
    "residual_alfa": Exercise(
        "Elige α para una red residual ReLU de 30 capas con He de modo que el gradiente de la "
        "capa 2 (la primera con salto) quede entre 0.1 y 10 veces el de la capa 30.", _residual_alpha,
        "Prueba una α del orden de 1/√L."),
    "bn_saturacion": Exercise(
        "Si la normalización por lotes deja las preactivaciones de tanh en N(0, 1), ¿qué fracción "
        "cae en la región saturada (|z| > 1.818)?", _bn_saturation,
        "Es la probabilidad de las dos colas de una normal estándar más allá de 1.818."),
    "bn_explota": Exercise(
        'Red tanh de 50 capas con Xavier y normalización por lotes, sin conexiones residuales: '
        '¿el gradiente de la capa 1 es "mayor" o "menor" que el de la capa 50?', _bn_explodes,
        "Piensa en lo que Yang et al. (2019) demostraron sobre la normalización por lotes sin saltos."),
}


def check(exercise: str, answer: object) -> Feedback:
    """Comprueba ``answer`` para el ejercicio ``exercise`` (nombres en :data:`EXERCISES`)."""
    ex = EXERCISES[check_choice("exercise", exercise, EXERCISES)]
    if answer is None:
        return Feedback(None, f"Pregunta: {ex.question}\nEscribe tu respuesta en la variable y "
                              "vuelve a ejecutar la celda.")
    try:
        ok, why = ex.judge(answer)
    except TypeError as err:
        return Feedback(False, f"✘ {err}")
    if ok:
        return Feedback(True, f"✔ Correcto: {why}.")
    return Feedback(False, f"✘ Todavía no. Pista: {ex.hint}")
