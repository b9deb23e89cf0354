"""Ejercicios como datos: la referencia del motor, su tolerancia, las pistas y las respuestas en texto.

Dos comprobaciones independientes por ejercicio: la referencia que calcula el paquete pasa y
una respuesta fuera de la tolerancia no (leídas de la misma tabla :data:`EXERCISES`), y una
respuesta calculada aquí por otro camino (forma cerrada, bisección, gradientes a mano) pasa.
"""

import math

import pytest
from scipy.stats import norm

import vgcourse as vg
from vgcourse.exercises import EXERCISES, parse_answer

# (respuesta correcta, respuesta incorrecta) de cada ejercicio, por capítulo
# capítulo 1: σ' = σ(1 − σ) y σ(0) = 1/2; la predicción del capítulo 2 (χ₁^(19/2)) para el
# cociente medido; la respuesta ingenua 4⁻¹⁹ (solo σ' ≤ 1/4, sin los pesos) queda fuera
CHAPTER_1 = {
    "sigmoide_derivada_0": (0.5 * (1 - 0.5), 0.5),
    "sigmoide_cota_10": (0.25**10, 0.25),
    "sigmoide_20_capas": (vg.chi1("sigmoid", sigma_w2=1.0) ** (19 / 2), 0.25**19),
}
# capítulo 2: q* = 0 y tanh'(0) = 1 dan χ₁ = σ_w²; las predicciones χ₁^(Δl/2) para los
# cocientes medidos; las respuestas incorrectas olvidan la raíz (χ₁ en lugar de √χ₁)
_CHI_TANH_BIAS = vg.chi1("tanh", sigma_w2=1.0, sigma_b2=0.05)
CHAPTER_2 = {
    "tanh_estandar_factor": (1 / 3**0.5, 1 / 3),
    "tanh_sesgo_cociente": (_CHI_TANH_BIAS**15, _CHI_TANH_BIAS**30),
    "relu_gemelo_cociente": ((2.5 / 2) ** (29 / 2), (2.5 / 2) ** 29),
}
# capítulo 3: GELU'(0) = Φ(0) = 1/2; el límite de la sigmoide en forma cerrada
# (σ(1 − σ) = 0.1 · 1/4); √(1/2) por capa: 2·ln 10 / ln 2 capas por factor 10
_SIGMOID_EDGE = math.log((1 + math.sqrt(0.9)) / (1 - math.sqrt(0.9)))
CHAPTER_3 = {
    # P(|Z| > 1.818/2) para Z ~ N(0, 1), con scipy (el juez usa math.erfc)
    "tanh_saturada_ancha": (float(2 * norm.sf(1.818 / 2)), 0.069),
    "sigmoide_saturada_normal": (math.erfc(_SIGMOID_EDGE / math.sqrt(2)), 0.069),
    "relu_xavier_decada": (2 * math.log(10) / math.log(2), math.log(10) / math.log(2)),
}
CHAPTER_5 = {
    # (‖∂L/∂W_1‖/‖W_1‖)/(‖∂L/∂W_20‖/‖W_20‖) medido a mano más abajo; un factor 10 no vale
    "din_primer_paso": (None, None),
    # Adam, primer paso: m̂ = g, v̂ = g² → η·g/(|g| + ε)
    "adam_epsilon": (1e-3 * 1e-12 / (1e-12 + 1e-8), 1e-3),
}
CHAPTER_6 = {
    "he_varianza": (2 / 128, 1 / 128),
    "borde_caos_tanh": (None, 2.0 + 0.1),  # la buena se busca con chi1 más abajo
    "escala_profundidad": (None, 1.0),
}
CHAPTER_4 = {
    "relu_muertas": (0.5, 0.2),
    "leaky_critico": (2 / (1 + 0.01**2), 1.0),
    "xavier_varianza": (2 / (256 + 64), 1 / 256),
    "tanh_he_pendiente": (0.5 * math.log(vg.chi1("tanh", sigma_w2=2.0)), -0.5),
    "residual_alfa": (1 / math.sqrt(30), 1.0),
    # bloque estándar con ReLU y He: 1 + α²·σ_w²·E[φ'²] = 1 + 1·2·½ = 2; sin el salto, 1
    "residual_crecimiento": (2.0, 1.0),
    "bn_saturacion": (0.069, 0.3),
    # ln 10 / (½ ln(π/(π − 1))): la forma cerrada de Yang et al. (2019) para ReLU
    "bn_capas_diez": (math.log(10) / (0.5 * math.log(math.pi / (math.pi - 1))), 5.0),
}
CHAPTER_7 = {
    # ∂h_100/∂h_80 = (Wᵀ)²⁰ y W = 0.9·Q conserva las normas salvo el 0.9: 0.9²⁰ exactamente
    "rnn_lineal_veinte_pasos": (0.9**20, 0.9**19),
    # 49 factores f_t ≈ σ(2) = 1/(1 + e⁻²); la respuesta 10 veces mayor queda fuera
    "lstm_olvido_cincuenta": ((1 + math.exp(-2)) ** -49, None),
}
GOOD_AND_BAD = {**CHAPTER_1, **CHAPTER_2, **CHAPTER_3, **CHAPTER_4, **CHAPTER_5, **CHAPTER_6,
                **CHAPTER_7}


