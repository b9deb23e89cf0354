"""Ejercicios con comprobación: la respuesta de referencia se calcula con el motor, no se copia.

Uso en un cuaderno::

    respuesta = 1.9          # tu respuesta (también vale un texto: "2/(1 + 0.01**2)")
    vg.check("leaky_critico", respuesta)

Cada ejercicio es un dato (:class:`Exercise`): su pregunta, su pista, una función
``reference()`` que calcula la respuesta con el motor en el momento de comprobar y una
:class:`Tolerance` (relativa, absoluta o en órdenes de magnitud). El juez
(:func:`check`), la celda de la solución de cada capítulo y las pruebas leen esa misma
referencia, así que la respuesta no puede divergir entre esos tres sitios. Los pocos
ejercicios cuya respuesta es una *propiedad* (cualquier α que deje el gradiente en un
intervalo) llevan además una función ``accept``.

:func:`check` devuelve un :class:`Feedback` (se muestra como texto) con «Correcto» o con
una pista que dice si la respuesta es demasiado grande, demasiado pequeña o de otro orden
de magnitud, sin dar el valor. Con ``respuesta = None`` recuerda qué hay que hacer.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np

from vgcourse._core import layer_weight_norms
from vgcourse._validation import check_choice
from vgcourse.activations import derivative, saturation_bounds
from vgcourse.datasets import load_digits
from vgcourse.gradients import layer_gradients, layer_slope, layer_statistics
from vgcourse.initializers import sigma_w2
from vgcourse.networks import init_mlp
from vgcourse.recurrent import time_profile
from vgcourse.sweeps import problem
from vgcourse.theory import batchnorm_chi1, chi1, critical_sigma_w2, depth_scale

__all__ = ["EXERCISES", "Exercise", "Feedback", "Tolerance", "check", "parse_answer"]


# ---------------------------------------------------------------------------------------
# Respuestas, tolerancias y el juez
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feedback:
    """Resultado de una comprobación."""

    correct: bool | None  #: ``None`` si aún no hay respuesta
    message: str

    def __repr__(self) -> str:
        return self.message


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_NAMES = {"pi": math.pi, "π": math.pi, "e": math.e}
_FUNCTIONS = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "ln": math.log,
              "log10": math.log10}


def _evaluate(node: ast.AST) -> float:
    """Valor de una expresión aritmética simple (números, + − × / **, π, e y unas funciones)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCTIONS and len(node.args) == 1 and not node.keywords:
        return _FUNCTIONS[node.func.id](_evaluate(node.args[0]))
    raise ValueError


