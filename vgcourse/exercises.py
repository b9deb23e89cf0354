"""Ejercicios con comprobación: la respuesta de referencia se calcula con el motor, no se copia.

Uso en un cuaderno::

    respuesta = 1.9          # tu respuesta
    vg.check("leaky_critico", respuesta)

:func:`check` devuelve un :class:`Feedback` (se muestra como texto) con «Correcto» o
con una pista. Con ``respuesta = None`` recuerda qué hay que hacer. Las referencias
se calculan solo al comprobar una respuesta, así que los cuadernos no pagan su coste.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np

from vgcourse._validation import check_choice
from vgcourse.activations import derivative, saturation_bounds
from vgcourse.datasets import load_digits
from vgcourse.gradients import layer_gradients, layer_statistics, layer_weight_norms
from vgcourse.initializers import sigma_w2
from vgcourse.networks import init_mlp
from vgcourse.sweeps import problem
from vgcourse.theory import batchnorm_chi1, chi1, critical_sigma_w2, depth_scale

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
    # más fino que la corrección 1 + a² = 1.0001: σ_w² = 2 (He) no basta
    ok = abs(chi - 1.0) <= 2e-5
    return ok, f"con σ_w² = {value:.6g}, χ₁ = {chi:.6f} (crítico: χ₁ = 1)"


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


def _saturated_share(activation: str, std: float) -> tuple[float, float]:
    """``(límite superior, P(|z| > límite))`` con ``z ~ N(0, std²)``, para activaciones
    simétricas (sigmoide, tanh): la fracción de preactivaciones en la región saturada."""
    _, hi = saturation_bounds(activation)
    return hi, math.erfc(hi / (std * math.sqrt(2)))


def _bn_saturation(answer):
    hi, ref = _saturated_share("tanh", 1.0)
    ok = abs(_number(answer) - ref) <= 0.01
    return ok, f"P(|z| > {hi:.3f}) con z ~ N(0, 1) = {ref:.4f}"


def _bn_ten_times(answer):
    half_log = 0.5 * math.log(batchnorm_chi1("relu"))  # por capa, hacia la entrada
    ref = math.log(10) / half_log
    ok = _close(_number(answer), ref, 0.03)
    return ok, (f"½·ln χ_BN = {half_log:.4f} por capa: la norma se multiplica por 10 cada "
                f"{ref:.2f} capas")


#: ejercicios del capítulo 4
CHAPTER_4: dict[str, Exercise] = {
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
    "bn_capas_diez": Exercise(
        "Red ReLU con normalización por lotes y sin conexiones residuales: si el cuadrado del "
        "gradiente se multiplica en cada capa hacia la entrada por χ_BN = E[φ'(Z)²]/Var φ(Z) "
        "(la aproximación de lote grande, vg.batchnorm_chi1), ¿cuántas capas hacen falta para "
        "que la norma del gradiente crezca 10 veces? (No tiene por qué ser un número entero.)",
        _bn_ten_times,
        "La norma crece √χ_BN por capa: busca n con (√χ_BN)ⁿ = 10, es decir, "
        "n·½·ln χ_BN = ln 10."),
}


def _positive_log10(answer) -> float:
    """log10 de una respuesta que es un cociente de normas (positivo)."""
    value = _number(answer)
    if not value > 0 or not math.isfinite(value):
        raise TypeError(f"Un cociente entre dos normas es un número positivo; se recibió {value!r}.")
    return math.log10(value)


def _log_close(answer, reference: float, decades: float) -> bool:
    """¿Está ``answer`` (un cociente) a menos de ``decades`` órdenes de magnitud de ``reference``?"""
    return abs(_positive_log10(answer) - math.log10(reference)) <= decades


def _sigmoid_slope_at_zero(answer):
    ref = float(derivative("sigmoid")(0.0))
    return _close(_number(answer), ref, 0.01), f"σ'(0) = σ(0)·(1 − σ(0)) = {ref:.4f}"


def _sigmoid_product_bound(answer):
    grid = np.linspace(-10.0, 10.0, 20001)  # incluye z = 0, donde σ' es máxima
    peak = float(np.max(np.asarray(derivative("sigmoid")(grid))))
    ref = peak**10
    ok = _close(_number(answer), ref, 0.05)  # dos cifras significativas
    return ok, f"como mucho (máx. σ')¹⁰ = {peak:.4f}¹⁰ = {ref:.3g}"


def _sigmoid_depth_ratio(answer):
    params, x, y = problem(0, depth=20, width=256, n_in=64, batch=64, init="xavier_normal")
    dz = np.asarray(layer_gradients(params, x, y, activation="sigmoid").preact_norm)
    ratio = float(dz[0] / dz[-1])
    ok = _log_close(answer, ratio, 0.5)  # medio orden de magnitud
    return ok, f"medido: ‖∂L/∂Z_1‖ / ‖∂L/∂Z_20‖ = {ratio:.2g}"


def _tanh_standard_factor(answer):
    ref = math.sqrt(chi1("tanh", sigma_w2=sigma_w2("standard", 256, 256)))
    ok = _close(_number(answer), ref, 0.02)
    return ok, f"√χ₁ = {ref:.4f} por capa hacia la entrada (χ₁ = σ_w²·tanh'(0)² con q* = 0)"


def _tanh_bias_ratio(answer):
    params, x, y = problem(0, depth=50, width=256, n_in=256, batch=64, init="xavier_normal",
                           bias_std=math.sqrt(0.05))
    dz = np.asarray(layer_gradients(params, x, y, activation="tanh").preact_norm)
    ratio = float(dz[9] / dz[39])
    ok = _log_close(answer, ratio, 0.3)
    return ok, f"medido: ‖∂L/∂Z_10‖ / ‖∂L/∂Z_40‖ = {ratio:.3g}"


def _relu_exploding_ratio(answer):
    params, x, y = problem(0, depth=30, width=256, n_in=256, batch=64, init="he_normal",
                           gain=math.sqrt(2.5 / 2))  # σ_w² = 2.5
    dz = np.asarray(layer_gradients(params, x, y, activation="relu").preact_norm)
    ratio = float(dz[0] / dz[-1])
    ok = _log_close(answer, ratio, 0.3)
    return ok, f"medido: ‖∂L/∂Z_1‖ / ‖∂L/∂Z_30‖ = {ratio:.3g}"


def _tanh_wide_saturation(answer):
    hi, ref = _saturated_share("tanh", 2.0)  # z ~ N(0, 4)
    ok = _close(_number(answer), ref, 0.05)  # dos cifras significativas
    return ok, f"P(|z| > {hi:.3f}) con z ~ N(0, 4) = P(|Z| > {hi / 2:.3f}) = {ref:.3f}"


def _sigmoid_saturated_share(answer):
    hi, ref = _saturated_share("sigmoid", 1.0)
    ok = _close(_number(answer), ref, 0.05)  # dos cifras significativas
    return ok, f"P(|z| > {hi:.3f}) con z ~ N(0, 1) = {ref:.3g}"


def _relu_xavier_decade(answer):
    chi = chi1("relu", sigma_w2=sigma_w2("xavier_normal", 256, 256), q=1.0)
    ref = math.log(10) / (-0.5 * math.log(chi))
    ok = _close(_number(answer), ref, 0.03)
    return ok, f"√χ₁ = {math.sqrt(chi):.4f} por capa: la norma se divide por 10 cada {ref:.2f} capas"


#: ejercicios del capítulo 1
CHAPTER_1: dict[str, Exercise] = {
    "sigmoide_derivada_0": Exercise(
        "¿Cuánto vale la derivada de la sigmoide en z = 0, σ'(0)?", _sigmoid_slope_at_zero,
        "σ'(z) = σ(z)·(1 − σ(z)); ¿cuánto vale σ(0)?"),
    "sigmoide_cota_10": Exercise(
        "En una red sigmoide de 10 capas, ¿cuál es el mayor valor que puede tomar el producto "
        "σ'(z_1)·σ'(z_2)···σ'(z_10) de las derivadas de sus activaciones? (Dos cifras "
        "significativas.)", _sigmoid_product_bound,
        "Cada factor es, como mucho, el valor máximo de σ'. ¿Dónde lo alcanza σ' y cuánto vale?"),
    "sigmoide_20_capas": Exercise(
        "Red sigmoide de 20 capas con Xavier (anchura 256, entradas de dimensión 64, lote de 64 "
        "ejemplos, semilla 0): ¿de qué orden de magnitud es ‖∂L/∂Z_1‖ / ‖∂L/∂Z_20‖? (Escribe el "
        "cociente, por ejemplo 1e-5.)",
        _sigmoid_depth_ratio,
        "En la sección «Impacto», el gradiente de la red sigmoide con Xavier se hace algo más de "
        "4 veces más pequeño en cada capa hacia la entrada (el factor exacto está en el texto). "
        "¿Cuántos pasos hay de la capa 20 a la capa 1?"),
}

#: ejercicios del capítulo 2
CHAPTER_2: dict[str, Exercise] = {
    "tanh_estandar_factor": Exercise(
        "Red tanh con la inicialización estándar (σ_w² = 1/3) y sin sesgos: ¿por qué factor se "
        "multiplica ‖∂L/∂Z_l‖ cada vez que se baja una capa hacia la entrada?", _tanh_standard_factor,
        "El cuadrado del gradiente se multiplica por χ₁ en cada capa, así que la norma lo hace por "
        "√χ₁. Sin sesgos y con σ_w² < 1, el punto fijo es q* = 0: ¿cuánto vale tanh'(0)?"),
    "tanh_sesgo_cociente": Exercise(
        "Red tanh de 50 capas con Xavier (σ_w² = 1), sesgos con σ_b² = 0.05, anchura 256 y "
        "semilla 0: ¿cuánto vale ‖∂L/∂Z_10‖ / ‖∂L/∂Z_40‖?", _tanh_bias_ratio,
        "De la capa 40 a la 10 hay 30 pasos, y en cada uno la norma se multiplica por √χ₁. "
        "Calcula χ₁ con vg.chi1(\"tanh\", sigma_w2=1.0, sigma_b2=0.05)."),
    "relu_gemelo_cociente": Exercise(
        "Red ReLU de 30 capas con σ_w² = 2.5, anchura 256 y semilla 0: ¿cuántas veces mayor es "
        "‖∂L/∂Z_1‖ que ‖∂L/∂Z_30‖?", _relu_exploding_ratio,
        "Con ReLU, χ₁ = σ_w²/2, y la norma se multiplica por √χ₁ en cada paso hacia la entrada. "
        "¿Cuántos pasos hay de la capa 30 a la capa 1?"),
}

#: ejercicios del capítulo 3
CHAPTER_3: dict[str, Exercise] = {
    "tanh_saturada_ancha": Exercise(
        "Si las preactivaciones de una capa tanh siguen una normal N(0, 4) (desviación típica "
        "2, como con pesos grandes), ¿qué fracción cae en la región saturada de tanh "
        "(|z| > 1.818)? (Dos cifras significativas.)", _tanh_wide_saturation,
        "Estandariza: |z| > 1.818 con z ~ N(0, 4) es |Z| > 1.818/2 con Z ~ N(0, 1); la "
        "probabilidad de las dos colas es erfc(c/√2)."),
    "sigmoide_saturada_normal": Exercise(
        "Si las preactivaciones siguen una normal N(0, 1), ¿qué fracción cae en la región saturada "
        "de la sigmoide (|z| > 3.637)? (Dos cifras significativas.)", _sigmoid_saturated_share,
        "Es la probabilidad de las dos colas de una normal estándar más allá de 3.637 "
        "(vg.saturation_bounds(\"sigmoid\") da el límite exacto)."),
    "relu_xavier_decada": Exercise(
        "Red ReLU con Xavier (σ_w² = 1): ¿cada cuántas capas, hacia la entrada, se divide por 10 "
        "la norma ‖∂L/∂Z_l‖? (No tiene por qué ser un número entero.)", _relu_xavier_decade,
        "Cada capa multiplica la norma por √χ₁, con χ₁ = σ_w²·E[φ'(z)²]: ¿qué fracción de las "
        "unidades ReLU tiene φ' = 1? Después, busca n con (√χ₁)ⁿ = 1/10."),
}


@functools.lru_cache(maxsize=1)
def _first_step_ratio() -> float:
    # la red de partida de los capítulos 4 y 5: un paso de SGD mueve W_l en η‖∂L/∂W_l‖
    data = load_digits(seed=0)
    params = init_mlp(jax.random.key(0), depth=20, width=64, n_in=64, n_out=10, init="standard")
    g = layer_gradients(params, data.x_train, data.y_train, activation="sigmoid",
                        loss="cross_entropy")
    w = layer_weight_norms(params)[0]
    return float((g.weight_norm[0] / w[0]) / (g.weight_norm[-1] / w[-1]))


def _first_step(answer):
    ref = _first_step_ratio()
    ok = _log_close(answer, ref, math.log10(2))
    return ok, f"medido en la red de partida: {ref:.2g}"


def _adam_epsilon(answer):
    import optax  # noqa: PLC0415 (solo al comprobar este ejercicio)

    opt = optax.adam(1e-3)
    grad = np.array([1e-12])
    updates, _ = opt.update(grad, opt.init(np.zeros(1)))
    ref = float(abs(updates[0]))
    ok = _close(abs(_number(answer)), ref, 0.02)
    return ok, f"optax.adam da un paso de {ref:.4g}, {1e-3 / ref:.0f} veces menor que η = 0.001"


#: ejercicios del capítulo 5
CHAPTER_5: dict[str, Exercise] = {
    "din_primer_paso": Exercise(
        "En la red de partida, ¿cuál es el cociente entre el cambio relativo de la capa 1 y el "
        "de la capa 20 en el primer paso de SGD?", _first_step,
        "El cambio relativo de la capa l es η‖∂L/∂W_l‖/‖W_l‖: η se cancela. Mide "
        "‖∂L/∂W_l‖ con vg.layer_gradients y ‖W_l‖ con vg.layers_from_params."),
    "adam_epsilon": Exercise(
        "Con optax.adam(1e-3) (ε = 1e-8), ¿cuánto cambia en el primer paso un peso cuyo "
        "gradiente vale 1e-12?", _adam_epsilon,
        "En el primer paso, Adam mueve cada peso η·g/(|g| + ε). Compara |g| con ε."),
}


def _he_variance(answer):
    ref = sigma_w2("he_normal", 128, 128) / 128
    return _close(_number(answer), ref, 0.02), f"Var(W) = σ_w²/fan_in = {ref:.6f}"


def _tanh_edge_of_chaos(answer):
    ref = float(critical_sigma_w2("tanh", [0.1])[0])
    ok = _close(_number(answer), ref, 0.01)
    return ok, f"σ_w² crítico con σ_b² = 0.1: {ref:.4f}"


def _tanh_depth_scale(answer):
    ref = depth_scale(chi1("tanh", sigma_w2=1.5, sigma_b2=0.05))
    ok = _close(_number(answer), ref, 0.03)
    return ok, f"ξ = 1/|ln χ₁| = {ref:.2f} capas"


#: ejercicios del capítulo 6
CHAPTER_6: dict[str, Exercise] = {
    "he_varianza": Exercise(
        "¿Qué varianza Var(W_ij) da la inicialización de He a una capa con fan_in = 128?",
        _he_variance, "He: Var(W) = 2/fan_in."),
    "borde_caos_tanh": Exercise(
        "Con tanh y σ_b² = 0.1, ¿qué σ_w² da χ₁ = 1 (el borde del caos)?", _tanh_edge_of_chaos,
        "Busca σ_w² con vg.chi1('tanh', sigma_w2=..., sigma_b2=0.1) = 1 (por bisección, o con "
        "critical_sigma_w2 de vgcourse.theory); en la figura del diagrama de fases está entre 1.9 y 2.1."),
    "escala_profundidad": Exercise(
        "Con tanh, σ_w² = 1.5 y σ_b² = 0.05, ¿cada cuántas capas se divide por e el cuadrado de "
        "la norma del gradiente?", _tanh_depth_scale,
        "ξ = 1/|ln χ₁|; calcula χ₁ con vg.chi1 (incluye el sesgo)."),
}

#: todos los ejercicios del curso, por nombre
EXERCISES: dict[str, Exercise] = {
    **CHAPTER_1, **CHAPTER_2, **CHAPTER_3, **CHAPTER_4, **CHAPTER_5, **CHAPTER_6,
}


def _wrap(text: str) -> str:
    """Líneas de 88 caracteres como mucho: la salida se lee sin desplazarse a la derecha."""
    return "\n".join(textwrap.fill(line, 88) for line in text.split("\n"))


def check(exercise: str, answer: object) -> Feedback:
    """Comprueba ``answer`` para el ejercicio ``exercise`` (nombres en :data:`EXERCISES`)."""
    ex = EXERCISES[check_choice("exercise", exercise, EXERCISES)]
    if answer is None:
        return Feedback(None, _wrap(f"Pregunta: {ex.question}\nEscribe tu respuesta en la "
                                    "variable y vuelve a ejecutar la celda."))
    try:
        ok, why = ex.judge(answer)
    except TypeError as err:
        return Feedback(False, _wrap(f"✘ {err}"))
    if ok:
        return Feedback(True, _wrap(f"✔ Correcto: {why}."))
    return Feedback(False, _wrap(f"✘ Todavía no. Pista: {ex.hint}"))
