(function () {
  "use strict";
  const TYPES = { f4: Float32Array, f8: Float64Array, i4: Int32Array, u1: Uint8Array };
  const root = document.currentScript.parentElement;
  const $ = (name) => root.querySelector('[data-gdviz="' + name + '"]');
  // The live part, from the inert block that carries it (a sanitised output shows none of it),
  // in place of the still a viewer without scripts shows.
  const markup = $("markup");
  markup.insertAdjacentHTML("beforebegin", markup.textContent);
  markup.remove();
  $("still").remove();
  const data = JSON.parse($("data").textContent);
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  const slider = $("slider"), readout = $("readout"), play = $("play"), speed = $("speed");
  const tip = $("tip");
  const controls = $("again"), hint = $("hint"), chooser = $("optimizer"), rate = $("lr");
  const beta = $("beta"), betaLabel = $("beta-label"), stepsBox = $("steps"), clear = $("clear");

  async function unpack(packed) {
    const bytes = Uint8Array.from(atob(packed.data), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const buffer = await new Response(stream).arrayBuffer();
    return new TYPES[packed.type](buffer);
  }

  async function unpackAll(object) {
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (value && typeof value === "object" && "data" in value && "type" in value) {
        object[key] = await unpack(value);
      }
    }
  }

  function fmt(v) {
    if (!isFinite(v)) return String(v);
    return Number(v.toPrecision(4)).toString() === "0" ? "0" : v.toPrecision(4);
  }

  // -- drawing --------------------------------------------------------------------------------

  // A marker where Agg draws it: at the pixel corner nearest its point, its corners then on
  // whole pixels (plus half a pixel for an edge an odd number of pixels wide) where matplotlib
  // snaps it (``snap`` that half or 0), else moved to that pixel's middle (``snap`` null). A
  // line with an outline (a path effect) has each marker drawn as a path of its own, where it
  // lies: snapped corners then round on their own, and an unsnapped marker stays put.
  function marker(kind, x, y, size, snap, alone) {
    const r = size / 2, cx = Math.floor(x + 0.5), cy = Math.floor(y + 0.5);
    const snapped = snap !== null && snap !== undefined;
    let at;
    if (alone) {
      at = snapped ? (dx, dy) => [Math.floor(x + dx + 0.5) + snap, Math.floor(y + dy + 0.5) + snap]
        : (dx, dy) => [x + dx, y + dy];
    } else {
      at = snapped ? (dx, dy) => [cx + Math.floor(dx + 0.5) + snap, cy + Math.floor(dy + 0.5) + snap]
        : (dx, dy) => [cx + 0.5 + dx, cy + 0.5 + dy];
    }
    ctx.beginPath();
    if (kind === "o" || kind === ".") { ctx.arc(...at(0, 0), r, 0, 2 * Math.PI); return true; }
    const corners = [];
    if (kind === "*") {  // matplotlib's star: five points, the inner radius 0.382 of the outer
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + i * Math.PI / 5, q = i % 2 ? 0.381966 * r : r;
        corners.push([q * Math.cos(a), q * Math.sin(a)]);
      }
    } else {
      const tri = { "^": [0, -1, -1, 1, 1, 1], "v": [0, 1, -1, -1, 1, -1],
                    "<": [-1, 0, 1, -1, 1, 1], ">": [1, 0, -1, -1, -1, 1] }[kind];
      if (!tri) return false;
      for (let i = 0; i < 6; i += 2) corners.push([tri[i] * r, tri[i + 1] * r]);
    }
    corners.forEach(([dx, dy], i) => (i ? ctx.lineTo(...at(dx, dy)) : ctx.moveTo(...at(dx, dy))));
    ctx.closePath();
    return true;
  }

  function polyline(points, n, tail) {
    ctx.beginPath();
    let pen = false;
    const go = (x, y) => {
      if (!isFinite(x) || !isFinite(y)) { pen = false; return; }
      if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x, y); pen = true; }
    };
    for (let i = 0; i < n; i++) go(points[2 * i], points[2 * i + 1]);
    if (tail) go(tail[0], tail[1]);
  }

  function stroke(t, width) {
    if (t.outline && t.outline.width > 0) {  // matplotlib strokes it with the line's dashes
      ctx.save();
      ctx.strokeStyle = t.outline.color;
      ctx.lineWidth = t.outline.width;
      ctx.stroke();
      ctx.restore();
    }
    if (width > 0) { ctx.lineWidth = width; ctx.strokeStyle = t.color; ctx.stroke(); }
  }

  function markers(t, j, xs) {
    const kind = t.markers[t.marker[j]], snap = t.snap[t.marker[j]];
    if (!kind || kind === "None" || kind === "" || t.size <= 0) return;
    ctx.setLineDash([]);
    ctx.lineJoin = t.join[t.marker[j]];  // as matplotlib joins this marker's edges
    for (const [x, y] of xs) {
      if (!isFinite(x) || !isFinite(y)) continue;
      if (!marker(kind, x, y, t.size, snap, !!t.outline)) continue;
      if (t.outline && t.outline.width > 0) {  // matplotlib strokes each marker's outline too
        ctx.lineWidth = t.outline.width; ctx.strokeStyle = t.outline.color; ctx.stroke();
      }
      ctx.fillStyle = t.face; ctx.fill();
      if (t.edge_width > 0) { ctx.lineWidth = t.edge_width; ctx.strokeStyle = t.edge; ctx.stroke(); }
    }
  }

  function line(t, j) {
    ctx.setLineDash(t.dash || []);
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    let pts = [];
    if (t.kind === "prefix") {
      const n = t.count[j], tail = [t.tail[2 * j], t.tail[2 * j + 1]];
      polyline(t.points, n, tail);
      stroke(t, t.width);
      for (let i = 0; i < n; i++) pts.push([t.points[2 * i], t.points[2 * i + 1]]);
      pts.push(tail);
    } else {
      let row = j;
      if (t.kind === "curve") {
        let lo = 0, hi = t.kept.length - 1;  // the latest kept snapshot at or before j
        while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (t.kept[mid] <= j) lo = mid; else hi = mid - 1; }
        row = lo;
      }
      const width = t.data.length / (2 * t.count.length), n = t.count[row];
      const base = row * width * 2;
      const xy = t.data.subarray(base, base + 2 * n);
      polyline(xy, n, null);
      stroke(t, t.width);
      for (let i = 0; i < n; i++) pts.push([xy[2 * i], xy[2 * i + 1]]);
    }
    markers(t, j, pts);
  }

  // As matplotlib draws a straight FancyArrowPatch: the shaft to the tip pulled back by half
  // the line's width over the head's half angle (so the stroked head ends at the point), and a
  // head of its full size whatever the arrow's length, along the arrow's heading (kept apart
  // from the rounded ends, so an arrow shorter than a pixel points where it points); an arrow
  // of no length has no head.
  function arrow(t, j) {
    const [x0, y0, x1, y1] = t.ends.subarray(4 * j, 4 * j + 4);
    if (![x0, y0, x1, y1].every(isFinite)) return;
    const ux = t.heading[2 * j], uy = t.heading[2 * j + 1];
    const headed = t.head && isFinite(ux) && isFinite(uy);
    let tx = x1, ty = y1;
    if (headed) {
      const [hl, hw] = t.head, pad = 0.5 * t.width * Math.hypot(hl, hw) / hw;
      tx -= ux * pad; ty -= uy * pad;
    }
    ctx.setLineDash(t.dashed[j] ? [3 * t.width, 2 * t.width] : []);
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(tx, ty);
    stroke(t, t.width);
    if (!headed) return;
    const [hl, hw] = t.head, bx = tx - ux * hl, by = ty - uy * hl;
    ctx.beginPath();
    ctx.moveTo(bx - uy * hw, by + ux * hw);
    ctx.lineTo(tx, ty);
    ctx.lineTo(bx + uy * hw, by - ux * hw);
    if (t.fill) ctx.closePath();
    if (t.outline) { ctx.lineWidth = t.outline.width; ctx.strokeStyle = t.outline.color; ctx.stroke(); }
    if (t.fill) { ctx.fillStyle = t.fill; ctx.fill(); }
    ctx.lineWidth = t.width; ctx.strokeStyle = t.color; ctx.stroke();
  }

  function text(t, j) {
    const lines = t.texts[t.index[j]].split("\n");
    ctx.font = t.size + "px '" + t.font + "', sans-serif";  // matplotlib's font, where the reader has it
    const h = t.size * 1.2;
    const w = Math.max(...lines.map((s) => ctx.measureText(s).width));
    let x = t.at[0], y = t.at[1];
    if (t.ha === "center") x -= w / 2; else if (t.ha === "right") x -= w;
    if (t.va === "bottom" || t.va === "baseline") y -= h * lines.length;
    else if (t.va === "center") y -= h * lines.length / 2;
    const p = t.pad;
    if (t.box) { ctx.fillStyle = t.box; ctx.fillRect(x - p, y - p, w + 2 * p, h * lines.length + 2 * p); }
    ctx.fillStyle = t.color; ctx.textBaseline = "top";
    lines.forEach((s, i) => ctx.fillText(s, x, y + i * h + 0.1 * t.size));
  }

  function image(t, j) {
    ctx.imageSmoothingEnabled = t.smooth;
    ctx.globalAlpha = t.alpha;
    ctx.drawImage(t.images[t.index[j]], ...t.box);
    ctx.globalAlpha = 1;
  }

  function segments(t, j) {
    const i = t.index[j], a = t.starts[i], b = t.starts[i + 1];
    ctx.setLineDash([]);
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    polyline(t.points.subarray(2 * a, 2 * b), b - a, null);
    ctx.lineWidth = t.width; ctx.strokeStyle = t.color; ctx.stroke();
  }

  function dots(t) {
    for (let i = 0; i < t.radius.length; i++) {
      ctx.beginPath();
      ctx.arc(t.xy[2 * i], t.xy[2 * i + 1], t.radius[i], 0, 2 * Math.PI);
      const f = t.faces.subarray(4 * i, 4 * i + 4);
      ctx.fillStyle = "rgba(" + f[0] + "," + f[1] + "," + f[2] + "," + f[3] / 255 + ")";
      ctx.fill();
      if (t.edge && t.edge_width > 0) {
        ctx.lineWidth = t.edge_width; ctx.strokeStyle = t.edge; ctx.stroke();
      }
    }
  }

  const DRAW = { line, arrow, text, image, segments, dots };

  // The still pictures, decoded once: what lies under the moving parts and what lies over them
  // (legends, stars), matplotlib's or, once the 3-D camera has turned, the page's own. All of
  // it is drawn on the one canvas, so the canvas holds the whole picture the animation shows
  // (what saving or copying it, or reading its pixels, gets).
  const stills = {};
  async function picture(src) {
    if (!src) return null;
    const im = new Image();
    im.src = src;
    await im.decode();
    return im;
  }

  function draw(j) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const under = turned ? stills.turnedUnder : stills.under;
    const over = turned ? stills.turnedOver : stills.over;
    if (under) ctx.drawImage(under, 0, 0);
    if (turned) view3.draw();
    for (const t of data.tracks) {
      if (!t.visible[j]) continue;
      ctx.save();
      if (t.clip) { ctx.beginPath(); ctx.rect(...t.clip); ctx.clip(); }
      DRAW[t.type](t, j);
      ctx.restore();
    }
    if (turned) view3.drawOver();
    drawAgain();
    if (over) ctx.drawImage(over, 0, 0);
  }

  // -- a run of the reader's own: started by a click, computed here (descent.js) --------------

  let descent = null, again = null, view3 = null, turned = false;

  function toCanvas(panel, x, y) {  // data to canvas pixels: the axis scales, then the map
    const [sx, sy] = panel.scales.map((s, i) => {
      const v = i ? y : x;
      return s === "log" ? (v > 0 ? Math.log10(v) : NaN) : v;
    });
    const m = panel.map;
    return [m[0][0] * sx + m[0][1] * sy + m[0][2], m[1][0] * sx + m[1][1] * sy + m[1][2]];
  }

  function fromCanvas(panel, px, py) {
    const m = panel.map, det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const dx = px - m[0][2], dy = py - m[1][2];
    const v = [(m[1][1] * dx - m[0][1] * dy) / det, (m[0][0] * dy - m[1][0] * dx) / det];
    return v.map((u, i) => (panel.scales[i] === "log" ? Math.pow(10, u) : u));
  }

  const inside = (box, x, y) => x >= box[0] && x <= box[0] + box[2] && y >= box[1] && y <= box[1] + box[3];

  // The new run's points on each panel that draws it, in canvas pixels.
  function againPaths() {
    const out = [];
    for (const panel of data.rerun.panels) {
      const points = again.rows.map((r, i) => (panel.kind === "loss"
        ? toCanvas(panel, i, r[2]) : toCanvas(panel, r[0], r[1])));
      out.push([panel.clip, points, panel.kind !== "loss"]);
    }
    if (view3) {
      const points = again.rows.map((r) => view3.project(r[0], r[1], view3.height(r[0], r[1], r[2]))
        .slice(0, 2));
      out.push([data.turn.clip, points, true]);
    }
    return out;
  }

  function drawAgain() {
    if (!again) return;
    const s = data.scale;
    for (const [clip, points, ends] of againPaths()) {
      ctx.save();
      ctx.beginPath(); ctx.rect(...clip); ctx.clip();
      ctx.lineJoin = "round"; ctx.lineCap = "round";
      polyline(points.flat(), points.length, null);
      ctx.setLineDash([]);
      ctx.strokeStyle = "rgba(255,255,255,0.8)"; ctx.lineWidth = 4 * s; ctx.stroke();
      ctx.setLineDash([5 * s, 3 * s]);
      ctx.strokeStyle = AGAIN; ctx.lineWidth = 2 * s; ctx.stroke();
      ctx.setLineDash([]);
      if (ends) {
        const [x0, y0] = points[0], [x1, y1] = points[points.length - 1];
        if (isFinite(x0) && isFinite(y0)) {
          ctx.beginPath(); ctx.arc(x0, y0, 4.5 * s, 0, 2 * Math.PI);
          ctx.fillStyle = "white"; ctx.fill();
          ctx.lineWidth = 2 * s; ctx.strokeStyle = AGAIN; ctx.stroke();
        }
        if (isFinite(x1) && isFinite(y1)) {
          ctx.beginPath(); ctx.arc(x1, y1, 4 * s, 0, 2 * Math.PI);
          ctx.fillStyle = AGAIN; ctx.fill();
          ctx.lineWidth = 1.2 * s; ctx.strokeStyle = "white"; ctx.stroke();
          ctx.font = "bold " + Math.round(9 * s) + "px sans-serif";
          ctx.textBaseline = "bottom"; ctx.textAlign = "left";
          ctx.lineWidth = 3 * s; ctx.strokeStyle = "rgba(255,255,255,0.85)";
          ctx.strokeText("new run", x1 + 6 * s, y1 - 3 * s);
          ctx.fillStyle = AGAIN; ctx.fillText("new run", x1 + 6 * s, y1 - 3 * s);
        }
      }
      ctx.restore();
    }
  }
  const AGAIN = "rgb(20,20,20)";

  function settings() {
    const optimizer = chooser.value;
    const options = { optimizer, lr: Number(rate.value), steps: Math.round(Number(stepsBox.value)) };
    if (optimizer in data.rerun.betas) options.beta = Number(beta.value);
    return options;
  }

  function startAt(start) {
    let rows;
    const options = Object.assign(settings(), { start: [start[0], start[1]] });
    try {
      rows = descent.rerun(options);
    } catch (e) {
      hint.textContent = e.message.replace(/^gdviz: /, "");
      return null;
    }
    again = { rows, options };
    show(current);
    return rows;
  }

  function again_line() {
    if (!again) return "";
    const o = again.options, r = again.rows;
    const said = o.optimizer + ", lr " + o.lr + (o.beta !== undefined ? ", \u03b2 " + o.beta : "");
    const from = "(" + fmt(o.start[0]) + ", " + fmt(o.start[1]) + ")";
    if (!r.length) return "\nnew run (" + said + ") from " + from + ": not finite at its start";
    const end = r.length - 1 < o.steps ? " (diverged at step " + r.length + ")" : "";
    return "\nnew run (" + said + ") from " + from + ": after " + (r.length - 1)
      + " steps loss " + fmt(r[r.length - 1][2]) + end;
  }

  function setUp() {
    const R = data.rerun;
    descent = descentOf(R.tree, R.single);
    for (const name of R.optimizers) {
      const o = document.createElement("option");
      o.value = o.textContent = name;
      chooser.appendChild(o);
    }
    const first = data.runs.length && R.optimizers.includes(data.first_optimizer)
      ? data.first_optimizer : R.optimizers[0];
    const pick = () => {
      rate.value = R.rates[chooser.value];
      betaLabel.hidden = !(chooser.value in R.betas);
      if (!betaLabel.hidden) beta.value = R.betas[chooser.value];
    };
    chooser.value = first;
    pick();
    stepsBox.value = R.steps;
    const where = R.panels.some((p) => p.kind === "contour") ? "the contour" : "the surface";
    hint.textContent = "Click " + where + " to start a new run there:";
    const redo = () => { if (again) startAt(again.options.start); };
    chooser.addEventListener("change", () => { pick(); redo(); });
    for (const box of [rate, beta, stepsBox]) box.addEventListener("change", redo);
    clear.addEventListener("click", () => { again = null; show(current); });
    controls.hidden = false;
  }

  function clicked(mx, my) {
    if (!descent) return;
    for (const panel of data.rerun.panels) {
      if (panel.kind === "contour" && inside(panel.clip, mx, my)) {
        startAt(fromCanvas(panel, mx, my));
        return;
      }
    }
    if (view3 && inside(data.turn.clip, mx, my)) {
      const xy = view3.pick(mx, my);
      if (xy) startAt(xy);
    }
  }

  function turnTo(elev, azim) {
    if (!turned) {  // from matplotlib's picture to the page's own drawing of the 3-D axes
      turned = true;
    }
    view3.turn(elev, azim);
    view3.reproject(data.tracks);
    show(current);
  }

  // -- the readout, the slider, playing, hovering ----------------------------------------------

  let current = 0;
  function show(j) {
    j = Math.max(0, Math.min(data.count - 1, Math.round(j)));
    current = j;
    slider.value = j;
    draw(j);
    const lines = data.runs.map((r) => (data.runs.length > 1 ? r.label + ": " : "")
      + "step " + r.step[j] + " \u00b7 loss " + fmt(r.loss[j]));
    readout.textContent = lines.join("\n") + again_line();
    slider.setAttribute("aria-valuetext", "step " + data.runs[0].step[j]);
  }

  let playing = false, last = 0, position = 0;
  function frame(now) {
    if (!playing) return;
    const rate = (data.count - 1) / Math.max(data.seconds, 1) * Number(speed.value);
    position = Math.min(data.count - 1, position + (now - last) / 1000 * rate);
    last = now;
    show(position);
    if (position >= data.count - 1) { stop(); return; }
    requestAnimationFrame(frame);
  }
  function start() {
    if (current >= data.count - 1) current = 0;
    playing = true; position = current; last = performance.now();
    play.innerHTML = "&#10074;&#10074;"; play.setAttribute("aria-label", "pause");
    requestAnimationFrame(frame);
  }
  function stop() {
    playing = false;
    play.innerHTML = "&#9654;"; play.setAttribute("aria-label", "play");
  }

  function nearest(mx, my) {
    let best = null, bestD = 8 * 8;
    for (const t of data.tracks) {
      if (t.type !== "line" || t.kind !== "prefix" || t.run === null || !t.visible[current]) continue;
      const n = t.count[current];
      for (let i = 0; i < n; i++) {
        const dx = t.points[2 * i] - mx, dy = t.points[2 * i + 1] - my, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = [t.run, t.point_step[i]]; }
      }
      const tx = t.tail[2 * current] - mx, ty = t.tail[2 * current + 1] - my;
      if (tx * tx + ty * ty < bestD) { bestD = tx * tx + ty * ty; best = [t.run, current]; }
    }
    return best;
  }

  async function main() {
    await Promise.all(data.tracks.map(unpackAll));
    await Promise.all(data.tracks.filter((t) => t.type === "image").map(async (t) => {
      t.images = t.pictures.map((src) => { const im = new Image(); im.src = src; return im; });
      await Promise.all(t.images.map((im) => im.decode()));
    }));
    await Promise.all(data.runs.map(unpackAll));
    data.count = data.runs[0].step.length;
    canvas.width = data.width;
    canvas.height = data.height;
    const turn = data.turn || {};
    [stills.under, stills.over, stills.turnedUnder, stills.turnedOver] = await Promise.all(
      [data.background, data.overlay, turn.background, turn.overlay].map(picture));
    data.tracks.sort((a, b) => a.z - b.z);
    if (data.turn) {
      await unpackAll(data.turn);
      view3 = turningOf(data.turn, ctx, data.scale);
    }
    if (data.rerun) setUp();
    let press = null;  // a click starts a run; a drag on the 3-D axes turns them
    const at = (e) => {
      const box = canvas.getBoundingClientRect();
      return [(e.clientX - box.left) * canvas.width / box.width,
        (e.clientY - box.top) * canvas.height / box.height];
    };
    canvas.addEventListener("pointerdown", (e) => {
      const [x, y] = at(e);
      const turns = !!view3 && inside(data.turn.clip, x, y);
      press = { x, y, moved: false, turns, elev: turns ? view3.elev : 0, azim: turns ? view3.azim : 0 };
      if (turns) { canvas.setPointerCapture(e.pointerId); e.preventDefault(); }
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!press) return;
      const [x, y] = at(e), c = data.turn ? data.turn.clip : null;
      if (Math.hypot(x - press.x, y - press.y) > 3) press.moved = true;
      if (press.moved && press.turns) {  // as matplotlib turns its 3-D axes under the mouse
        turnTo(press.elev + (y - press.y) / c[3] * 180, press.azim - (x - press.x) / c[2] * 180);
      }
    });
    canvas.addEventListener("pointerup", () => {
      if (press && !press.moved) clicked(press.x, press.y);
      press = null;
    });
    canvas.addEventListener("pointercancel", () => { press = null; });
    slider.max = data.count - 1;
    slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
    play.addEventListener("click", () => (playing ? stop() : start()));
    root.addEventListener("keydown", (e) => {
      const step = e.shiftKey ? 10 : 1;
      if (e.key === "ArrowRight") { stop(); show(current + step); e.preventDefault(); }
      else if (e.key === "ArrowLeft") { stop(); show(current - step); e.preventDefault(); }
      else if (e.key === "Home") { stop(); show(0); e.preventDefault(); }
      else if (e.key === "End") { stop(); show(data.count - 1); e.preventDefault(); }
      else if (e.key === " " && e.target !== play) { playing ? stop() : start(); e.preventDefault(); }
    });
    canvas.addEventListener("mousemove", (e) => {
      const box = canvas.getBoundingClientRect();
      const mx = (e.clientX - box.left) * canvas.width / box.width;
      const my = (e.clientY - box.top) * canvas.height / box.height;
      const hit = nearest(mx, my);
      if (!hit) { tip.hidden = true; return; }
      const r = data.runs[hit[0]];
      tip.textContent = (data.runs.length > 1 ? r.label + ": " : "") + "step " + r.step[hit[1]]
        + " \u00b7 loss " + fmt(r.loss[hit[1]]);
      tip.style.left = (e.clientX - box.left + 12) + "px";
      tip.style.top = (e.clientY - box.top + 12) + "px";
      tip.hidden = false;
    });
    canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
    root.tabIndex = -1;
    show(0);
    const api = {
      show, get step() { return current; }, count: data.count, data,
      point(track, j) {  // where track's current point is drawn at snapshot j (canvas pixels)
        const t = data.tracks[track];
        if (t.kind === "prefix") return [t.tail[2 * j], t.tail[2 * j + 1]];
        const width = t.data.length / (2 * t.count.length);
        return [t.data[j * width * 2], t.data[j * width * 2 + 1]];
      },
      // rows [x, y, loss] of gdviz.train(formula, init=start, optimizer=, lr=, steps=)
      rerun: descent ? (options) => descent.rerun(options) : undefined,
      start: descent ? (xy) => startAt(xy) : undefined,  // as a click there does
      get again() { return again; },
      toCanvas(kind, x, y) {
        const panel = data.rerun && data.rerun.panels.find((p) => p.kind === kind);
        return panel ? toCanvas(panel, x, y) : null;
      },
      turning: view3 ? {
        get elev() { return view3.elev; }, get azim() { return view3.azim; },
        get turned() { return turned; },
        turn: turnTo, project: view3.project, height: view3.height, pick: view3.pick,
        matrix: view3.matrix,
      } : undefined,
      ready: true,
    };
    window.gdviz = api;  // the page's one player (of several, the last to start)
    root.gdviz = api;
  }
  main().catch((e) => { readout.textContent = "gdviz: this page could not start: " + e; throw e; });
})();