def parse_answer(answer: object) -> float:
    """Convierte una respuesta en un número: un número, o un texto como ``"1/4"``, ``"0,25"``,
    ``"2**-10"``, ``"1e-5"``, ``"4^-19"`` o ``"sqrt(2)/2"``.

    Raises:
        TypeError: con un mensaje en español si la respuesta no es un número ni una expresión
            aritmética sencilla.
    """
    if isinstance(answer, (int, float, np.number)) and not isinstance(answer, (bool, np.bool_)):
        return float(answer)
    if isinstance(answer, str):
        text = answer.strip().replace("^", "**").replace("·", "*").replace("×", "*")
        text = text.replace("−", "-").replace("√", "sqrt")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # coma decimal: «0,25»
        try:
            value = _evaluate(ast.parse(text, mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
            value = None
        if value is not None and math.isfinite(value):
            return value
    raise TypeError(
        f"La respuesta debe ser un número o una expresión sencilla como 1/4, 0,25, 2**-10 "
        f"o 1e-5; se recibió {answer!r}."
    )


@dataclass(frozen=True)
class Tolerance:
    """Cuánto puede separarse una respuesta de la referencia.

    ``kind`` es ``"relativa"`` (``|r − ref| ≤ value·|ref|``), ``"absoluta"``
    (``|r − ref| ≤ value``) u ``"órdenes"`` (``|log10 r − log10 ref| ≤ value``, para
    cocientes que se comparan por su orden de magnitud; la respuesta debe ser > 0).
    """

    kind: str
    value: float

    def __post_init__(self):
        check_choice("kind", self.kind, ("relativa", "absoluta", "órdenes"))

    def gap(self, answer: float, reference: float) -> float:
        """Distancia de ``answer`` a ``reference`` en las unidades de la tolerancia (con signo)."""
        if self.kind == "órdenes":
            if not answer > 0:
                raise TypeError(
                    f"Un cociente entre dos normas es un número positivo; se recibió {answer!r}."
                )
            return math.log10(answer) - math.log10(reference)
        if self.kind == "relativa":
            return (answer - reference) / abs(reference)
        return answer - reference

    def accepts(self, answer: float, reference: float) -> bool:
        return abs(self.gap(answer, reference)) <= self.value


@dataclass(frozen=True)
class Exercise:
    """Un ejercicio del curso, como datos.

    Attributes:
        name: identificador (el primer argumento de :func:`check`).
        chapter: capítulo donde se pregunta.
        question: la pregunta, en una frase.
        hint: la pista que se da con una respuesta incorrecta (nunca el valor).
        reference: calcula la respuesta con el motor (sin argumentos).
        tolerance: cuánto puede separarse la respuesta de la referencia.
        explanation: lo que se dice al acertar: un texto con ``{ref}`` (la referencia) y
            ``{answer}`` (la respuesta), o una función ``(ref, answer) → texto``.
        accept: para respuestas que son una propiedad y no un valor (cualquier α que deje el
            gradiente en un intervalo): ``accept(respuesta) → (¿correcta?, explicación)``.
            ``reference()`` es entonces una respuesta válida.
    """

    name: str
    chapter: int
    question: str
    hint: str
    reference: Callable[[], float]
    tolerance: Tolerance
    explanation: str | Callable[[float, float], str]
    accept: Callable[[float], tuple[bool, str]] | None = None

    def judge(self, answer: object) -> tuple[bool, str]:
        """``(¿correcta?, mensaje)`` para ``answer`` (número o texto; ver :func:`parse_answer`).

        El mensaje de una respuesta incorrecta dice si es demasiado grande, demasiado pequeña
        o de otro orden de magnitud, nunca el valor de la referencia.
        """
        value = parse_answer(answer)
        if self.accept is not None:
            return self.accept(value)
        ref = float(self.reference())
        gap = self.tolerance.gap(value, ref)
        if abs(gap) <= self.tolerance.value:
            explain = self.explanation
            return True, (explain.format(ref=ref, answer=value) if isinstance(explain, str)
                          else explain(ref, value))
        if value * ref > 0 and abs(math.log10(value / ref)) >= 1:
            where = "mayor" if abs(value) > abs(ref) else "menor"
            return False, f"tu respuesta es {where} que la correcta en un orden de magnitud o más"
        return False, f"tu respuesta es demasiado {'grande' if gap > 0 else 'pequeña'}"


# ---------------------------------------------------------------------------------------
# Referencias: el motor calcula cada respuesta en el momento
# ---------------------------------------------------------------------------------------
def _measured_ratio(num: int, den: int, *, activation: str, **net) -> float:
    """``‖∂L/∂Z_num‖ / ‖∂L/∂Z_den‖`` (capas numeradas desde 1) de ``problem(0, **net)``."""
    params, x, y = problem(0, **net)
    dz = np.asarray(layer_gradients(params, x, y, activation=activation).preact_norm)
    return float(dz[num - 1] / dz[den - 1])


def _upper(activation: str) -> float:
    """Límite superior de la región saturada (de :func:`vgcourse.saturation_bounds`)."""
    return saturation_bounds(activation)[1]


def _tail_probability(activation: str, std: float) -> float:
    """``P(|z| > límite)`` con ``z ~ N(0, std²)``: la fracción de preactivaciones en la región
    saturada de una activación simétrica (sigmoide, tanh)."""
    return math.erfc(_upper(activation) / (std * math.sqrt(2)))


def _dead_fraction() -> float:
    # fracción de preactivaciones con φ' = 0 en una red ReLU con He: 1 − media de |φ'|
    params, x, _ = problem(0, depth=10, width=256, n_in=64, batch=128, init="he_normal")
    st = layer_statistics(params, x, activation="relu")
    return 1.0 - float(np.mean(np.asarray(st.mean_abs_derivative)))


def _residual_stream_norms(alpha: float) -> np.ndarray:
    """‖∂L/∂h_l‖ de la red residual ReLU de los ejercicios (bloque estándar, 30 capas,
    anchura 256, He): el gradiente del tronco."""
    params, x, y = problem(0, depth=30, width=256, n_in=256, batch=64, init="he_normal")
    g = layer_gradients(params, x, y, activation="relu", residual=True, residual_scale=alpha)
    return np.asarray(g.preact_norm)


def _residual_square_growth() -> float:
    # lejos de la salida: las capas 2 a 25
    return math.exp(2 * layer_slope(_residual_stream_norms(1.0), first=2, last=25))


def _residual_alpha_accept(alpha: float) -> tuple[bool, str]:
    if not 0 < alpha <= 1.5:
        return False, "α debe estar entre 0 y 1.5"
    dz = _residual_stream_norms(alpha)
    ratio = float(dz[0] / dz[-1])
    if 0.1 <= ratio <= 10:
        return True, (f"con α = {alpha:.3g}: ‖∂L/∂h_1‖ / ‖∂L/∂h_30‖ = {ratio:.3g} "
                      "(objetivo: entre 0.1 y 10)")
    return False, ("con esa α el gradiente de la capa 1 queda "
                   f"{'por encima de 10' if ratio > 10 else 'por debajo de 0.1'} veces el de la capa 30")


def _sigmoid_product_bound() -> float:
    grid = np.linspace(-10.0, 10.0, 20001)  # incluye z = 0, donde σ' es máxima
    return float(np.max(np.asarray(derivative("sigmoid")(grid)))) ** 10


def _relu_xavier_decade() -> float:
    chi = chi1("relu", sigma_w2=sigma_w2("xavier_normal", 256, 256), q=1.0)
    return math.log(10) / (-0.5 * math.log(chi))


@functools.lru_cache(maxsize=1)
def _first_step_ratio() -> float:
    # la red de partida de los capítulos 4 y 5: un paso de SGD mueve W_l en η‖∂L/∂W_l‖
    data = load_digits(seed=0)
    params = init_mlp(jax.random.key(0), depth=20, width=64, n_in=64, n_out=10, init="standard")
    g = layer_gradients(params, data.x_train, data.y_train, activation="sigmoid",
                        loss="cross_entropy")
    w = layer_weight_norms(params)[0]
    return float((g.weight_norm[0] / w[0]) / (g.weight_norm[-1] / w[-1]))


def _time_ratio(cell: str, num: int, den: int, *, cell_state: bool = False, length: int = 100,
                **net) -> float:
    """``‖∂L/∂h_num‖ / ‖∂L/∂h_den‖`` (o de ``c`` con ``cell_state``; pasos desde 1) de la red
    recurrente de :func:`vgcourse.time_profile` con T = ``length`` y semilla 0."""
    result = time_profile(cell, length=length, **net)
    norms = np.asarray(result.c_norm if cell_state else result.h_norm)
    return float(norms[num - 1] / norms[den - 1])


def _adam_first_step() -> float:
    import optax  # noqa: PLC0415

    opt = optax.adam(1e-3)
    updates, _ = opt.update(np.array([1e-12]), opt.init(np.zeros(1)))
    return float(abs(updates[0]))


_REL2 = Tolerance("relativa", 0.02)
_REL5 = Tolerance("relativa", 0.05)  # dos cifras significativas

#: todos los ejercicios del curso, en el orden de los capítulos
EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in (
    # ---- capítulo 1 ----
    Exercise(
        "sigmoide_derivada_0", 1,
        "¿Cuánto vale la derivada de la sigmoide en z = 0, σ'(0)?",
        "σ'(z) = σ(z)·(1 − σ(z)); ¿cuánto vale σ(0)?",
        lambda: float(derivative("sigmoid")(0.0)), Tolerance("relativa", 0.01),
        "σ'(0) = σ(0)·(1 − σ(0)) = {ref:.4f}"),
    Exercise(
        "sigmoide_cota_10", 1,
        "En una red sigmoide de 10 capas, ¿cuál es el mayor valor que puede tomar el producto "
        "σ'(z_1)·σ'(z_2)···σ'(z_10) de las derivadas de sus activaciones? (Dos cifras "
        "significativas.)",
        "Cada factor es, como mucho, el valor máximo de σ'. ¿Dónde lo alcanza σ' y cuánto vale?",
        _sigmoid_product_bound, _REL5,
        lambda ref, _: f"como mucho (máx. σ')¹⁰ = {ref ** 0.1:.4f}¹⁰ = {ref:.3g}"),
    Exercise(
        "sigmoide_20_capas", 1,
        "Red sigmoide de 20 capas con Xavier (anchura 256, entradas de dimensión 64, lote de 64 "
        "ejemplos, semilla 0): ¿de qué orden de magnitud es ‖∂L/∂Z_1‖ / ‖∂L/∂Z_20‖? (Escribe el "
        "cociente, por ejemplo 1e-5.)",
        "En la sección «Impacto», el gradiente de la red sigmoide con Xavier se hace algo más de "
        "4 veces más pequeño en cada capa hacia la entrada (el factor exacto está en el texto). "
        "¿Cuántos pasos hay de la capa 20 a la capa 1?",
        lambda: _measured_ratio(1, 20, activation="sigmoid", depth=20, width=256, n_in=64,
                                batch=64, init="xavier_normal"),
        Tolerance("órdenes", 0.5), "medido: ‖∂L/∂Z_1‖ / ‖∂L/∂Z_20‖ = {ref:.2g}"),
    # ---- capítulo 2 ----
    Exercise(
        "tanh_estandar_factor", 2,
        "Red tanh con la inicialización estándar (σ_w² = 1/3) y sin sesgos: ¿por qué factor se "
        "multiplica ‖∂L/∂Z_l‖ cada vez que se baja una capa hacia la entrada?",
        "El cuadrado del gradiente se multiplica por χ₁ en cada capa, así que la norma lo hace por "
        "√χ₁. Sin sesgos y con σ_w² < 1, el punto fijo es q* = 0: ¿cuánto vale tanh'(0)?",
        lambda: math.sqrt(chi1("tanh", sigma_w2=sigma_w2("standard", 256, 256))), _REL2,
        "√χ₁ = {ref:.4f} por capa hacia la entrada (χ₁ = σ_w²·tanh'(0)² con q* = 0)"),
    Exercise(
        "tanh_sesgo_cociente", 2,
        "Red tanh de 50 capas con Xavier (σ_w² = 1), sesgos con σ_b² = 0.05, anchura 256 y "
        "semilla 0: ¿cuánto vale ‖∂L/∂Z_10‖ / ‖∂L/∂Z_40‖?",
        "De la capa 40 a la 10 hay 30 pasos, y en cada uno la norma se multiplica por √χ₁. "
        "Calcula χ₁ con vg.chi1(\"tanh\", sigma_w2=1.0, sigma_b2=0.05).",
        lambda: _measured_ratio(10, 40, activation="tanh", depth=50, width=256, n_in=256,
                                batch=64, init="xavier_normal", bias_std=math.sqrt(0.05)),
        Tolerance("órdenes", 0.3), "medido: ‖∂L/∂Z_10‖ / ‖∂L/∂Z_40‖ = {ref:.3g}"),
    Exercise(
        "relu_gemelo_cociente", 2,
        "Red ReLU de 30 capas con σ_w² = 2.5, anchura 256 y semilla 0: ¿cuántas veces mayor es "
        "‖∂L/∂Z_1‖ que ‖∂L/∂Z_30‖?",
        "Con ReLU, χ₁ = σ_w²/2, y la norma se multiplica por √χ₁ en cada paso hacia la entrada. "
        "¿Cuántos pasos hay de la capa 30 a la capa 1?",
        lambda: _measured_ratio(1, 30, activation="relu", depth=30, width=256, n_in=256,
                                batch=64, init="he_normal", gain=math.sqrt(2.5 / 2)),
        Tolerance("órdenes", 0.3), "medido: ‖∂L/∂Z_1‖ / ‖∂L/∂Z_30‖ = {ref:.3g}"),
    # ---- capítulo 3 ----
    Exercise(
        "tanh_saturada_ancha", 3,
        "Si las preactivaciones de una capa tanh siguen una normal N(0, 4) (desviación típica "
        "2, como con pesos grandes), ¿qué fracción cae en la región saturada de tanh "
        "(|z| > 1.818)? (Dos cifras significativas.)",
        "Estandariza: |z| > 1.818 con z ~ N(0, 4) es |Z| > 1.818/2 con Z ~ N(0, 1); la "
        "probabilidad de las dos colas es erfc(c/√2).",
        lambda: _tail_probability("tanh", 2.0), _REL5,
        lambda ref, _: (f"P(|z| > {_upper('tanh'):.3f}) con z ~ N(0, 4) = "
                        f"P(|Z| > {_upper('tanh') / 2:.3f}) = {ref:.3f}")),
    Exercise(
        "sigmoide_saturada_normal", 3,
        "Si las preactivaciones siguen una normal N(0, 1), ¿qué fracción cae en la región saturada "
        "de la sigmoide (|z| > 3.637)? (Dos cifras significativas.)",
        "Es la probabilidad de las dos colas de una normal estándar más allá de 3.637 "
        "(vg.saturation_bounds(\"sigmoid\") da el límite exacto).",
        lambda: _tail_probability("sigmoid", 1.0), _REL5,
        lambda ref, _: f"P(|z| > {_upper('sigmoid'):.3f}) con z ~ N(0, 1) = {ref:.3g}"),
    Exercise(
        "relu_xavier_decada", 3,
        "Red ReLU con Xavier (σ_w² = 1): ¿cada cuántas capas, hacia la entrada, se divide por 10 "
        "la norma ‖∂L/∂Z_l‖? (No tiene por qué ser un número entero.)",
        "Cada capa multiplica la norma por √χ₁, con χ₁ = σ_w²·E[φ'(z)²]: ¿qué fracción de las "
        "unidades ReLU tiene φ' = 1? Después, busca n con (√χ₁)ⁿ = 1/10.",
        _relu_xavier_decade, Tolerance("relativa", 0.03),
        lambda ref, _: (f"√χ₁ = {10 ** (-1 / ref):.4f} por capa: la norma se divide por 10 "
                        f"cada {ref:.2f} capas")),
    # ---- capítulo 4 ----
    Exercise(
        "relu_muertas", 4,
        "En una red ReLU inicializada con He, ¿qué fracción de las preactivaciones de una capa "
        "tiene derivada 0?",
        "Las preactivaciones son simétricas alrededor de 0 y φ'(z) = 0 para z < 0.",
        _dead_fraction, Tolerance("absoluta", 0.05),
        "medido en una red ReLU de 10 capas con He: {ref:.3f}"),
    Exercise(
        "leaky_critico", 4,
        "¿Con qué σ_w² es crítica (χ₁ = 1) una Leaky ReLU de pendiente a = 0.01?",
        "χ₁ = σ_w²·E[φ'(z)²] y φ' vale 1 o a, cada uno con probabilidad 1/2.",
        # χ₁ es proporcional a σ_w²: el crítico es 1/χ₁(σ_w² = 1). Más fino que la
        # corrección 1 + a² = 1.0001: σ_w² = 2 (He) no basta
        lambda: 1.0 / chi1("leaky_relu", sigma_w2=1.0, q=1.0), Tolerance("relativa", 2e-5),
        # χ₁ es proporcional a σ_w²: con la respuesta, χ₁ = respuesta/referencia
        lambda ref, answer: f"con σ_w² = {answer:.6g}, χ₁ = {answer / ref:.6f} (crítico: χ₁ = 1)"),
    Exercise(
        "xavier_varianza", 4,
        "Una capa tiene fan_in = 256 y fan_out = 64. ¿Qué varianza Var(W_ij) le da Xavier?",
        "Xavier: Var(W) = 2/(fan_in + fan_out).",
        lambda: sigma_w2("xavier_normal", 256, 64) / 256, _REL2,
        "Var(W) = σ_w²/fan_in = {ref:.5f}"),
    Exercise(
        "tanh_he_pendiente", 4,
        "Con tanh y He (σ_w² = 2), ¿cuánto cambia ln‖∂L/∂Z_l‖ por capa hacia la entrada?",
        "Calcula ½·ln χ₁ con vg.chi1('tanh', sigma_w2=2.0).",
        lambda: 0.5 * math.log(chi1("tanh", sigma_w2=2.0)), Tolerance("absoluta", 0.01),
        "½·ln χ₁ = {ref:+.4f} por capa hacia la entrada"),
    Exercise(
        "residual_crecimiento", 4,
        "En una red residual ReLU de 30 capas, anchura 256 y He, con el bloque estándar y "
        "α = 1, ¿por qué factor se multiplica el cuadrado de ‖∂L/∂h_l‖ (el gradiente del "
        "tronco) en cada bloque hacia la entrada?",
        "Cada bloque suma al gradiente que baja por el salto el que pasa por la rama; en media, "
        "el cuadrado se multiplica por 1 + α²·σ_w²·E[φ'(z)²]. ¿Cuánto vale E[φ'(z)²] con ReLU?",
        _residual_square_growth, Tolerance("relativa", 0.1),
        "medido (capas 2 a 25): el cuadrado del gradiente se multiplica por {ref:.2f} por bloque"),
    Exercise(
        "residual_alfa", 4,
        "Elige α para una red residual ReLU de 30 capas con He (bloque estándar) de modo que el "
        "gradiente del tronco en la capa 1 quede entre 0.1 y 10 veces el de la capa 30.",
        "En 29 bloques el cuadrado se multiplica por (1 + α²)²⁹: busca α para que eso no pase "
        "de unas decenas. Prueba una α del orden de 1/√L.",
        lambda: 1 / math.sqrt(30), Tolerance("relativa", 0.0), "",
        accept=_residual_alpha_accept),
    Exercise(
        "bn_saturacion", 4,
        "Si la normalización por lotes deja las preactivaciones de tanh en N(0, 1), ¿qué fracción "
        "cae en la región saturada (|z| > 1.818)?",
        "Es la probabilidad de las dos colas de una normal estándar más allá de 1.818.",
        lambda: _tail_probability("tanh", 1.0), Tolerance("absoluta", 0.01),
        lambda ref, _: f"P(|z| > {_upper('tanh'):.3f}) con z ~ N(0, 1) = {ref:.4f}"),
    Exercise(
        "bn_capas_diez", 4,
        "Red ReLU con normalización por lotes y sin conexiones residuales: si el cuadrado del "
        "gradiente se multiplica en cada capa hacia la entrada por χ_BN = E[φ'(Z)²]/Var φ(Z) "
        "(la aproximación de lote grande, vg.batchnorm_chi1), ¿cuántas capas hacen falta para "
        "que la norma del gradiente crezca 10 veces? (No tiene por qué ser un número entero.)",
        "La norma crece √χ_BN por capa: busca n con (√χ_BN)ⁿ = 10, es decir, "
        "n·½·ln χ_BN = ln 10.",
        lambda: math.log(10) / (0.5 * math.log(batchnorm_chi1("relu"))),
        Tolerance("relativa", 0.03),
        lambda ref, _: (f"½·ln χ_BN = {math.log(10) / ref:.4f} por capa: la norma se multiplica "
                        f"por 10 cada {ref:.2f} capas")),
    # ---- capítulo 5 ----
    Exercise(
        "din_primer_paso", 5,
        "En la red de partida, ¿cuál es el cociente entre el cambio relativo de la capa 1 y el "
        "de la capa 20 en el primer paso de SGD?",
        "El cambio relativo de la capa l es η‖∂L/∂W_l‖/‖W_l‖: η se cancela. Mide "
        "‖∂L/∂W_l‖ con vg.layer_gradients y ‖W_l‖ con vg.layers_from_params.",
        _first_step_ratio, Tolerance("órdenes", math.log10(2)),
        "medido en la red de partida: {ref:.2g}"),
    Exercise(
        "adam_epsilon", 5,
        "Con optax.adam(1e-3) (ε = 1e-8), ¿cuánto cambia en el primer paso un peso cuyo "
        "gradiente vale 1e-12?",
        "En el primer paso, Adam mueve cada peso η·g/(|g| + ε). Compara |g| con ε.",
        _adam_first_step, _REL2,
        lambda ref, _: f"optax.adam da un paso de {ref:.4g}, {1e-3 / ref:.0f} veces menor que η = 0.001"),
    # ---- capítulo 6 ----
    Exercise(
        "he_varianza", 6,
        "¿Qué varianza Var(W_ij) da la inicialización de He a una capa con fan_in = 128?",
        "He: Var(W) = 2/fan_in.",
        lambda: sigma_w2("he_normal", 128, 128) / 128, _REL2,
        "Var(W) = σ_w²/fan_in = {ref:.6f}"),
    Exercise(
        "borde_caos_tanh", 6,
        "Con tanh y σ_b² = 0.1, ¿qué σ_w² da χ₁ = 1 (el borde del caos)?",
        "Busca σ_w² con vg.chi1('tanh', sigma_w2=..., sigma_b2=0.1) = 1 (por bisección, o con "
        "critical_sigma_w2 de vgcourse.theory); en la figura del diagrama de fases está entre "
        "1.9 y 2.1.",
        lambda: float(critical_sigma_w2("tanh", [0.1])[0]), Tolerance("relativa", 0.01),
        "σ_w² crítico con σ_b² = 0.1: {ref:.4f}"),
    Exercise(
        "escala_profundidad", 6,
        "Con tanh, σ_w² = 1.5 y σ_b² = 0.05, ¿cada cuántas capas se divide por e el cuadrado de "
        "la norma del gradiente?",
        "ξ = 1/|ln χ₁|; calcula χ₁ con vg.chi1 (incluye el sesgo).",
        lambda: depth_scale(chi1("tanh", sigma_w2=1.5, sigma_b2=0.05)),
        Tolerance("relativa", 0.03), "ξ = 1/|ln χ₁| = {ref:.2f} capas"),
    # ---- capítulo 7 ----
    Exercise(
        "rnn_lineal_veinte_pasos", 7,
        "RNN lineal (φ = identidad) con W = 0.9·Q, Q ortogonal (anchura 32), en el problema de "
        "la suma con T = 100 y semilla 0: ¿cuánto vale ‖∂L/∂h_80‖ / ‖∂L/∂h_100‖?",
        "En la red lineal, ∂h_100/∂h_80 = (Wᵀ)²⁰. ¿Qué hace una matriz ortogonal con la norma de "
        "un vector, y qué hace el factor 0.9?",
        lambda: _time_ratio("rnn", 80, 100, activation="identity", scale=0.9),
        Tolerance("relativa", 0.02), "medido: ‖∂L/∂h_80‖ / ‖∂L/∂h_100‖ = {ref:.4f}"),
    Exercise(
        "lstm_olvido_cincuenta", 7,
        "LSTM con W = 0 (solo queda el camino de la celda), sesgo de olvido b_f = 2, T = 50 y "
        "semilla 0: ¿de qué orden de magnitud es ‖∂L/∂c_1‖ / ‖∂L/∂c_50‖? (Escribe el cociente, "
        "por ejemplo 1e-5.)",
        "Con W = 0, ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f_t, y la puerta de olvido vale f_t ≈ σ(b_f) si "
        "las entradas la mueven poco. ¿Cuántos factores hay de c_50 a c_1?",
        lambda: _time_ratio("lstm", 1, 50, cell_state=True, scale=0.0, forget_bias=2.0,
                            length=50),
        Tolerance("órdenes", 0.3), "medido: ‖∂L/∂c_1‖ / ‖∂L/∂c_50‖ = {ref:.2g}"),
)}


def _wrap(text: str) -> str:
    """Líneas de 76 caracteres como mucho: la salida cabe en la columna del libro sin
    desplazarse a la derecha."""
    return "\n".join(textwrap.fill(line, 76) for line in text.split("\n"))


def check(exercise: str, answer: object) -> Feedback:
    """Comprueba ``answer`` para el ejercicio ``exercise`` (nombres en :data:`EXERCISES`).

    ``answer`` es un número o un texto con una expresión sencilla (``"1/4"``, ``"0,25"``,
    ``"2**-10"``); con ``None`` recuerda qué hay que hacer (la pregunta está en el texto del
    capítulo, encima de la celda). La pregunta completa está en ``EXERCISES[nombre].question``.
    """
    ex = EXERCISES[check_choice("exercise", exercise, EXERCISES)]
    if answer is None:  # la pregunta ya está escrita encima de la celda, en el texto
        return Feedback(None, _wrap("Escribe tu respuesta en `respuesta` (un número o una "
                                    "expresión como 1/4) y vuelve a ejecutar la celda."))
    try:
        ok, why = ex.judge(answer)
    except TypeError as err:
        return Feedback(False, _wrap(f"✘ {err}"))
    if ok:
        return Feedback(True, _wrap(f"✔ Correcto: {why}."))
    return Feedback(False, _wrap(f"✘ Todavía no: {why}. Pista: {ex.hint}"))
