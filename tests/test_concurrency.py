"""vg.parallel_map: varios cálculos de JAX a la vez dan exactamente lo mismo que en secuencia,
en el mismo orden, y los errores llegan a quien llama."""

import threading
import time

import numpy as np
import pytest

import vgcourse as vg


@pytest.fixture(autouse=True)
def _x64():
    with vg.float64():
        yield


def test_trainings_at_once_are_bit_identical_to_one_after_another():
    data = vg.load_digits(seed=0)
    keys = ["relu_he", "bn", "res"]  # tres arquitecturas: tres programas compilados distintos

    def run(key):
        return vg.train_variant(key, data, steps=20, record_every=10)

    together = vg.parallel_map(run, keys, workers=3)
    alone = [run(key) for key in keys]
    for a, b in zip(together, alone, strict=True):
        for field in ("loss", "test_accuracy", "preact_grad_norm", "weight_grad_norm",
                      "weight_change"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_recurrent_trainings_at_once_are_bit_identical():
    def run(cell):
        return vg.train_adding(cell, lengths=(5, 8), seeds=(0, 1), hidden=4, steps=20,
                               batch=8, test_batch=16, dtype="float64")

    together = vg.parallel_map(run, ("rnn", "gru"))
    for cell, a in zip(("rnn", "gru"), together, strict=True):
        b = run(cell)
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.relative_test_loss, b.relative_test_loss)


def test_order_is_that_of_the_items_not_of_completion():
    def slow_first(x):
        time.sleep(0.05 * (3 - x))  # el primero termina el último
        return x * x

    assert vg.parallel_map(slow_first, range(4), workers=4) == [0, 1, 4, 9]


def test_one_worker_or_one_item_runs_in_the_calling_thread():
    here = threading.current_thread()
    assert vg.parallel_map(lambda _: threading.current_thread(), [1, 2], workers=1) == [here, here]
    assert vg.parallel_map(lambda _: threading.current_thread(), [1]) == [here]
    assert vg.parallel_map(lambda x: x, []) == []


def test_the_error_of_a_task_reaches_the_caller():
    def fails_on_two(x):
        if x == 2:
            raise ValueError("dos no vale")
        return x

    with pytest.raises(ValueError, match="dos no vale"):
        vg.parallel_map(fails_on_two, range(4), workers=2)


@pytest.mark.parametrize("workers", [0, -1])
def test_too_few_workers_get_a_spanish_error(workers):
    with pytest.raises(ValueError, match=r"`workers` debe ser un entero ≥ 1; se recibió -?\d"):
        vg.parallel_map(lambda x: x, [1, 2], workers=workers)


@pytest.mark.parametrize("workers", [1.5, True, "2"])
def test_workers_that_are_not_integers_get_a_spanish_error(workers):
    with pytest.raises(TypeError, match=r"`workers` debe ser un número entero ≥ 1; se recibió"):
        vg.parallel_map(lambda x: x, [1, 2], workers=workers)


def test_the_threads_inherit_the_precision_of_the_caller():
    """``vg.float64()`` es un contexto de JAX de un solo hilo: los hilos lo reciben."""
    from vgcourse._precision import x64_scope  # noqa: PLC0415 (jax.enable_x64 en jax ≥ 0.6)

    assert vg.parallel_map(lambda _: vg.x64_enabled(), [1, 2], workers=2) == [True, True]
    with x64_scope(False):
        assert vg.parallel_map(lambda _: vg.x64_enabled(), [1, 2], workers=2) == [False, False]


def test_a_parallel_map_inside_another_runs_in_sequence():
    """Dentro de un hilo de parallel_map, otro parallel_map no abre más hilos (los núcleos ya
    están ocupados); fuera de él, vuelve a abrirlos."""
    def inner(_):
        here = threading.current_thread()
        return vg.parallel_map(lambda _: threading.current_thread() is here, [1, 2, 3], workers=3)

    assert vg.parallel_map(inner, [1, 2], workers=2) == [[True] * 3, [True] * 3]
    main = threading.current_thread()
    assert vg.parallel_map(lambda _: threading.current_thread() is main, [1, 2], workers=2) \
        == [False, False]
