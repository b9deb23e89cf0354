"""Extensión local: todo lo que el lector ve, en español.

Con ``language: es``, Sphinx y los temas traducen la mayor parte de la interfaz, pero no
todo: quedan en inglés textos del tema (que no están en su catálogo español) y las
palabras de las citas y de la bibliografía («Glorot and Bengio», «In», «volume … of»).
Esta extensión:

- registra un estilo de citas autor-año y un estilo de bibliografía con «y», «En»,
  «volumen … de» (plugins de sphinxcontrib-bibtex y pybtex);
- al terminar la construcción, sustituye en cada página los textos del tema que siguen
  en inglés (o sin tildes) por su versión en español. :data:`UI` es la lista completa;
  ``tests/test_site.py`` falla si alguno reaparece.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.formatting.unsrt import pages
from pybtex.style.template import (
    field as bib_field,
    names,
    optional,
    optional_field,
    sentence,
    together,
    words,
)
from sphinxcontrib.bibtex.style.referencing import PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

from site_pages import rewrite_pages

#: texto exacto del HTML generado → texto en español
UI = {
    'title="Link to this heading"': 'title="Enlace a este encabezado"',
    'title="Link to this image"': 'title="Enlace a esta imagen"',
    'title="Link to this table"': 'title="Enlace a esta tabla"',
    'title="Link to this equation"': 'title="Enlace a esta ecuación"',
    'title="Link to this code"': 'title="Enlace a este código"',
    'title="Toggle primary sidebar"': 'title="Mostrar u ocultar el índice del curso"',
    'aria-label="Toggle primary sidebar"': 'aria-label="Mostrar u ocultar el índice del curso"',
    'title="Toggle secondary sidebar"': 'title="Mostrar u ocultar el índice de la página"',
    'aria-label="Toggle secondary sidebar"': 'aria-label="Mostrar u ocultar el índice de la página"',
    'aria-label="Source repositories"': 'aria-label="Repositorio del curso"',
    'aria-label="Launch interactive content"': 'aria-label="Ejecutar el cuaderno"',
    'title="Launch on Colab"': 'title="Abrir en Colab"',
    'title="Launch on Binder"': 'title="Abrir en Binder"',
    'aria-label="Main"': 'aria-label="Principal"',
    'aria-label="Page"': 'aria-label="Página"',
    'aria-label="Descarga esta pagina"': 'aria-label="Descargar esta página"',
    'title="Abrir un problema"': 'title="Abrir una incidencia"',
    ">Repository<": ">Repositorio<",
    ">Open issue<": ">Abrir una incidencia<",
    # el botón que despliega una celda oculta (las soluciones): su nombre accesible es su
    # texto visible («Mostrar la solución del ejercicio 1»), no una etiqueta en inglés
    '<summary aria-label="Toggle hidden content">': "<summary>",
    'title="página anterior"': 'title="Página anterior"',
    'title="siguiente página"': 'title="Página siguiente"',
}


def _person() -> PersonStyle:
    return PersonStyle(sep2=" y ", last_sep=" y ")


@dataclass
class AuthorYearSpanish(AuthorYearReferenceStyle):
    """Citas autor-año con «y» entre autores: «Glorot y Bengio (2010)»."""

    person: PersonStyle = field(default_factory=_person)


class SpanishStyle(AlphaStyle):
    """Bibliografía con «y», «En» y «volumen … de»."""

    def format_names(self, role, as_sentence=True):
        formatted = names(role, sep=", ", sep2=" y ", last_sep=" y ")
        return sentence[formatted] if as_sentence else formatted

    def format_volume_and_series(self, e, as_sentence=True):
        return optional[
            words[
                together["Volumen" if as_sentence else "volumen", bib_field("volume")],
                optional[words["de", bib_field("series")]],
            ]
        ]

    def get_inproceedings_template(self, e):
        return toplevel[
            sentence[self.format_names("author")],
            self.format_title(e, "title"),
            words[
                "En",
                sentence[
                    optional[self.format_editor(e, as_sentence=False)],
                    self.format_btitle(e, "booktitle", as_sentence=False),
                    self.format_volume_and_series(e, as_sentence=False),
                    optional[pages],
                ],
                self.format_address_organization_publisher_date(e),
            ],
            sentence[optional_field("note")],
            self.format_web_refs(e),
        ]


def translate(html: str) -> str:
    for english, spanish in UI.items():
        html = html.replace(english, spanish)
    return html


def _on_build_finished(app, exception) -> None:
    rewrite_pages(app, exception, translate)


def setup(app):
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_es", AuthorYearSpanish
    )
    pybtex.plugin.register_plugin("pybtex.style.formatting", "alpha_es", SpanishStyle)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
