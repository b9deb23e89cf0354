// Controlador de un explorador precalculado (vgcourse.charts): los controles eligen una
// configuración de la rejilla y este código pone sus perfiles en las fuentes de datos de
// las dos figuras de Bokeh y reescribe el título y las cifras. No calcula gradientes: solo
// lee los que vgcourse calculó (float64) y los copia.
(function () {
  "use strict";
  // el explorador de este programa: el elemento que lo contiene (el id, por si el entorno
  // no da currentScript); cada uno se prepara una sola vez
  var here = document.currentScript;
  var root = (here && here.closest(".vg-chart")) || document.getElementById("__ROOT_ID__");
  if (!root || root.getAttribute("data-vg-ready")) return;
  root.setAttribute("data-vg-ready", "cargando");
  var P = JSON.parse(root.querySelector("script.vg-chart-data").textContent);
  var items = JSON.parse(root.querySelector("script.vg-chart-items").textContent);
  var readout = root.querySelector(".vg-chart-readout");
  var title = root.querySelector(".vg-chart-title");

  function float64(b64) {
    var s = atob(b64), bytes = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return new Float64Array(bytes.buffer);
  }
  var Z = float64(P.z), W = float64(P.w), S = float64(P.sat);
  var n = { a: P.activations.length, i: P.inits.length, w: P.widths.length, r: P.archs.length };
  var cum = [0];
  for (var k = 0; k < P.depths.length; k++) cum.push(cum[k] + P.depths[k]);

  var SUP = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
              "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
  function sup(text) { return text.split("").map(function (c) { return SUP[c]; }).join(""); }
  // como vgcourse.report.power_of_ten(f"{v:.3g}")
  function g3(v) {
    if (!isFinite(v)) return String(v);
    if (v === 0) return "0";
    var e = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(3)))));
    if (e < -4 || e >= 3) {
      var parts = v.toExponential(2).split("e");
      var m = parts[0].replace(/\.?0+$/, ""), x = String(Number(parts[1]));
      if (x === "0") return m;
      var power = "10" + sup(x);
      if (m === "1") return power;
      if (m === "-1") return "−" + power;
      return m + "\u00a0×\u00a0" + power;
    }
    return Number(v.toPrecision(3)).toString();
  }
  function fixed(v, digits) { return (Math.round(v * Math.pow(10, digits)) / Math.pow(10, digits)).toFixed(digits); }

  function control(axis) { return root.querySelector("[data-axis='" + axis + "']"); }
  // un eje con un solo valor no tiene control: su índice es 0
  function index(axis) { var c = control(axis); return c ? Number(c.value) : 0; }
  function setting() {
    var s = { a: index("activation"), i: index("init"), w: index("width"), d: index("depth") };
    var res = control("residual") ? control("residual").checked : false;
    var bn = control("batchnorm") ? control("batchnorm").checked : false;
    var alpha = control("alpha");
    if (alpha) alpha.disabled = !res;
    var want = alpha ? P.alphas[Number(alpha.value)] : null;
    s.r = -1;
    for (var r = 0; r < P.archs.length; r++) {
      var arch = P.archs[r];
      if (arch[0] === res && arch[2] === bn && (!res || want === null || arch[1] === want)) { s.r = r; break; }
    }
    return s;
  }

  var sources = null;
  function model(name) {
    for (var k = 0; k < sources.length; k++) {
      var m = sources[k].get_model_by_name(name);
      if (m) return m;
    }
    return null;
  }
  function range(from, to) { var out = []; for (var v = from; v <= to; v++) out.push(v); return out; }
  function repeat(text, count) { var out = []; for (var k = 0; k < count; k++) out.push(text); return out; }

  function update() {
    var s = setting();
    var depth = P.depths[s.d];
    var block = ((s.a * n.i + s.i) * n.w + s.w) * n.r + s.r;
    var off = block * cum[cum.length - 1] + cum[s.d];
    var z = Array.from(Z.subarray(off, off + depth));
    var w = Array.from(W.subarray(off, off + depth));
    var satOff = block * P.max_depth;
    var sat = Array.from(S.subarray(satOff, satOff + depth)).map(function (v) { return 100 * v; });
    var layers = range(1, depth);
    var arch = P.archs[s.r], residual = arch[0], plain = !arch[0] && !arch[2];
    var zLabel = residual ? P.labels.stream : P.labels.preact;
    var slope = P.slopes[(s.a * n.i + s.i) * n.w + s.w];
    var zLast = z[depth - 1];

    if (P.view === "activacion") {
      var c = P.curves[s.a];
      model("phi").data = { x: P.curve_x, y: c.phi, serie: repeat("φ(z)", P.curve_x.length) };
      model("dphi").data = { x: P.curve_x, y: c.dphi, serie: repeat("φ′(z)", P.curve_x.length) };
      var lo = model("region_lo"), hi = model("region_hi");
      lo.visible = c.lo !== null && c.lo > P.curve_x[0];
      if (lo.visible) lo.right = c.lo;
      hi.visible = c.hi !== null && c.hi < P.curve_x[P.curve_x.length - 1];
      if (hi.visible) hi.left = c.hi;
    } else {
      model("z").data = { x: layers, y: z, serie: repeat(zLabel, depth) };
      model("first_item").label = { value: residual ? "‖∂L/∂hₗ‖" : "‖∂L/∂Zₗ‖" };
      model("w").data = { x: layers, y: w, serie: repeat(P.labels.weight, depth) };
      var showTheory = P.view === "teoria" && plain && slope !== null && isFinite(zLast) && zLast > 0;
      if (P.view === "teoria") model("theory").data = showTheory
        ? { x: layers, y: layers.map(function (l) { return zLast * Math.exp(slope * (depth - l)); }),
            serie: repeat(P.labels.theory, depth) }
        : { x: [], y: [], serie: [] };
    }
    model("sat").data = { x: layers, y: sat, serie: repeat(P.labels.saturation, depth) };

    var parts = [P.activations[s.a][1], P.inits[s.i][1], "L = " + depth, "n = " + P.widths[s.w]];
    if (residual) parts.push("residual (α = " + arch[1].toFixed(2) + ")");
    if (arch[2]) parts.push("normalización por lotes");
    title.textContent = parts.join(", ");

    function ratio(v) {
      if (!isFinite(v[0]) || !(v[depth - 1] !== 0) || !isFinite(v[depth - 1])) return "sin medida (underflow)";
      return g3(v[0] / v[depth - 1]);
    }
    var gradName = residual ? "‖∂L/∂h‖ (tronco)" : "‖∂L/∂Z‖";
    var text = [
      gradName + " capa 1 / capa " + depth + ": <b>" + ratio(z) + "</b>",
      "‖∂L/∂W‖ capa 1 / capa " + depth + ": <b>" + ratio(w) + "</b>",
    ];
    if (isFinite(z[0]) && isFinite(zLast) && zLast > 0 && z[0] > 0) {
      text.push("factor medio por capa hacia la entrada: <b>" + g3(Math.pow(z[0] / zLast, 1 / (depth - 1))) + "</b>");
    }
    text.push("unidades saturadas en la capa " + depth + ": <b>" + fixed(sat[depth - 1], 1) + " %</b>");
    if (P.view === "teoria") {
      text.push(!plain ? "teoría: χ₁ solo describe la red simple (sin saltos ni normalización)"
                : slope === null ? "teoría: sin punto fijo (la varianza crece sin límite)"
                : "teoría: ½·ln χ₁ = <b>" + fixed(slope, 3) + "</b> por capa");
    }
    readout.innerHTML = text.join(" · ");
    var outputs = root.querySelectorAll("output[data-for]");
    for (var k2 = 0; k2 < outputs.length; k2++) {
      var o = outputs[k2], input = control(o.getAttribute("data-for"));
      var values = o.getAttribute("data-for") === "depth" ? P.depths : P.alphas;
      var shown = o.getAttribute("data-for") === "depth" ? String(values[Number(input.value)])
                  : values[Number(input.value)].toFixed(2);
      o.textContent = shown;
      input.setAttribute("aria-valuetext", shown);
    }
    root.setAttribute("data-vg-setting", JSON.stringify(s));
  }

  function start() {
    // los documentos se crean y se llenan antes de dibujarlos: la primera imagen ya es la
    // de la configuración inicial (sin ejes calculados sobre fuentes vacías)
    var Document = Bokeh.require("document").Document;
    sources = items.map(function (item) { return Document.from_json(item.doc); });
    root.vgChart = { documents: sources, model: model };
    update();
    var panels = root.querySelectorAll(".vg-chart-panel");
    Promise.all(sources.map(function (doc, k) {
      return Bokeh.embed.add_document_standalone(doc, panels[k]);
    })).then(function () {
      var inputs = root.querySelectorAll("[data-axis]");
      for (var k = 0; k < inputs.length; k++) inputs[k].addEventListener("input", update);
      root.setAttribute("data-vg-ready", "listo");
    }).catch(function (err) {
      root.setAttribute("data-vg-ready", "error");
      readout.textContent = "No se pudieron dibujar las figuras: " + err;
    });
  }

  if (window.Bokeh && window.Bokeh.embed) {
    start();
  } else {
    // en Jupyter o Colab, fuera del libro: BokehJS de la misma versión que la de Python
    var script = document.createElement("script");
    script.src = "https://cdn.bokeh.org/bokeh/release/bokeh-" + P.bokeh_version + ".min.js";
    script.onload = start;
    script.onerror = function () {
      root.setAttribute("data-vg-ready", "error");
      readout.textContent = "No se pudo cargar BokehJS (¿sin conexión?): ejecuta el explorador de abajo, que calcula con el núcleo.";
    };
    document.head.appendChild(script);
  }
})();
