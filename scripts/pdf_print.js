// Convierte la página única del libro (builder «singlehtml») en la edición impresa.
// La ejecuta scripts/pdf_edition.py con page.evaluate, una vez que MathJax ha compuesto
// todas las fórmulas; recibe {meta, parts, skeleton} y devuelve un resumen de lo que hizo.
//
// - portada e índice (con números de página que se rellenan en la segunda pasada);
// - cada reproductor sin núcleo (div.animation) pasa a ser una cuadrícula de 2×2 con cuatro
//   de sus fotogramas: el primero, dos intermedios y el último;
// - la salida de cada explorador de ipywidgets se sustituye por una línea que lo explica
//   (la figura estática que lo precede se queda);
// - el razonamiento (details.solucion) y el cálculo (celda con etiqueta «solution») de cada
//   ejercicio pasan al apéndice «Soluciones de los ejercicios», con una referencia en su sitio;
// - las demás celdas plegadas (hide-input, hide-cell) siguen ocultas: se quitan;
// - fuera la navegación del tema; los enlaces internos apuntan dentro del PDF.
({ meta, parts, skeleton }) => {
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const make = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    node.append(...children);
    return node;
  };
  const article = document.querySelector("article.bd-article");
  if (!article) throw new Error("no se encuentra el artículo (article.bd-article)");
  const done = { players: 0, frames: 0, widgets: 0, charts: 0, solutions: 0, hidden: 0, targets: 0 };

  // Cada destino de una referencia de página lleva un id propio (los de Sphinx se repiten
  // entre páginas en la versión de página única: «objetivos», «resumen»...).
  let targetCount = 0;
  const target = (node) => {
    if (!node.dataset.pdfTarget) {
      node.dataset.pdfTarget = `pdf-t${++targetCount}`;
      node.id = node.id || node.dataset.pdfTarget;
    }
    return node;
  };
  const pageRef = (node) =>
    make("span", { class: "pdf-pageref", "data-ref": target(node).dataset.pdfTarget }, "000");

  $$("a.headerlink, button, .copybtn", article).forEach((n) => n.remove());

  // --- Documentos, en el orden de _toc.yml -----------------------------------------------
  const docSection = (file) => {
    const span = document.getElementById(`document-${file}`);
    return span ? span.nextElementSibling : null;
  };
  const headingOf = (section) => section.querySelector("h1, h2, h3, h4, h5, h6");
  const titleOf = (section) => headingOf(section).textContent.replace(/\u00ad/g, "").trim();
  const docs = new Map(); // file → sección
  for (const part of parts) {
    for (const doc of part.docs) {
      const section = docSection(doc.file);
      if (!section) throw new Error(`falta la página ${doc.file} en la versión de página única`);
      section.classList.add("pdf-doc");
      docs.set(doc.file, section);
    }
  }

  // --- Reproductores sin núcleo: cuatro fotogramas en una cuadrícula de 2×2 ---------------
  for (const player of $$("div.animation", article)) {
    const image = player.querySelector("img");
    const name = (image.id || "").replace(/^_anim_img/, "");
    let frames = [];
    const live = window[`anim${name}`];
    if (live && live.frames) frames = Array.from(live.frames, (f) => f.src || String(f));
    if (!frames.length) {
      // plan B: los fotogramas escritos en el script que crea el reproductor
      const script = player.parentElement.querySelector("script:not([src])");
      const text = script ? script.textContent : "";
      frames = Array.from(text.matchAll(/frames\[\d+\]\s*=\s*"([^"]+)"/g), (m) => m[1]);
    }
    if (!frames.length) throw new Error(`el reproductor «${name}» no tiene fotogramas`);
    const n = frames.length;
    const picks = [...new Set([0, Math.round((n - 1) / 3), Math.round((2 * (n - 1)) / 3), n - 1])];
    const alt = image.getAttribute("alt") || "Fotograma del reproductor.";
    const grid = make("div", { class: "pdf-frames" });
    for (const i of picks) {
      grid.append(
        make(
          "figure",
          { class: "pdf-frame" },
          make("img", { src: frames[i], alt: `${alt} Fotograma ${i + 1} de ${n}.` }),
          make("figcaption", {}, `Fotograma ${i + 1} de ${n}`),
        ),
      );
    }
    const caption = make(
      "figcaption",
      { class: "pdf-player-caption" },
      `Reproductor: ${picks.length} de sus ${n} fotogramas (el primero, dos intermedios y el ` +
        "último). En el libro en línea se recorren todos con un deslizador.",
    );
    const output = player.closest(".output") || player;
    output.replaceWith(make("figure", { class: "pdf-player" }, grid, caption));
    done.players += 1;
    done.frames += picks.length;
  }

  // --- Exploradores de ipywidgets: fuera su salida, con una línea que lo explica ----------
  const widgetOutputs = new Set(
    $$('script[type="application/vnd.jupyter.widget-view+json"], .jupyter-widgets', article).map(
      (n) => n.closest(".cell_output") || n,
    ),
  );
  for (const output of widgetOutputs) {
    output.replaceWith(
      make(
        "p",
        { class: "pdf-note" },
        "Aquí el cuaderno muestra un explorador interactivo: sus controles necesitan el " +
          "cuaderno en ejecución (por ejemplo, en Colab). La figura anterior muestra su " +
          "configuración inicial.",
      ),
    );
    done.widgets += 1;
  }
  $$('script[type^="application/vnd.jupyter.widget"]').forEach((n) => n.remove());

  // --- Exploradores sin núcleo (Bokeh): su figura inicial, sin controles ---------------------
  for (const chart of $$(".vg-chart", article)) {
    const controls = chart.querySelector(".vg-chart-controls");
    controls.replaceWith(
      make(
        "p",
        { class: "pdf-note" },
        "Aquí el cuaderno muestra un explorador interactivo: en el libro en línea, sus " +
          "controles eligen entre configuraciones ya calculadas. En papel se ve la inicial.",
      ),
    );
    chart.querySelectorAll(".vg-chart-note").forEach((n) => n.remove());
    done.charts += 1;
  }

  // --- Soluciones: al apéndice, con una referencia en su sitio ------------------------------
  const entries = [];
  const byKey = new Map();
  let currentDoc = null;
  for (const node of $$('span[id^="document-"], details.solucion, div.cell.tag_solution', article)) {
    if (node.matches("span")) {
      currentDoc = node.id.slice("document-".length);
      continue;
    }
    const label = node.matches("details")
      ? node.querySelector("summary").textContent
      : (node.querySelector(".admonition-title") || node).textContent;
    const number = (label.match(/ejercicio\s+(\d+)/i) || [])[1];
    if (!number) throw new Error(`una solución de ${currentDoc} no dice de qué ejercicio es`);
    const key = `${currentDoc}#${number}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { doc: currentDoc, number, nodes: [] };
      entry.heading = make("h4", { class: "pdf-solution-title" }, `Ejercicio ${number} `);
      const pointer = make(
        "p",
        { class: "pdf-pointer" },
        `Solución del ejercicio ${number}: en el `,
        make("a", { href: `#${target(entry.heading).id}` }, "apéndice de soluciones"),
        make("span", { class: "pdf-pageinfo" }, ", p. ", pageRef(entry.heading)),
        ".",
      );
      node.before(pointer);
      entry.heading.append(
        make("span", { class: "pdf-back" }, "(enunciado en la p. ", pageRef(pointer), ")"),
      );
      byKey.set(key, entry);
      entries.push(entry);
    }
    entry.nodes.push(node);
  }
  const appendix = make("section", { class: "pdf-doc pdf-solutions", id: "pdf-soluciones" });
  appendix.append(
    make("h2", {}, "Soluciones de los ejercicios"),
    make(
      "p",
      {},
      "En el libro en línea, la solución de cada ejercicio está plegada debajo de su " +
        "enunciado: primero el razonamiento y después la celda que la calcula y la comprueba " +
        "con vg.check. En esta edición impresa están aquí, por capítulos.",
    ),
  );
  let group = null;
  for (const entry of entries) {
    if (!group || group.doc !== entry.doc) {
      const title = titleOf(docs.get(entry.doc) || docSection(entry.doc));
      const m = title.match(/^(\d+(?:\.\d+)?)\.?\s+(.*)$/);
      const label = m ? `Capítulo ${m[1]} — ${m[2]}` : title;
      group = { doc: entry.doc, section: make("section", { class: "pdf-solution-group" }) };
      group.section.append(make("h3", {}, label));
      appendix.append(group.section);
    }
    const block = make("section", { class: "pdf-solution" }, entry.heading);
    for (const node of entry.nodes) {
      if (node.matches("details.solucion")) {
        node.querySelector("summary").remove();
        block.append(make("div", { class: "pdf-solution-reasoning" }, ...node.childNodes));
        node.remove();
      } else {
        // la celda de código, desplegada: fuera el <details> y su botón
        const fold = node.querySelector(":scope > details");
        if (fold) {
          fold.querySelector("summary")?.remove();
          fold.replaceWith(...fold.childNodes);
        }
        block.append(node);
      }
      done.solutions += 1;
    }
    group.section.append(block);
  }
  const bibliography = document.getElementById("document-bibliografia");
  if (bibliography) bibliography.before(appendix);
  else article.append(appendix);

  // --- Celdas plegadas que siguen ocultas (hide-input, hide-cell, hide-output) ------------
  for (const fold of $$("details.hide", article)) {
    const cell = fold.closest("div.cell");
    fold.remove();
    if (cell && !cell.textContent.trim() && !cell.querySelector("img")) cell.remove();
    done.hidden += 1;
  }
  $$("details", article).forEach((d) => d.setAttribute("open", ""));

  // --- Enlaces: internos dentro del PDF, los demás como texto -----------------------------
  for (const a of $$("a[href]", article)) {
    const url = new URL(a.getAttribute("href"), location.href);
    if (url.origin === location.origin) {
      if (url.pathname === location.pathname && url.hash) a.setAttribute("href", url.hash);
      else a.replaceWith(...a.childNodes); // un archivo del sitio (figura a tamaño completo...)
    } else {
      const text = a.textContent.trim();
      if (!/^(https?:|doi:|www\.)/i.test(text) && !a.closest(".citation")) {
        a.after(` (${url.href})`);
      }
    }
  }

  // --- La presentación: sus títulos un nivel por debajo, como los capítulos ---------------
  const intro = article.querySelector(":scope > section");
  const introTitle = headingOf(intro);
  const presentation = make("h2", { id: "pdf-presentacion" }, "Presentación");
  introTitle.replaceWith(presentation);
  intro.classList.add("pdf-doc");
  for (const h2 of $$(":scope > section > h2", intro)) {
    const h3 = make("h3", {}, ...h2.childNodes);
    h2.replaceWith(h3);
  }

  // --- Portada ------------------------------------------------------------------------------
  const cover = make(
    "section",
    { class: "pdf-cover" },
    make("h1", { class: "pdf-title" }, meta.title),
    make("p", { class: "pdf-subtitle" }, meta.subtitle),
    make("p", { class: "pdf-author" }, meta.author),
    make("p", { class: "pdf-year" }, meta.year),
    make(
      "div",
      { class: "pdf-cover-notes" },
      make("p", {}, meta.edition),
      make("p", { class: "pdf-license" }, meta.license),
    ),
  );

  // --- Índice -------------------------------------------------------------------------------
  const tocList = make("ol", { class: "pdf-toc-list" });
  const tocEntry = (level, heading, content) => {
    const link = make("a", { href: `#${target(heading).id}` });
    link.append(
      make("span", { class: "pdf-toc-title" }, ...content),
      make("span", { class: "pdf-toc-page" }, pageRef(heading)),
    );
    tocList.append(make("li", { class: `pdf-toc-l${level}` }, link));
    done.targets += 1;
  };
  const clone = (heading) => Array.from(heading.cloneNode(true).childNodes);
  tocEntry(1, presentation, ["Presentación"]);
  for (const part of parts) {
    if (part.caption) tocList.append(make("li", { class: "pdf-toc-part" }, part.caption));
    for (const doc of part.docs) {
      if (doc.file === "bibliografia") {
        tocEntry(1, appendix.querySelector("h2"), ["Soluciones de los ejercicios"]);
      }
      const section = docs.get(doc.file);
      const heading = headingOf(section);
      tocEntry(doc.level, heading, clone(heading));
      if (doc.level !== 1 || !/^\d/.test(titleOf(section))) continue;
      for (const child of $$(":scope > section", section)) {
        const h = headingOf(child);
        if (h && !skeleton.includes(h.textContent.trim())) tocEntry(2, h, clone(h));
      }
    }
  }
  if (!parts.some((p) => p.docs.some((d) => d.file === "bibliografia"))) {
    tocEntry(1, appendix.querySelector("h2"), ["Soluciones de los ejercicios"]);
  }
  const toc = make(
    "nav",
    { class: "pdf-toc", "aria-label": "Índice" },
    make("h2", { class: "pdf-toc-heading" }, "Índice"),
    tocList,
  );

  // Cada marca «document-…» (destino de los enlaces a una página del libro) pasa al principio
  // de su sección: si no, el enlace llevaría al pie de la página anterior al salto de página.
  for (const [file, section] of docs) {
    const span = document.getElementById(`document-${file}`);
    if (span && span.nextElementSibling === section) section.prepend(span);
  }

  // --- La página: portada, índice y el libro; nada más del tema ----------------------------
  document.body.replaceChildren(cover, toc, article);
  document.body.className = "pdf-edition";
  document.title = meta.title;
  return done;
};
