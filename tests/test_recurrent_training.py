"""Entrenamiento en el problema de la suma (vgcourse.recurrent_training): el relleno a la
izquierda no cambia ni la pérdida ni los gradientes (float64, las tres celdas), la tarea
rellenada es la misma tarea, una sola compilación para todas las longitudes, umbrales y
semillas, resultados deterministas, el recorte emparejado, un entrenamiento corto que aprende y
los errores en español."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import count_compilations

import vgcourse as vg
from vgcourse._recurrent_core import adding_sequences

SMALL = dict(hidden=4, steps=6, batch=8, test_batch=16)


@pytest.mark.parametrize("cell", vg.CELLS)
def test_left_padding_leaves_loss_and_gradients_unchanged(cell):
    params = vg.init_recurrent(jax.random.key(0), cell=cell, hidden=5, n_in=2, scale=0.9)
    params["b"] = params["b"] + 0.1  # con sesgos, el estado cambiaría en el relleno si no se congelara
    x, y = vg.adding_problem(jax.random.key(1), length=7, batch=3)
    pad = jnp.concatenate([jnp.full((3, 5, 2), 0.7), x], axis=1)  # 5 pasos de relleno (no nulos)

    def plain(p):
        return vg.recurrent_loss(p, x, y, cell=cell)

    def padded(p):
        return vg.recurrent_loss(p, pad, y, cell=cell, valid_from=5)

    (l0, g0), (l1, g1) = jax.value_and_grad(plain)(params), jax.value_and_grad(padded)(params)
    np.testing.assert_allclose(l1, l0, rtol=1e-13)
    for a, b in zip(jax.tree.leaves(g0), jax.tree.leaves(g1)):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)
    # sin congelar el estado, el relleno sí cambia la pérdida: la prueba puede fallar
    assert abs(float(vg.recurrent_loss(params, pad, y, cell=cell)) - float(l0)) > 1e-6


def test_padded_task_is_the_task():
    key = jax.random.key(3)
    x, y, start = adding_sequences(key, 9, max_length=9, batch=4, dtype=jnp.float64)
    x0, y0 = vg.adding_problem(key, length=9, batch=4)
    assert int(start) == 0
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    xp, yp, start = adding_sequences(key, 6, max_length=10, batch=50, dtype=jnp.float64)
    assert int(start) == 4
    assert np.all(np.asarray(xp[:, :4]) == 0)  # el relleno, vacío
    markers = np.asarray(xp[:, :, 1])
    assert np.all(markers.sum(1) == 2)
    for row, value, target in zip(markers, np.asarray(xp[:, :, 0]), np.asarray(yp[:, 0])):
        i, j = np.nonzero(row)[0]
        assert 4 <= i < 4 + 3 <= j < 10  # una marca en cada mitad de los 6 pasos válidos
        assert target == pytest.approx(value[i] + value[j], rel=1e-15)


def test_one_compilation_for_all_lengths_clips_and_seeds_and_same_numbers_again():
    with count_compilations() as compiled:
        h = vg.train_adding("gru", lengths=(3, 5), seeds=(0, 1, 2), clips=(None, 0.5), **SMALL)
    assert compiled["jit(_train_jit)"] == 1, dict(compiled)
    assert h.loss.shape == h.grad_norm.shape == (2, 2, 3, SMALL["steps"])
    assert h.test_loss.shape == (2, 2, 3)
    assert jax.tree.leaves(h.params)[0].shape[:3] == (2, 2, 3)
    again = vg.train_adding("gru", lengths=(3, 5), seeds=(0, 1, 2), clips=(None, 0.5), **SMALL)
    np.testing.assert_array_equal(again.loss, h.loss)
    # misma inicialización y mismos lotes con y sin recorte: el primer paso es idéntico
    np.testing.assert_array_equal(h.loss[:, 0, :, 0], h.loss[:, 1, :, 0])
    np.testing.assert_array_equal(h.grad_norm[:, 0, :, 0], h.grad_norm[:, 1, :, 0])
    # … y las semillas dan trayectorias distintas
    assert not np.array_equal(h.loss[0, 0, 0], h.loss[0, 0, 1])
    p = h.final_params(5, clip_index=1, seed_index=2)
    assert p["W"].shape == (4, 12)
    start = vg.init_recurrent(jax.random.split(jax.random.key(2), 3)[0], cell="gru", hidden=4,
                              n_in=2, dtype="float64")
    for a, b in zip(jax.tree.leaves(h.initial_params(2)), jax.tree.leaves(start)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="no se entrenó"):
        h.final_params(7)


def test_the_padded_short_length_is_trained_on_its_own_sequences():
    # la pérdida del primer paso de la longitud 4 (rellenada hasta 6) es la de la red inicial
    # sobre las secuencias de 4 pasos sin relleno, recalculada aquí a partir de las claves
    h = vg.train_adding("rnn", lengths=(4, 6), seeds=0, dtype="float64", **SMALL)
    k_init, k_data, _ = jax.random.split(jax.random.key(0), 3)
    p0 = vg.init_recurrent(k_init, cell="rnn", hidden=SMALL["hidden"], n_in=2)
    first = jax.random.split(k_data, SMALL["steps"])[0]
    x, y, start = adding_sequences(first, 4, max_length=6, batch=SMALL["batch"], dtype=jnp.float64)
    unpadded = vg.recurrent_loss(p0, x[:, int(start):], y, cell="rnn")
    np.testing.assert_allclose(h.loss[0, 0, 0, 0], unpadded, rtol=1e-13)


def test_clipping_bounds_the_step():
    # con SGD, un umbral diminuto hace que cada paso mida exactamente tasa × umbral
    clip, lr = 1e-3, 0.5
    h = vg.train_adding("rnn", lengths=5, seeds=0, clips=(clip,), optimizer="sgd",
                        learning_rate=lr, hidden=4, steps=1, batch=8, test_batch=8,
                        dtype="float64")
    p0 = vg.init_recurrent(jax.random.split(jax.random.key(0), 3)[0], cell="rnn", hidden=4,
                           n_in=2)
    p1 = h.final_params(5)
    moved = np.sqrt(sum(float(jnp.sum((a - b) ** 2))
                        for a, b in zip(jax.tree.leaves(p1), jax.tree.leaves(p0))))
    assert h.grad_norm[0, 0, 0, 0] > clip
    assert moved == pytest.approx(lr * clip, rel=1e-10)


def test_a_short_training_learns_the_short_task():
    h = vg.train_adding("lstm", lengths=4, seeds=0, hidden=8, steps=150, batch=32)
    assert h.relative_test_loss[0, 0, 0] < 0.3
    assert np.all(np.isfinite(h.grad_norm))


@pytest.mark.parametrize("kwargs,match", [
    (dict(cell="rnm", lengths=5), "rnn"),
    (dict(cell="rnn", lengths=1), "≥ 2"),
    (dict(cell="rnn", lengths=()), "secuencia no vacía"),
    (dict(cell="rnn", lengths=5, clips=(0.0,)), "clips"),
    (dict(cell="rnn", lengths=5, clips="mucho"), "umbrales de recorte"),
    (dict(cell="rnn", lengths=5, optimizer="adamw"), "adam, sgd"),
    (dict(cell="rnn", lengths=5, learning_rate=-1.0), "learning_rate"),
    (dict(cell="rnn", lengths=5, seeds=-1), "seeds"),
])
def test_bad_input_gets_spanish_errors(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        vg.train_adding(**kwargs)


def test_several_cells_at_once_are_each_cell_alone():
    """train_adding_cells reparte celdas × semillas entre los núcleos: da, bit a bit, lo mismo
    que train_adding de cada celda, con una compilación por celda."""
    kw = dict(lengths=(3, 5), seeds=(0, 1), clips=(None, 0.5), **{**SMALL, "hidden": 3})
    with count_compilations() as compiled:  # anchura 3: ninguna otra prueba la ha compilado
        together = vg.train_adding_cells(("rnn", "gru"), **kw)
    assert compiled["jit(_train_jit)"] == 2, dict(compiled)
    assert list(together) == ["rnn", "gru"]
    for cell, h in together.items():
        alone = vg.train_adding(cell, **kw)
        np.testing.assert_array_equal(h.loss, alone.loss)
        np.testing.assert_array_equal(h.test_loss, alone.test_loss)
        assert h.loss.shape == (2, 2, 2, SMALL["steps"])


def test_several_cells_validate_in_spanish():
    with pytest.raises(TypeError, match="Falta `lengths`"):
        vg.train_adding_cells(("rnn",), seeds=(0,))
    with pytest.raises(TypeError, match="Las opciones válidas son: lengths, seeds"):
        vg.train_adding_cells(("rnn",), lengths=5, seed=0)
    with pytest.raises(ValueError, match="lstm"):
        vg.train_adding_cells(("rnn", "lsmt"), lengths=5)
