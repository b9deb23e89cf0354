"""Teoría de campo medio: cuadratura frente a QUADPACK, valores a mano, y la pendiente medida
en redes anchas frente a ½ ln χ₁."""

import numpy as np
import pytest
from helpers import NP_ACTIVATIONS
from scipy import integrate

import vgcourse as vg
from vgcourse.theory import gaussian_expectation


def adaptive_expectation(f, q):
    """E[f(√q Z)] con QUADPACK (referencia independiente), partiendo en z = 0 y en las colas."""
    g = lambda z: f(np.sqrt(q) * z) * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)  # noqa: E731
    c = min(1.0, 8.0 / np.sqrt(q))  # por debajo de |z| ≈ 8/√q se concentra la masa si q es grande
    cuts = sorted({-40.0, -1.0, -c, 0.0, c, 1.0, 40.0})
    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        val, _ = integrate.quad(g, a, b, epsabs=0, epsrel=1e-12, limit=500)
        total += val
    return total


@pytest.mark.parametrize("q", [1e-3, 0.3, 1.0, 4.0, 16.0, 100.0])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu", "selu", "gelu", "silu", "softsign"])
def test_quadrature_matches_adaptive_reference(name, q):
    phi, dphi = NP_ACTIVATIONS[name]
    for f_np, f_jax in [
        (lambda x: phi(np.asarray(x)) ** 2, lambda x: vg.get_activation(name)(x) ** 2),
        (lambda x: dphi(np.asarray(x)) ** 2, lambda x: vg.derivative(name)(x) ** 2),
    ]:
        ref = adaptive_expectation(f_np, q)
        assert gaussian_expectation(f_jax, q) == pytest.approx(ref, rel=1e-10, abs=1e-300)


def test_gaussian_expectation_moments():
    for q in (1e-6, 1.0, 1e4):
        assert gaussian_expectation(lambda x: x**2, q) == pytest.approx(q, rel=1e-13)
        assert gaussian_expectation(lambda x: x**4, q) == pytest.approx(3 * q * q, rel=1e-12)


def test_closed_forms():
    # ReLU: E[relu'(√q Z)²] = 1/2 para todo q, así que χ₁ = σ_w²/2 (He: exactamente 1)
    assert vg.chi1("relu", sigma_w2=2.0) == pytest.approx(1.0, abs=1e-13)
    assert vg.chi1("relu", sigma_w2=1.0) == pytest.approx(0.5, abs=1e-13)
    assert vg.chi1("relu", sigma_w2=1 / 3) == pytest.approx(1 / 6, abs=1e-13)
    # Leaky ReLU(a): (1 + a²)/2 · σ_w², crítica en σ_w² = 2/(1+a²)
    assert vg.chi1("leaky_relu", sigma_w2=2 / (1 + 0.01**2), q=1.0) == pytest.approx(1.0, abs=1e-13)
    # tanh sin sesgo y σ_w² ≤ 1: q* = 0 y χ₁ = σ_w² tanh'(0)² = σ_w²
    assert vg.fixed_point_q("tanh", sigma_w2=1 / 3) == 0.0
    assert vg.chi1("tanh", sigma_w2=1 / 3) == pytest.approx(1 / 3, rel=1e-12)
    assert vg.chi1("tanh", sigma_w2=1.0) == pytest.approx(1.0, rel=1e-12)
    # sigmoide: χ₁ ≤ σ_w²/16 siempre
    assert vg.chi1("sigmoid", sigma_w2=1.0) < 1 / 16
    # GELU y SiLU con He: q* → 0 y χ₁ → σ_w² φ'(0)² = 2·(1/2)² = 1/2 (no críticas)
    assert vg.chi1("gelu", sigma_w2=2.0) == pytest.approx(0.5, rel=1e-10)
    assert vg.chi1("silu", sigma_w2=2.0) == pytest.approx(0.5, rel=1e-10)
    # SELU con LeCun: q* = 1 (autonormalizante) y levemente caótica
    assert vg.fixed_point_q("selu", sigma_w2=1.0) == pytest.approx(1.0, rel=1e-9)
    assert vg.chi1("selu", sigma_w2=1.0) == pytest.approx(1.0716, abs=1e-3)
    # ReLU con σ_w² > 2: la varianza crece sin límite
    assert vg.fixed_point_q("relu", sigma_w2=3.0) == np.inf
    assert vg.depth_scale(np.exp(-2.0)) == pytest.approx(0.5)


