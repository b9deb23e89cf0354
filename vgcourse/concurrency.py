"""Varios cálculos independientes a la vez, uno por núcleo.

En CPU, XLA reparte entre los núcleos los productos de matrices y las operaciones sobre
arreglos grandes, pero una operación elemento a elemento sobre un arreglo pequeño (una capa de
64 unidades con un lote de 1438 ejemplos, el estado de una red recurrente) la ejecuta en un
solo núcleo. Un entrenamiento pequeño deja así parte de la máquina sin usar. Si hay varios
entrenamientos independientes (siete variantes, tres celdas recurrentes), lanzarlos a la vez
desde hilos de Python ocupa los demás núcleos: cada llamada compilada suelta el GIL mientras
XLA calcula.

Los resultados son exactamente los mismos que uno detrás de otro: cada cálculo es el mismo
programa compilado con los mismos datos, y ninguno lee lo que escribe otro (las pruebas lo
comparan bit a bit). En una máquina de 2 núcleos, entrenar las tres celdas del capítulo 7
pasa de 38 s a 22 s (``benchmarks/run.py`` no lo mide: es la forma de llamar, no el motor).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from vgcourse._precision import x64_enabled, x64_scope
from vgcourse._validation import check_int

__all__ = ["parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

#: ``active`` es verdadero en los hilos de un :func:`parallel_map`: dentro, otro va en secuencia
_worker = threading.local()


def _usable_cores() -> int:
    """Los núcleos que este proceso puede usar (respeta ``taskset``; ``os.cpu_count`` no)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS y Windows no tienen sched_getaffinity
        return max(1, os.cpu_count() or 1)


def parallel_map(fn: Callable[[T], R], items: Iterable[T], *,
                 workers: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, con hasta un cálculo a la vez por núcleo.

    Para cálculos independientes de JAX (entrenamientos, barridos) que por separado no ocupan
    todos los núcleos. El resultado es la lista en el orden de ``items``, idéntica a la del
    bucle en secuencia. Si ``fn`` lanza una excepción, ``parallel_map`` la relanza (la del
    primer elemento que falle, en el orden de ``items``).

    Los hilos trabajan con la precisión de quien llama: dentro de ``with vg.float64():``
    (un contexto de JAX que solo ve el hilo que lo abre), también en float64. Un
    ``parallel_map`` llamado desde dentro de otro va en secuencia: los núcleos ya están
    ocupados, y más hilos que núcleos solo se estorban.

    Args:
        fn: la función que se aplica a cada elemento.
        items: los elementos.
        workers: cuántos hilos como máximo (entero ≥ 1). Por defecto, los núcleos que puede
            usar el proceso; con 1, o con un solo elemento, es el bucle en secuencia.
    """
    items = list(items)
    workers = _usable_cores() if workers is None else check_int("workers", workers)
    workers = min(workers, len(items))
    if getattr(_worker, "active", False):
        workers = 1
    if workers <= 1:
        return [fn(x) for x in items]
    x64 = x64_enabled()  # el de este hilo: los contextos de JAX no pasan a otros hilos

    def run(x):
        _worker.active = True
        try:
            with x64_scope(x64):
                return fn(x)
        finally:
            _worker.active = False

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vgcourse") as pool:
        return list(pool.map(run, items))
