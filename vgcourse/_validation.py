"""Comprobación de argumentos con mensajes de error en español.

Cada función pública de ``vgcourse`` valida sus argumentos aquí, antes de
entrar en JAX, para que un error de uso se lea como una frase que nombra el
argumento, el valor recibido y lo que es válido, nunca como una traza interna
de XLA.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import jax
import numpy as np


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_choice(arg: str, value: object, valid: Iterable[str]) -> str:
    """Devuelve ``value`` si es uno de los nombres válidos; si no, lanza un error con sugerencia."""
    valid = list(valid)
    if not isinstance(value, str):
        raise TypeError(
            f"`{arg}` debe ser un texto con uno de estos nombres: {', '.join(valid)}; "
            f"se recibió {_show(value)} (tipo {type(value).__name__})."
        )
    if value in valid:
        return value
    close = difflib.get_close_matches(value.lower(), valid, n=1, cutoff=0.5)
    hint = f" ¿Quisiste decir «{close[0]}»?" if close else ""
    raise ValueError(
        f"`{arg}` = {value!r} no es válido. Los valores válidos son: {', '.join(valid)}.{hint}"
    )


def check_int(arg: str, value: object, *, minimum: int = 1) -> int:
    """Un entero de Python (no booleano) mayor o igual que ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"`{arg}` debe ser un número entero ≥ {minimum}; se recibió {_show(value)} "
            f"(tipo {type(value).__name__})."
        )
    if value < minimum:
        raise ValueError(f"`{arg}` debe ser un entero ≥ {minimum}; se recibió {value}.")
    return int(value)


def check_float(
    arg: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strictly_positive: bool = False,
) -> float:
    """Un número real finito, opcionalmente acotado."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{arg}` debe ser un número real; se recibió {_show(value)} (tipo {type(value).__name__})."
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"`{arg}` debe ser un número finito; se recibió {value}.")
    if strictly_positive and value <= 0:
        raise ValueError(f"`{arg}` debe ser > 0; se recibió {value}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{arg}` debe ser ≥ {minimum}; se recibió {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{arg}` debe ser ≤ {maximum}; se recibió {value}.")
    return value


def check_key(arg: str, value: object) -> jax.Array:
    """Una clave de ``jax.random.key(semilla)`` (también se aceptan las antiguas ``PRNGKey``)."""
    if isinstance(value, jax.Array):
        if jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key) and value.shape == ():
            return value
        if value.dtype == np.uint32 and value.shape == (2,):
            return jax.random.wrap_key_data(value)
    raise TypeError(
        f"`{arg}` debe ser una clave aleatoria de JAX creada con `jax.random.key(semilla)`; "
        f"se recibió {_show(value)} (tipo {type(value).__name__}). "
        "Ejemplo: key=jax.random.key(0)."
    )


def check_seeds(arg: str, value: object) -> tuple[int, ...]:
    """Una semilla entera ≥ 0 o una secuencia no vacía de ellas."""
    return check_int_sequence(arg, value, minimum=0)


def check_int_sequence(arg: str, value: object, *, minimum: int = 1) -> tuple[int, ...]:
    """Una secuencia no vacía de enteros ≥ ``minimum`` (también vale un entero suelto)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) == 0:
        raise TypeError(
            f"`{arg}` debe ser un entero o una secuencia no vacía de enteros ≥ {minimum}; "
            f"se recibió {_show(value)}."
        )
    return tuple(check_int(f"{arg}[{i}]", v, minimum=minimum) for i, v in enumerate(value))


def check_learning_rates(arg: str, values: Iterable[object]) -> tuple[float, ...]:
    """Una secuencia no vacía de tasas de aprendizaje > 0 (las de una búsqueda de la tasa)."""
    rates = tuple(check_float(f"{arg}[{i}]", v, strictly_positive=True)
                  for i, v in enumerate(values))
    if not rates:
        raise ValueError(f"`{arg}` debe contener al menos una tasa de aprendizaje.")
    return rates