def test_fixed_point_is_a_fixed_point():
    for name, w, b in [("tanh", 1.0, 0.05), ("tanh", 2.0, 0.0), ("sigmoid", 1.0, 0.0), ("elu", 1.5, 0.1)]:
        q = vg.fixed_point_q(name, sigma_w2=w, sigma_b2=b)
        assert q > 0
        assert vg.variance_map(name, q, sigma_w2=w, sigma_b2=b) == pytest.approx(q, rel=1e-12)
    qs = vg.q_sequence("tanh", sigma_w2=1.0, sigma_b2=0.05, q0=2.0, depth=200)
    assert qs[-1] == pytest.approx(vg.fixed_point_q("tanh", sigma_w2=1.0, sigma_b2=0.05, q0=2.0), rel=1e-8)


# (activación, init, gain, bias_std, σ_w², σ_b²)
WIDE_CASES = [
    ("tanh", "standard", 1.0, 0.0, 1 / 3, 0.0),          # ordenada: −0.549 por capa
    ("sigmoid", "xavier_normal", 1.0, 0.0, 1.0, 0.0),     # −1.444 por capa
    ("relu", "he_normal", 1.0, 0.0, 2.0, 0.0),            # crítica: 0
    ("tanh", "normal", 1.0, np.sqrt(0.05), 1.0, 0.05),    # ordenada por el sesgo: −0.138
    ("tanh", "normal", np.sqrt(2.0), 0.0, 2.0, 0.0),      # caótica: +0.050
]


@pytest.mark.parametrize("case", WIDE_CASES, ids=[f"{c[0]}-{c[1]}-{c[4]:.2f}-{c[5]}" for c in WIDE_CASES])
def test_wide_network_decay_matches_mean_field(case):
    """En una red de anchura 512, ln‖∂L/∂z_l‖ por ejemplo cambia ½ ln χ₁ por capa (hacia la entrada).

    Pendiente por mínimos cuadrados entre las capas 6 y 20, media de 16 semillas × 8 ejemplos:
    la desviación típica de la media es ≈ 0,002 por capa (0,007 por semilla, medida), y la
    anchura finita la desplaza ≈ 0,003 por debajo del campo medio; tolerancia 4/anchura.
    """
    activation, init, gain, bias_std, s_w2, s_b2 = case
    width, depth, first, last = 512, 24, 6, 20
    chi = vg.chi1(activation, sigma_w2=s_w2, sigma_b2=s_b2)
    # entrada con segundo momento q* para empezar cerca del punto fijo
    q_star = max(vg.fixed_point_q(activation, sigma_w2=s_w2, sigma_b2=s_b2), 0.05)
    layers = np.arange(first, last + 1)
    slopes = []
    for seed in range(16):
        params, x, y = vg.problem(seed, depth=depth, width=width, n_in=width, batch=8,
                                  init=init, gain=gain, bias_std=bias_std)
        g = vg.layer_gradients(params, x * np.sqrt(q_star / s_w2), y, activation=activation)
        log_n = np.log(np.asarray(g.preact_norm_per_example))[first - 1:last]  # (capas, B)
        slopes.append(np.polyfit(layers, log_n, 1)[0])  # una pendiente por ejemplo
    measured = -np.mean(slopes)  # cambio por capa yendo hacia la entrada
    assert measured == pytest.approx(0.5 * np.log(chi), abs=4 / width), (measured, 0.5 * np.log(chi))


def test_batchnorm_chi1_closed_forms_and_quadpack():
    # ReLU: E[φ'²] = 1/2 y Var[relu(Z)] = 1/2 − 1/(2π): χ_BN = π/(π − 1) (Yang et al., 2019)
    assert vg.batchnorm_chi1("relu") == pytest.approx(np.pi / (np.pi - 1), rel=1e-12)
    assert vg.batchnorm_chi1("identity") == pytest.approx(1.0, rel=1e-12)
    for name in ("sigmoid", "tanh", "elu"):
        phi, dphi = NP_ACTIVATIONS[name]
        mean = adaptive_expectation(phi, 1.0)
        var = adaptive_expectation(lambda x: phi(x) ** 2, 1.0) - mean**2
        ref = adaptive_expectation(lambda x: dphi(x) ** 2, 1.0) / var
        assert vg.batchnorm_chi1(name) == pytest.approx(ref, rel=1e-10)
    with pytest.raises(ValueError, match="Los valores válidos son"):
        vg.batchnorm_chi1("sigmoide")