def _first_step_ratio():
    """El cociente del primer paso de SGD, sin pasar por el juez: pesos y gradientes a mano."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from vgcourse._core import forward_core, loss_fn

    data = vg.load_digits(seed=0)
    params = vg.init_mlp(jax.random.key(0), depth=20, width=64, n_in=64, n_out=10,
                         init="standard")

    def objective(p):
        out, _ = forward_core(p, data.x_train, None, None, jnp.asarray(1.0), activation="sigmoid",
                              residual=False, batchnorm=False, collect=False)
        return loss_fn(out, data.y_train, "cross_entropy")

    g = jax.grad(objective)(params)
    rel = lambda W, dW: np.linalg.norm(dW) / np.linalg.norm(W)  # noqa: E731
    first = rel(params["input"]["W"], g["input"]["W"])
    last = rel(params["hidden"]["W"][-1], g["hidden"]["W"][-1])
    return float(first / last)


def _bisect(f, lo, hi, n=60):
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


INDEPENDENT = {  # respuestas buenas calculadas por otro camino que el del juez
    "din_primer_paso": _first_step_ratio,
    "borde_caos_tanh": lambda: _bisect(lambda w: vg.chi1("tanh", sigma_w2=w, sigma_b2=0.1) - 1,
                                       1.0, 4.0),
    "escala_profundidad": lambda: -1 / math.log(vg.chi1("tanh", sigma_w2=1.5, sigma_b2=0.05)),
}


@pytest.mark.parametrize("name", sorted(GOOD_AND_BAD))
def test_independent_answer_passes_and_wrong_one_fails(name):
    good, bad = GOOD_AND_BAD[name]
    if good is None:
        good = INDEPENDENT[name]()
    if bad is None:
        bad = 10 * good  # un orden de magnitud fuera
    ok = vg.check(name, good)
    assert ok.correct is True and ok.message.startswith("✔ Correcto"), ok.message
    ko = vg.check(name, bad)
    assert ko.correct is False and "Pista:" in ko.message


def _outside(ex, ref, sign):
    """Una respuesta a tres tolerancias de la referencia, por encima (+1) o por debajo (−1)."""
    tol = ex.tolerance
    if tol.kind == "órdenes":
        return ref * 10 ** (sign * 3 * tol.value)
    if tol.kind == "relativa":
        return ref + sign * 3 * tol.value * abs(ref)
    return ref + sign * 3 * tol.value


@pytest.mark.parametrize("name", [n for n, ex in EXERCISES.items() if ex.accept is None])
def test_reference_passes_and_the_hint_says_which_way(name):
    ex = EXERCISES[name]
    ref = float(ex.reference())
    assert vg.check(name, ref).correct is True
    high, low = vg.check(name, _outside(ex, ref, +1)), vg.check(name, _outside(ex, ref, -1))
    assert high.correct is False and low.correct is False
    if ex.tolerance.kind == "órdenes" and 3 * ex.tolerance.value >= 1:
        assert "mayor que la correcta en un orden de magnitud" in high.message
        assert "menor que la correcta en un orden de magnitud" in low.message
    else:
        assert "demasiado grande" in high.message.replace("\n", " ")
        assert "demasiado pequeña" in low.message.replace("\n", " ")
    assert ex.hint.split()[0] in high.message  # y la pista del ejercicio
    shown = f"{ref:.5g}"
    assert len(shown) < 4 or shown not in high.message + low.message  # sin delatar la respuesta


def test_exercises_are_data_in_chapter_order():
    chapters = [ex.chapter for ex in EXERCISES.values()]
    assert chapters == sorted(chapters)
    assert all(name == ex.name for name, ex in EXERCISES.items())
    assert {ex.tolerance.kind for ex in EXERCISES.values()} == {"relativa", "absoluta", "órdenes"}


def test_residual_alpha_is_judged_by_the_property_it_asks_for():
    ex = EXERCISES["residual_alfa"]
    assert vg.check("residual_alfa", ex.reference()).correct is True
    assert vg.check("residual_alfa", 1.0).correct is False  # α = 1: explota
    assert vg.check("residual_alfa", 2.0).correct is False  # fuera del intervalo permitido


def test_leaky_critical_point_needs_the_one_plus_a_squared_correction():
    assert vg.check("leaky_critico", 2 / (1 + 0.01**2)).correct is True
    assert vg.check("leaky_critico", 2.0).correct is False  # He, sin la corrección


def test_every_exercise_is_covered_and_prompts_without_answer():
    assert set(EXERCISES) == set(GOOD_AND_BAD)
    for name in EXERCISES:
        fb = vg.check(name, None)
        assert fb.correct is None and "Escribe tu respuesta" in repr(fb)


@pytest.mark.parametrize("text,value", [
    ("1/4", 0.25), ("0,25", 0.25), (" 0.25 ", 0.25), ("2**-10", 2.0**-10), ("4^-19", 4.0**-19),
    ("1e-5", 1e-5), ("sqrt(2)/2", 2**0.5 / 2), ("−3", -3.0), ("2·π", 2 * math.pi),
    ("ln(10)/(0.5*ln(2))", math.log(10) / (0.5 * math.log(2))), (7, 7.0),
])
def test_answers_written_as_text_are_understood(text, value):
    assert parse_answer(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("bad", ["mucho", "__import__('os')", "1/0", "x + 1", "[1]", True, "1,2,3"])
def test_bad_inputs_are_explained_in_spanish(bad):
    fb = vg.check("xavier_varianza", bad)
    assert fb.correct is False and "expresión sencilla" in fb.message


def test_a_ratio_must_be_positive_and_names_are_checked():
    assert "número positivo" in vg.check("sigmoide_20_capas", -1e-12).message
    assert vg.check("bn_saturacion", "0,069").correct is True
    with pytest.raises(ValueError, match="Los valores válidos son"):
        vg.check("no_existe", 1)