def check_array(
    arg: str,
    value: object,
    *,
    ndim: int | None = None,
    shape: tuple[int | None, ...] | None = None,
    allow_nan: bool = False,
) -> jax.Array:
    """Un arreglo real finito con el número de ejes o la forma pedidos.

    Con ``allow_nan=True`` se admiten NaN (normas por capa en *underflow*).

    Dentro de una transformación de JAX (``jax.grad``, ``jacfwd``...) los valores
    son trazadores (*tracers*): se comprueban la forma y el tipo, no la finitud.
    """
    traced = isinstance(value, jax.core.Tracer)
    try:
        arr = np.asarray(value) if not isinstance(value, jax.Array) else value
    except Exception as err:  # pragma: no cover - mensajes de numpy variados
        raise TypeError(f"`{arg}` debe ser un arreglo numérico; no se pudo convertir: {err}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(
            f"`{arg}` debe ser un arreglo de números reales; se recibió el tipo de dato {arr.dtype}."
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"`{arg}` debe tener {ndim} ejes; se recibió un arreglo de forma {tuple(arr.shape)}."
        )
    if shape is not None:
        if arr.ndim != len(shape) or any(
            want is not None and want != got for want, got in zip(shape, arr.shape)
        ):
            want_txt = "(" + ", ".join("·" if s is None else str(s) for s in shape) + ")"
            raise ValueError(
                f"`{arg}` debe tener forma {want_txt}; se recibió {tuple(arr.shape)}."
            )
    if 0 in arr.shape:
        raise ValueError(f"`{arg}` está vacío (forma {tuple(arr.shape)}).")
    if not traced and not allow_nan and not bool(np.all(np.isfinite(np.asarray(arr)))):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(np.asarray(arr))))
        raise ValueError(
            f"`{arg}` contiene {n_bad} {'valor' if n_bad == 1 else 'valores'} NaN o infinitos; "
            "todos deben ser finitos."
        )
    return arr


# ---------------------------------------------------------------------------
# Parámetros de una red y datos (convenciones de :mod:`vgcourse.networks`)
# ---------------------------------------------------------------------------
def check_readout(params: dict, n: int) -> int:
    """Comprueba la lectura lineal ``params['readout']`` de una red de anchura ``n``; devuelve
    ``n_out``."""
    w_out = check_array("params['readout']['W']", params["readout"]["W"], ndim=2)
    if w_out.shape[0] != n:
        raise ValueError(
            f"`params['readout']['W']` debe tener forma ({n}, n_out); se recibió {tuple(w_out.shape)}."
        )
    n_out = w_out.shape[1]
    check_array("params['readout']['b']", params["readout"]["b"], shape=(n_out,))
    return int(n_out)


def describe_structure(params: Any) -> object:
    """Lo que se recibió en lugar de un diccionario de parámetros, para el mensaje de error:
    sus claves (y las de sus subdiccionarios) o el nombre de su tipo."""
    if not isinstance(params, dict):
        return type(params).__name__
    return {k: sorted(v) if isinstance(v, dict) else type(v).__name__ for k, v in params.items()}


def validate_params(params: Any) -> tuple[int, int, int, int]:
    """Comprueba la estructura y las formas de ``params``; devuelve ``(L, n_in, n, n_out)``."""
    expected = {"input": {"W", "b"}, "hidden": {"W", "b"}, "readout": {"W", "b"}}
    if not isinstance(params, dict) or set(params) != set(expected) or any(
        not isinstance(params[k], dict) or set(params[k]) != v for k, v in expected.items()
    ):
        got = describe_structure(params)
        raise TypeError(
            "`params` debe ser un diccionario {'input': {'W','b'}, 'hidden': {'W','b'}, "
            f"'readout': {{'W','b'}}}} como el que devuelve `init_mlp`; se recibió {got}."
        )
    w_in = check_array("params['input']['W']", params["input"]["W"], ndim=2)
    n_in, n = w_in.shape
    check_array("params['input']['b']", params["input"]["b"], shape=(n,))
    hw = params["hidden"]["W"]
    if np.ndim(hw) != 3 or tuple(np.shape(hw)[1:]) != (n, n):
        raise ValueError(
            f"`params['hidden']['W']` debe tener forma (L-1, {n}, {n}); "
            f"se recibió {tuple(np.shape(hw))}."
        )
    depth = 1 + np.shape(hw)[0]
    if depth > 1:
        check_array("params['hidden']['W']", hw)
    hb = params["hidden"]["b"]
    if tuple(np.shape(hb)) != (depth - 1, n):
        raise ValueError(
            f"`params['hidden']['b']` debe tener forma ({depth - 1}, {n}); "
            f"se recibió {tuple(np.shape(hb))}."
        )
    if depth > 1:
        check_array("params['hidden']['b']", hb)
    n_out = check_readout(params, n)
    return int(depth), int(n_in), int(n), int(n_out)


def validate_inputs(params: Any, x: Any, y: Any = None) -> tuple[int, int, int, int]:
    """Valida ``params``, la entrada ``x`` ``(B, n_in)`` y, si se da, el objetivo ``y`` ``(B, n_out)``."""
    depth, n_in, n, n_out = validate_params(params)
    xa = check_array("x", x, ndim=2)
    if xa.shape[1] != n_in:
        raise ValueError(
            f"`x` debe tener forma (B, {n_in}) porque la primera capa espera {n_in} entradas; "
            f"se recibió {tuple(xa.shape)}."
        )
    if y is not None:
        ya = check_array("y", y, ndim=2)
        if ya.shape != (xa.shape[0], n_out):
            raise ValueError(
                f"`y` debe tener forma ({xa.shape[0]}, {n_out}) (un objetivo por ejemplo de `x`); "
                f"se recibió {tuple(ya.shape)}."
            )
    return depth, n_in, n, n_out