@pytest.mark.parametrize("name", ["tanh", "relu", "sigmoid"])
def test_batchnorm_explosion_matches_large_batch_estimate(name):
    # red de 30 capas, anchura 256, lote 256, con normalización por lotes y sin saltos: la
    # pendiente medida hacia la entrada ≈ ½ ln χ_BN (medido: 0.0875/0.0818, 0.1865/0.1916,
    # 0.0211/0.0165); la inicialización no cuenta, porque la normalización cancela su escala
    params, x, y = vg.problem(0, depth=30, width=256, n_in=256, batch=256, init="xavier_normal")
    g = np.asarray(vg.layer_gradients(params, x, y, activation=name, batchnorm=True).preact_norm)
    layers = np.arange(3, 26)
    slope = -np.polyfit(layers, np.log(g[layers - 1]), 1)[0]
    assert slope == pytest.approx(0.5 * np.log(vg.batchnorm_chi1(name)), abs=0.012)
    assert slope > 0.01  # crece hacia la entrada: explota


# --- diagrama de fases y línea crítica ------------------------------------------------

PHASE_POINTS = [  # (activación, σ_w², σ_b²): ordenada, crítica, caótica, con y sin sesgo
    ("tanh", 0.5, 0.0), ("tanh", 1.5, 0.05), ("tanh", 2.5, 0.05), ("tanh", 4.0, 0.3),
    ("tanh", 2.0, 0.0), ("sigmoid", 1.0, 0.0), ("sigmoid", 16.0, 0.1), ("relu", 1.0, 0.1),
    ("gelu", 2.0, 0.0), ("elu", 1.5, 0.05),
]


@pytest.mark.parametrize("act,s_w2,s_b2", PHASE_POINTS)
def test_phase_diagram_matches_the_scalar_theory(act, s_w2, s_b2):
    """La versión vectorizada (bisección en ln q, en JAX) da el mismo q* y χ₁ que
    fixed_point_q y chi1 (búsqueda geométrica y bisección escalar)."""
    from vgcourse.theory import phase_diagram

    q, chi = phase_diagram(act, [s_w2], [s_b2])
    q_ref = vg.fixed_point_q(act, sigma_w2=s_w2, sigma_b2=s_b2)
    if q_ref < 1e-12:
        assert q[0, 0] == 0.0
    else:
        np.testing.assert_allclose(q[0, 0], q_ref, rtol=1e-9)
    np.testing.assert_allclose(chi[0, 0], vg.chi1(act, sigma_w2=s_w2, sigma_b2=s_b2), rtol=1e-9)


def test_phase_diagram_shape_and_relu_degenerate_cases():
    from vgcourse.theory import phase_diagram

    q, chi = phase_diagram("tanh", np.linspace(0.5, 3, 7), [0.0, 0.1, 0.2])
    assert q.shape == chi.shape == (3, 7)
    assert np.all(np.diff(chi, axis=1) > 0)  # χ₁ crece con σ_w² a σ_b² fijo
    # ReLU: mapa lineal sin sesgo; con σ_w² = 2 todo q es punto fijo (q* = 1 por convenio,
    # como fixed_point_q), con σ_w² > 2 o con sesgo y σ_w² = 2 la varianza no tiene límite
    q, chi = phase_diagram("relu", [1.0, 2.0, 3.0], [0.0, 0.1])
    np.testing.assert_allclose(q[0], [0.0, 1.0, np.inf])
    np.testing.assert_allclose(chi[0, :2], [0.5, 1.0], rtol=1e-12)
    assert np.isnan(chi[0, 2]) and np.isnan(chi[1, 1]) and np.isinf(q[1, 1])
    np.testing.assert_allclose(q[1, 0], 0.2, rtol=1e-9)  # q = q/2 + 0.1


