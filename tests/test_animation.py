"""Reproductores sin núcleo: HTML completo, en español, sin recursos remotos ni ids aleatorios."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from vgcourse.animation import layer_norms_player, player


def frames(n=4, depth=6):
    layers = np.arange(depth)
    return [{"a": 0.5 ** (layers[::-1] * k / n), "b": np.ones(depth)} for k in range(1, n + 1)]


def test_layer_norms_player_html():
    p = layer_norms_player(frames(), titles=[f"t {i}" for i in range(4)], name="prueba_1",
                           alt="Perfiles de prueba del gradiente por capa",
                           theory=[{"teoría": np.ones(6)}] * 4)
    html = p._repr_html_()
    assert p.n_frames == 4 and repr(p).startswith("Reproductor «prueba_1»: 4 fotogramas")
    assert len(re.findall(r'frames\[\d\] = "data:image/png;base64,', html)) == 4
    # ningún texto de la interfaz en inglés, ningún recurso remoto, ids deterministas
    for english in ("Decrease speed", "First frame", ">Once<", ">Loop<", ">Reflect<",
                    "Repetition mode", "fa-play", "font-awesome"):
        assert english not in html, english
    assert "https://" not in html and "http://" not in html
    assert not re.search(r"[0-9a-f]{32}", html)
    assert 'id="_anim_imgprueba_1" alt="Perfiles de prueba' in html
    assert 'aria-label="Fotograma"' in html and ">Una vez</label>" in html
    # misma entrada, mismo HTML (nbval compara el resumen; el libro, la página)
    again = layer_norms_player(frames(), titles=[f"t {i}" for i in range(4)], name="prueba_1",
                               alt="Perfiles de prueba del gradiente por capa",
                               theory=[{"teoría": np.ones(6)}] * 4)
    assert again.html == html


def test_player_draws_every_frame_and_closes_the_figure():
    drawn = []
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
    n_before = len(plt.get_fignums())
    p = player(fig, lambda i: drawn.append(i) or ax.plot([0, i]), 3, name="x",
               alt="Una figura de prueba con tres fotogramas", summary="resumen")
    assert sorted(set(drawn)) == [0, 1, 2] and p.n_frames == 3
    assert len(plt.get_fignums()) == n_before - 1


def test_player_refuses_to_drop_frames():
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="Solo caben"):
        player(fig, lambda i: ax.imshow(rng.random((200, 200))), 20, name="grande",
               alt="Ruido aleatorio que no cabe en el límite", summary="s", embed_limit_mb=0.2)


def test_bad_arguments_are_explained_in_spanish():
    fig = plt.figure()
    with pytest.raises(ValueError, match="identificador en minúsculas"):
        player(fig, lambda i: None, 3, name="Con Espacios", alt="x" * 30, summary="s")
    with pytest.raises(ValueError, match="entero ≥ 2"):
        player(fig, lambda i: None, 1, name="a", alt="x" * 30, summary="s")
    with pytest.raises(ValueError, match="describir la figura"):
        player(fig, lambda i: None, 3, name="a", alt="corto", summary="s")
    with pytest.raises(ValueError, match="un elemento por fotograma"):
        layer_norms_player(frames(), titles=["solo uno"], name="a", alt="x" * 30)
    plt.close("all")
