"""Benchmark del motor de gradientes (float64). No es una prueba: imprime tiempos y cocientes.

Dos cargas de trabajo:

1. **Una red grande**: profundidad 50, anchura 512, lote 256, tanh, todos los
   gradientes por capa con :func:`vgcourse.layer_gradients`. Se mide la
   compilación, el tiempo estable por llamada y el ritmo de FLOP frente al mejor
   ritmo de multiplicación de matrices medido en esta misma ejecución con las
   mismas formas (el techo práctico).
2. **El barrido típico del curso**: 32 semillas de un MLP sigmoide de profundidad
   100 y anchura 64, lote 128, normas por capa de ∂L/∂W y ∂L/∂Z, con
   :func:`vgcourse.gradient_sweep`. Se compara con el mismo barrido escrito a mano
   en NumPy y con PyTorch en modo *eager* (si está instalado), **cada uno en su
   propio proceso** (sus *pools* de hilos se frenan entre sí si conviven).

Uso::

    python benchmarks/run.py            # todo
    python benchmarks/run.py --quick    # menos repeticiones
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 python benchmarks/run.py   # con páginas enormes

Los subprocesos de referencia heredan el mismo entorno.

Los cocientes se calculan frente a medidas tomadas en la misma ejecución.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

S, D, W, B = 32, 100, 64, 128  # barrido típico
BIG_L, BIG_N, BIG_B = 50, 512, 256  # red grande


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------------------
# Trabajadores de referencia (cada uno se ejecuta en un proceso aparte)
# ---------------------------------------------------------------------------
def worker_numpy(repeats: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    Ws = rng.standard_normal((S, D, W, W)) / np.sqrt(W)
    Wo = rng.standard_normal((S, W, 1)) / np.sqrt(W)
    X = rng.standard_normal((S, B, W))
    Y = rng.standard_normal((S, B, 1))

    def sweep():
        dz_norm = np.empty((S, D))
        dw_norm = np.empty((S, D))
        for s in range(S):
            h = X[s]
            hs = [h]
            for layer in range(D):
                h = 1.0 / (1.0 + np.exp(-(h @ Ws[s, layer])))
                hs.append(h)
            g = ((h @ Wo[s] - Y[s]) / B) @ Wo[s].T  # ∂L/∂h_L con L = 1/B Σ ½(ŷ−y)²
            for layer in range(D - 1, -1, -1):
                h = hs[layer + 1]
                dz = g * h * (1.0 - h)
                dz_norm[s, layer] = np.linalg.norm(dz)
                dw_norm[s, layer] = np.linalg.norm(hs[layer].T @ dz)
                g = dz @ Ws[s, layer].T
        return dz_norm, dw_norm

    sweep()
    return {"sweep_s": _median_time(sweep, repeats), "numpy": np.__version__}


def worker_torch(repeats: int) -> dict:
    import torch

    torch.manual_seed(0)  # solo para los datos de este proceso de referencia
    dt = torch.float64
    Ws = torch.randn(S, D, W, W, dtype=dt) / W**0.5
    Wo = torch.randn(S, W, 1, dtype=dt) / W**0.5
    X = torch.randn(S, B, W, dtype=dt)
    Y = torch.randn(S, B, 1, dtype=dt)

    def sweep():
        dz_norm = torch.empty(S, D, dtype=dt)
        dw_norm = torch.empty(S, D, dtype=dt)
        for s in range(S):
            w = Ws[s].clone().requires_grad_(True)
            h, zs = X[s], []
            for layer in range(D):
                z = h @ w[layer]
                z.retain_grad()
                zs.append(z)
                h = torch.sigmoid(z)
            loss = 0.5 * ((h @ Wo[s] - Y[s]) ** 2).sum(-1).mean()
            loss.backward()
            dz_norm[s] = torch.stack([z.grad.norm() for z in zs])
            dw_norm[s] = w.grad.flatten(1).norm(dim=1)
        return dz_norm, dw_norm

    sweep()
    return {
        "sweep_s": _median_time(sweep, repeats),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def worker_jax_compile(repeats: int) -> dict:
    """Compilación en frío (proceso nuevo) de las dos funciones compiladas del barrido."""
    import jax
    import jax.numpy as jnp

    import vgcourse as vg
    from vgcourse import sweeps

    vg.enable_x64()
    dt = jnp.float64
    keys = jax.vmap(jax.random.key)(jnp.arange(S, dtype=jnp.uint32))
    one, zero = jnp.asarray(1.0, dt), jnp.asarray(0.0, dt)
    t0 = time.perf_counter()
    init = sweeps._problems.lower(keys, one, zero, max_depth=D, width=W, n_in=W, n_out=1,
                                  batch=B, init="xavier_normal", dtype=dt, with_bias=False).compile()
    t_init = time.perf_counter() - t0
    p, xs, ys = init(keys, one, zero)
    t0 = time.perf_counter()
    sweeps._sweep_core.lower(p, xs, ys, None, one,
                             seed_chunk=sweeps._default_seed_chunk(S), activation="sigmoid",
                             residual=False, batchnorm=False, loss="mse").compile()
    return {"compile_init_s": t_init, "compile_gradients_s": time.perf_counter() - t0}


def run_worker(name: str, repeats: int) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", name, "--repeats", str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        if name == "torch" and "ModuleNotFoundError" in proc.stderr:
            return None
        raise RuntimeError(f"el trabajador {name} falló:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# JAX (proceso principal)
# ---------------------------------------------------------------------------
def bench_jax(repeats: int) -> dict:
    import jax
    import jax.numpy as jnp

    import vgcourse as vg
    from vgcourse import sweeps

    vg.enable_x64()
    out: dict = {"jax": jax.__version__, "backend": jax.default_backend()}

    # --- 1. red grande -----------------------------------------------------------
    params, x, y = vg.problem(0, depth=BIG_L, width=BIG_N, n_in=BIG_N, batch=BIG_B, init="xavier_normal")
    jax.block_until_ready((params, x, y))

    def big():
        return jax.block_until_ready(vg.layer_gradients(params, x, y, activation="tanh"))

    t0 = time.perf_counter()
    big()
    out["big_first_call_s"] = time.perf_counter() - t0
    out["big_call_s"] = _median_time(big, repeats)
    # 3 productos de matrices por capa (hacia delante, ∂L/∂h y ∂L/∂W), 2·B·n² FLOP cada uno
    flops = 3 * 2 * BIG_B * BIG_N * BIG_N * BIG_L
    out["big_gflops"] = flops / out["big_call_s"] / 1e9

    # techo: el mejor ritmo de matmul con las mismas formas, encadenando BIG_L productos
    rng = jax.random.split(jax.random.key(1), 3)
    h = jax.random.normal(rng[0], (BIG_B, BIG_N), jnp.float64)
    ws = jax.random.normal(rng[1], (BIG_L, BIG_N, BIG_N), jnp.float64) / BIG_N**0.5
    gs = jax.random.normal(rng[2], (BIG_L, BIG_B, BIG_N), jnp.float64)
    h_t = jax.lax.optimization_barrier(h.T)
    chains = {
        # las tres formas del cálculo: hacia delante, ∂L/∂h y ∂L/∂W (contracción sobre el lote)
        "h @ W": jax.jit(lambda h, ws: jax.lax.scan(lambda c, w: (c @ w, None), h, ws)[0]),
        "g @ W.T": jax.jit(lambda h, ws: jax.lax.scan(lambda c, w: (c @ w.T, None), h, ws)[0]),
        "h.T @ g": jax.jit(
            lambda h, gs: jax.lax.scan(lambda c, g: (c + h.T @ g, None), jnp.zeros((BIG_N, BIG_N)), gs)[0]
        ),
        "hT @ g": jax.jit(  # la misma forma con hᵀ ya traspuesta en memoria
            lambda h, gs: jax.lax.scan(lambda c, g: (c + h_t @ g, None), jnp.zeros((BIG_N, BIG_N)), gs)[0]
        ),
    }
    rates = {}
    for name, fn in chains.items():
        arg = gs if name in ("h.T @ g", "hT @ g") else ws
        jax.block_until_ready(fn(h, arg))
        t = _median_time(lambda: jax.block_until_ready(fn(h, arg)), repeats)
        rates[name] = 2 * BIG_B * BIG_N * BIG_N * BIG_L / t / 1e9
    out["matmul_gflops"] = rates
    out["ceiling_gflops"] = max(rates.values())
    out["big_fraction_of_ceiling"] = out["big_gflops"] / out["ceiling_gflops"]
    # techo por formas: cada paso usa su mejor producto (media armónica, un tercio de FLOP cada uno)
    per_shape = [rates["h @ W"], rates["g @ W.T"], max(rates["h.T @ g"], rates["hT @ g"])]
    out["per_shape_ceiling_gflops"] = 3 / sum(1 / r for r in per_shape)
    out["big_fraction_of_per_shape_ceiling"] = out["big_gflops"] / out["per_shape_ceiling_gflops"]

    # --- 2. barrido típico -------------------------------------------------------
    kw = dict(seeds=range(S), depths=[D], activations="sigmoid", inits="xavier_normal",
              width=W, n_in=W, batch=B)
    t0 = time.perf_counter()
    vg.gradient_sweep(**kw)
    out["sweep_first_call_s"] = time.perf_counter() - t0
    out["sweep_s"] = _median_time(lambda: vg.gradient_sweep(**kw), repeats)

    # núcleo del barrido: en secuencia frente a vmap de todas las semillas
    dt = jnp.float64
    keys = jax.vmap(jax.random.key)(jnp.arange(S, dtype=jnp.uint32))
    one, zero = jnp.asarray(1.0, dt), jnp.asarray(0.0, dt)
    p, xs, ys = sweeps._problems(keys, one, zero, max_depth=D, width=W, n_in=W, n_out=1, batch=B,
                                 init="xavier_normal", dtype=dt, with_bias=False)
    out["seed_chunk"] = sweeps._default_seed_chunk(S)
    depth = None  # una sola profundidad: como gradient_sweep, sin desactivar capas
    for label, c in (("sequential", 1), ("vmap_all", S)):
        def core(c=c):
            return jax.block_until_ready(sweeps._sweep_core(
                p, xs, ys, depth, one, seed_chunk=c, activation="sigmoid",
                residual=False, batchnorm=False, loss="mse"))
        core()
        out[f"sweep_core_{label}_s"] = _median_time(core, repeats)
    return out


def bench_detail(repeats: int) -> dict:
    """Mediciones de apoyo para interpretar los resultados (``--detalle``)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    k = jax.random.split(jax.random.key(2), 4)
    x = jax.random.normal(k[0], (BIG_B, BIG_N), jnp.float64)
    ws = jax.random.normal(k[1], (BIG_L, BIG_N, BIG_N), jnp.float64) / BIG_N**0.5
    out = {}

    @jax.jit
    def forward_only(ws, x):
        return jax.lax.scan(lambda h, w: (jnp.tanh(h @ w), None), x, ws)[0]

    @jax.jit
    def manual_backprop(ws, x):
        # retropropagación escrita a mano, para comparar con jax.grad
        def fwd(h, w):
            hn = jnp.tanh(h @ w)
            return hn, (jax.lax.optimization_barrier(h.T), hn)

        h_last, (h_ts, hs) = jax.lax.scan(fwd, x, ws)

        def bwd(g, inp):
            w, h_t, hn = inp
            d = g * (1 - hn * hn)
            return d @ w.T, (h_t @ d, d)

        return jax.lax.scan(bwd, 2 * h_last, (ws, h_ts, hs), reverse=True)[1]

    for name, fn in (("forward_only_ms", forward_only), ("manual_backprop_ms", manual_backprop)):
        jax.block_until_ready(fn(ws, x))
        out[name] = 1e3 * _median_time(lambda fn=fn: jax.block_until_ready(fn(ws, x)), repeats)

    # ritmo de un producto pequeño del barrido típico (B×W por W×W), encadenado D veces
    h = jax.random.normal(k[2], (B, W), jnp.float64)
    small = jax.random.normal(k[3], (D, W, W), jnp.float64) / W**0.5
    chain = jax.jit(lambda h, ws: jax.lax.scan(lambda c, w: (c @ w, None), h, ws)[0])
    jax.block_until_ready(chain(h, small))
    t = _median_time(lambda: jax.block_until_ready(chain(h, small)), repeats)
    out["small_matmul_gflops"] = 2 * B * W * W * D / t / 1e9
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["numpy", "torch", "jax_compile"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="guardar los resultados en este archivo")
    parser.add_argument("--detalle", action="store_true",
                        help="añadir mediciones de apoyo (paso hacia delante, retropropagación a mano)")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    if args.worker:
        fn = {"numpy": worker_numpy, "torch": worker_torch, "jax_compile": worker_jax_compile}
        print(json.dumps(fn[args.worker](repeats)))
        return

    print(f"Máquina: {platform.processor() or platform.machine()}, {os.cpu_count()} núcleos, "
          f"Python {platform.python_version()}")
    # Páginas enormes transparentes para los búferes grandes de XLA (glibc ≥ 2.35): sin ellas,
    # cada llamada de la red grande provoca ~78 000 fallos de página (~0,1 s de sistema).
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    res_env = "activadas" if "glibc.malloc.hugetlb=1" in tunables else "desactivadas"
    print(f"Páginas enormes en malloc (GLIBC_TUNABLES=glibc.malloc.hugetlb=1): {res_env}")
    res = run_worker("jax_compile", repeats)
    res["hugetlb"] = res_env == "activadas"
    res.update(bench_jax(repeats))
    res["numpy_sweep"] = run_worker("numpy", repeats)
    res["torch_sweep"] = run_worker("torch", repeats)

    print(f"\nJAX {res['jax']} ({res['backend']}), float64\n")
    print("1. Red grande (L=50, n=512, B=256, tanh)")
    print(f"   primera llamada (compilación incluida): {res['big_first_call_s']:.2f} s")
    print(f"   por llamada: {res['big_call_s'] * 1e3:.0f} ms  →  {res['big_gflops']:.1f} GFLOP/s")
    for k, v in res["matmul_gflops"].items():
        print(f"   techo matmul {k:8s}: {v:.1f} GFLOP/s")
    print(f"   fracción del mejor techo: {res['big_fraction_of_ceiling']:.2f}  (objetivo ≥ 0.85)")
    print(f"   techo por formas (media armónica): {res['per_shape_ceiling_gflops']:.1f} GFLOP/s  →  "
          f"fracción {res['big_fraction_of_per_shape_ceiling']:.2f}")

    print(f"\n2. Barrido típico ({S} semillas, L={D}, n={W}, B={B}, sigmoide)")
    print(f"   compilación en frío (proceso nuevo): pesos y lotes {res['compile_init_s']:.2f} s "
          f"(una vez por inicialización), gradientes {res['compile_gradients_s']:.2f} s "
          "(una vez por activación)  (objetivo < 1 s)")
    print(f"   primera llamada de gradient_sweep (ambas compilaciones incluidas): "
          f"{res['sweep_first_call_s']:.2f} s")
    print(f"   gradient_sweep por barrido: {res['sweep_s']:.3f} s "
          f"(núcleo: secuencial {res['sweep_core_sequential_s']:.3f} s, "
          f"vmap de las {S} semillas {res['sweep_core_vmap_all_s']:.3f} s)")
    # comparación de igual a igual: las referencias reciben los pesos ya generados, así que
    # se comparan con el núcleo (gradientes y normas) con la estrategia por defecto
    jax_s = res["sweep_core_sequential_s" if res["seed_chunk"] == 1 else "sweep_core_vmap_all_s"]
    np_s = res["numpy_sweep"]["sweep_s"]
    print(f"   NumPy {res['numpy_sweep']['numpy']} (a mano, proceso aparte): {np_s:.3f} s  →  "
          f"cociente NumPy/JAX = {np_s / jax_s:.2f}  (objetivo ≥ 2)")
    if res["torch_sweep"]:
        t_s = res["torch_sweep"]["sweep_s"]
        print(f"   PyTorch {res['torch_sweep']['torch']} eager ({res['torch_sweep']['threads']} hilos, "
              f"proceso aparte): {t_s:.3f} s  →  cociente PyTorch/JAX = {t_s / jax_s:.2f}  (objetivo ≥ 2)")
    else:
        print("   PyTorch no está instalado: sin comparación.")
    # FLOP del barrido: 3 productos de 2·B·W² por capa y semilla
    sweep_flops = 3 * 2 * B * W * W * D * S
    print(f"   ritmo: JAX {sweep_flops / jax_s / 1e9:.0f} GFLOP/s, NumPy {sweep_flops / np_s / 1e9:.0f} GFLOP/s")
    if args.detalle:
        det = bench_detail(repeats)
        res["detail"] = det
        print("\nDetalle")
        print(f"   red grande, solo hacia delante sin guardar nada: {det['forward_only_ms']:.0f} ms")
        print(f"   red grande, retropropagación escrita a mano con lax.scan: {det['manual_backprop_ms']:.0f} ms")
        print(f"   producto pequeño {B}×{W} por {W}×{W} encadenado: {det['small_matmul_gflops']:.0f} GFLOP/s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