def test_critical_line_has_chi_one_and_starts_at_xavier():
    from vgcourse.theory import critical_sigma_w2

    b = np.array([0.0, 0.05, 0.1, 0.3])
    w = critical_sigma_w2("tanh", b)
    np.testing.assert_allclose(w[0], 1.0, atol=1e-6)  # sin sesgo: tanh'(0) = 1 → σ_w² = 1
    assert np.all(np.diff(w) > 0)  # el sesgo desplaza la línea crítica a la derecha
    for s_b2, s_w2 in zip(b[1:], w[1:]):
        np.testing.assert_allclose(vg.chi1("tanh", sigma_w2=s_w2, sigma_b2=s_b2), 1.0, atol=1e-9)
    # fuera del intervalo de búsqueda no hay línea: NaN, no un número inventado
    assert np.isnan(critical_sigma_w2("tanh", [0.1], bracket=(0.1, 0.5))[0])


def test_phase_diagram_errors_are_in_spanish():
    from vgcourse.theory import phase_diagram

    with pytest.raises(ValueError, match="sigma_w2s"):
        phase_diagram("tanh", [-1.0], [0.0])
    with pytest.raises(ValueError, match="Los valores válidos son"):
        phase_diagram("tanhh", [1.0], [0.0])


def test_measured_chi_matches_the_phase_diagram_in_a_wide_net():
    """Un punto del diagrama, medido: tanh caótica con sesgo, anchura 512, 4 semillas."""
    from vgcourse.theory import phase_diagram

    s_w2, s_b2, depth = 2.5, 0.05, 30
    r = vg.gradient_sweep(seeds=range(4), depths=depth, activations="tanh", inits="normal",
                          width=512, n_in=512, batch=16, gain=np.sqrt(s_w2),
                          bias_std=np.sqrt(s_b2))
    log_dz = np.log(r.preact_norm[0, 0, :, 0]).mean(axis=0)
    layers = np.arange(5, 26)
    slope = -np.polyfit(layers, log_dz[layers - 1], 1)[0]
    chi = phase_diagram("tanh", [s_w2], [s_b2])[1][0, 0]
    assert abs(slope - 0.5 * np.log(chi)) < 0.01  # unas 5/anchura por capa (science, hecho 10)


def test_gradient_slope_is_half_log_chi1_or_none_without_a_fixed_point():
    assert vg.gradient_slope("tanh", sigma_w2=2.0) == pytest.approx(
        0.5 * np.log(vg.chi1("tanh", sigma_w2=2.0)), rel=1e-12)
    assert vg.gradient_slope("selu", sigma_w2=2.0) is None  # la varianza crece sin límite


def test_residual_theory_of_the_standard_block():
    alpha = 0.7
    r = vg.residual_theory("relu", sigma_w2=2.0, alpha=alpha, depth=12)
    assert r.second_moment.shape == (12,) and r.forward.shape == r.backward.shape == (11,)
    np.testing.assert_allclose(r.backward, 1 + alpha**2, rtol=1e-10)  # ReLU + He: 1 + α²
    np.testing.assert_allclose(r.forward, 1 + alpha**2, rtol=1e-10)
    np.testing.assert_allclose(r.second_moment[1:] / r.second_moment[:-1], r.forward)
    # con tanh, E[φ'²] baja al crecer el tronco: el factor cae hacia 1
    t = vg.residual_theory("tanh", sigma_w2=1.0, alpha=1.0, depth=30)
    assert np.all(np.diff(t.backward) < 0) and t.backward[-1] > 1


def test_residual_theory_of_the_activation_branch():
    r = vg.residual_theory("relu", sigma_w2=2.0, alpha=1.0, depth=60, branch="activation")
    # bloque 2: 2 + 2/π (con la media de ReLU(z_1)), y hacia 2.9 lejos de la entrada
    assert r.forward[0] == pytest.approx(2 + 2 / np.pi, rel=1e-10)
    assert 2.89 < r.backward[-1] < 2.92
    assert np.all(r.backward >= r.forward)
    # la identidad no tiene media: su rama no acumula nada y vale 1 + α²σ_w²
    i = vg.residual_theory("identity", sigma_w2=1.0, alpha=0.5, depth=5, branch="activation")
    np.testing.assert_allclose(i.backward, 1.25, rtol=1e-10)
    with pytest.raises(ValueError, match="activaciones homogéneas"):
        vg.residual_theory("tanh", sigma_w2=1.0, alpha=1.0, depth=5, branch="activation")
    with pytest.raises(ValueError, match="Los valores válidos son: linear, activation"):
        vg.residual_theory("relu", sigma_w2=2.0, alpha=1.0, depth=5, branch="lineal")
