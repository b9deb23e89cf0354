"""El informe de tiempos por página (scripts/chapter_times.py): lee lo que la construcción
guardó y marca las páginas que pasan del objetivo."""

import pickle
import types

import pytest

from helpers import import_from

chapter_times = import_from("scripts", "chapter_times")


def fake_build(tmp_path, runtimes):
    env = types.SimpleNamespace(nb_metadata={
        name: {"exec_data": {"runtime": s, "succeeded": True}} for name, s in runtimes.items()
    })
    (tmp_path / ".doctrees").mkdir()
    (tmp_path / ".doctrees" / "environment.pickle").write_bytes(pickle.dumps(env))
    return tmp_path


def test_report_reads_every_page_from_the_build_and_marks_the_slow_ones(tmp_path):
    pages = [str(p.relative_to(chapter_times.ROOT).with_suffix(""))
             for p in chapter_times.chapter_paths()]
    runtimes = {name: 10.0 + 7 * i for i, name in enumerate(pages)}  # 10, 17, 24, ...
    rows = chapter_times.from_build(fake_build(tmp_path, runtimes))
    assert list(rows) == pages and [r["segundos"] for r in rows.values()] == list(runtimes.values())
    text = chapter_times.table(rows)
    slow = [name for name, s in runtimes.items() if round(s) > 60]
    assert slow  # con 11 páginas, las últimas pasan de 60 s
    for name, s in runtimes.items():
        assert f"| `{name}` | {s:.0f}{' ✗' if name in slow else ''} |" in text
    assert f"{len(slow)} de {len(pages)} páginas pasan de 60 s" in text
    assert f"**{sum(runtimes.values()):.0f}**" in text


def test_report_says_what_is_missing(tmp_path):
    with pytest.raises(SystemExit, match="No hay una construcción"):
        chapter_times.from_build(tmp_path)
    pages = [str(p.relative_to(chapter_times.ROOT).with_suffix(""))
             for p in chapter_times.chapter_paths()]
    build = fake_build(tmp_path, {name: 1.0 for name in pages[1:]})
    with pytest.raises(SystemExit, match=f"no ejecutó {pages[0]}"):
        chapter_times.from_build(build)
