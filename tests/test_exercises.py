"""Ejercicios: aceptan la respuesta de referencia, rechazan una incorrecta y explican en español."""

import math

import pytest

import vgcourse as vg
from vgcourse.exercises import EXERCISES

GOOD_AND_BAD = {
    "relu_muertas": (0.5, 0.2),
    "leaky_critico": (2 / (1 + 0.01**2), 1.0),
    "xavier_varianza": (2 / (256 + 64), 1 / 256),
    "tanh_he_pendiente": (0.5 * math.log(vg.chi1("tanh", sigma_w2=2.0)), -0.5),
    "residual_alfa": (1 / math.sqrt(30), 1.0),
    "bn_saturacion": (0.069, 0.3),
    "bn_explota": ("mayor", "menor"),
}


@pytest.mark.parametrize("name", sorted(GOOD_AND_BAD))
def test_reference_answer_passes_and_wrong_one_fails(name):
    good, bad = GOOD_AND_BAD[name]
    ok = vg.check(name, good)
    assert ok.correct is True and ok.message.startswith("✔ Correcto")
    ko = vg.check(name, bad)
    assert ko.correct is False and "Pista:" in ko.message


def test_residual_growth_accepts_the_measured_rate_only():
    msg = vg.check("residual_crecimiento", 1.0)
    assert msg.correct is False
    import numpy as np
    params, x, y = vg.problem(0, depth=30, width=256, n_in=256, batch=64, init="he_normal")
    dz = np.asarray(vg.layer_gradients(params, x, y, activation="relu", residual=True).preact_norm)
    layers = np.arange(2, 26)
    rate = float(np.exp(-2 * np.polyfit(layers, np.log(dz[layers - 1]), 1)[0]))
    assert vg.check("residual_crecimiento", rate).correct is True


def test_every_exercise_is_covered_and_prompts_without_answer():
    assert set(EXERCISES) == set(GOOD_AND_BAD) | {"residual_crecimiento"}
    for name in EXERCISES:
        fb = vg.check(name, None)
        assert fb.correct is None and "Escribe tu respuesta" in repr(fb)


def test_bad_inputs_are_explained_in_spanish():
    assert "debe ser un número" in vg.check("xavier_varianza", "mucho").message
    assert '"mayor" o "menor"' in vg.check("bn_explota", 3).message
    with pytest.raises(ValueError, match="Los valores válidos son"):
        vg.check("no_existe", 1)
