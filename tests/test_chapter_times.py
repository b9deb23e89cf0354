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


def test_slowest_cells_come_from_the_timing_nbclient_records():
    import nbformat  # noqa: PLC0415

    def timed(source, start, end):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["execution"] = {"iopub.execute_input": f"2026-12-01T10:00:{start}Z",
                                      "shell.execute_reply": f"2026-12-01T10:00:{end}Z"}
        return cell

    nb = nbformat.v4.new_notebook(cells=[
        timed("# contador", "00.000", "00.100"),  # la celda añadida al principio: no cuenta
        timed("\nrapida = 1", "01.000", "01.250"),
        nbformat.v4.new_markdown_cell("texto"),
        timed("lenta = 2\nmas = 3", "02.000", "09.500"),
        nbformat.v4.new_code_cell("sin_tiempos = 4"),  # sin metadatos: 0 s
        timed("# contador final", "10.000", "50.000"),  # la añadida al final: no cuenta
    ])
    # índices del cuaderno original (sin la celda añadida al principio) y su primera línea
    assert chapter_times.slowest_cells(nb, 2) == [(7.5, 2, "lenta = 2"), (0.25, 0, "rapida = 1")]
    assert [i for _, i, _ in chapter_times.slowest_cells(nb, 10)] == [2, 0, 3]
