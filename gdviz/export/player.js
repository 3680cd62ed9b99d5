(function () {
  "use strict";
  const TYPES = { f4: Float32Array, f8: Float64Array, i4: Int32Array, u1: Uint8Array };
  const root = document.currentScript.parentElement;
  const $ = (name) => root.querySelector('[data-gdviz="' + name + '"]');
  const data = JSON.parse($("data").textContent);
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  const slider = $("slider"), readout = $("readout"), play = $("play"), speed = $("speed");
  const tip = $("tip");
  $("still").remove(); // the script runs: the player, not the still a viewer without one shows
  $("live").hidden = false;

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

  function marker(kind, x, y, size) {
    const r = size / 2;
    ctx.beginPath();
    if (kind === "o" || kind === ".") { ctx.arc(x, y, r, 0, 2 * Math.PI); return true; }
    if (kind === "*") {  // matplotlib's star: five points, the inner radius 0.382 of the outer
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + i * Math.PI / 5, q = i % 2 ? 0.381966 * r : r;
        if (i) ctx.lineTo(x + q * Math.cos(a), y + q * Math.sin(a));
        else ctx.moveTo(x + q * Math.cos(a), y + q * Math.sin(a));
      }
      ctx.closePath();
      return true;
    }
    const tri = { "^": [0, -1, -1, 1, 1, 1], "v": [0, 1, -1, -1, 1, -1],
                  "<": [-1, 0, 1, -1, 1, 1], ">": [1, 0, -1, -1, -1, 1] }[kind];
    if (!tri) return false;
    ctx.moveTo(x + tri[0] * r, y + tri[1] * r);
    ctx.lineTo(x + tri[2] * r, y + tri[3] * r);
    ctx.lineTo(x + tri[4] * r, y + tri[5] * r);
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
    const kind = t.markers[t.marker[j]];
    if (!kind || kind === "None" || kind === "" || t.size <= 0) return;
    ctx.setLineDash([]);
    for (const [x, y] of xs) {
      if (!isFinite(x) || !isFinite(y)) continue;
      if (!marker(kind, x, y, t.size)) continue;
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

  function arrow(t, j) {
    const [x0, y0, x1, y1] = t.ends.subarray(4 * j, 4 * j + 4);
    if (![x0, y0, x1, y1].every(isFinite)) return;
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len === 0) return;
    const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    const [hl, hw] = t.head;
    const bx = x1 - ux * Math.min(hl, len), by = y1 - uy * Math.min(hl, len);
    ctx.setLineDash(t.dashed[j] ? [3 * t.width, 2 * t.width] : []);
    ctx.lineCap = "butt";
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(bx, by);
    stroke(t, t.width);
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(bx - uy * hw, by + ux * hw);
    ctx.lineTo(bx + uy * hw, by - ux * hw);
    ctx.closePath();
    if (t.outline) { ctx.lineWidth = t.outline.width; ctx.strokeStyle = t.outline.color; ctx.stroke(); }
    ctx.fillStyle = t.color; ctx.fill();
    ctx.lineWidth = t.width; ctx.strokeStyle = t.color; ctx.stroke();
  }

  function text(t, j) {
    const lines = t.texts[t.index[j]].split("\n");
    ctx.font = t.size + "px sans-serif";
    const h = t.size * 1.2;
    const w = Math.max(...lines.map((s) => ctx.measureText(s).width));
    let x = t.at[0], y = t.at[1];
    if (t.ha === "center") x -= w / 2; else if (t.ha === "right") x -= w;
    if (t.va === "bottom" || t.va === "baseline") y -= h * lines.length;
    else if (t.va === "center") y -= h * lines.length / 2;
    if (t.box) { ctx.fillStyle = t.box; ctx.fillRect(x - 2, y - 1, w + 4, h * lines.length + 2); }
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

  function draw(j) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (const t of data.tracks) {
      if (!t.visible[j]) continue;
      ctx.save();
      if (t.clip) { ctx.beginPath(); ctx.rect(...t.clip); ctx.clip(); }
      DRAW[t.type](t, j);
      ctx.restore();
    }
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
    readout.textContent = lines.join("\n");
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
    const img = $("background");
    img.src = data.background;
    img.width = canvas.width = data.width;
    img.height = canvas.height = data.height;
    if (data.overlay) {  // what stays still over the moving parts: legends, stars
      const over = $("overlay");
      over.src = data.overlay;
      over.width = data.width;
      over.height = data.height;
      over.hidden = false;
    }
    data.tracks.sort((a, b) => a.z - b.z);
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
    window.gdviz = {
      show, get step() { return current; }, count: data.count, data,
      point(track, j) {  // where track's current point is drawn at snapshot j (canvas pixels)
        const t = data.tracks[track];
        if (t.kind === "prefix") return [t.tail[2 * j], t.tail[2 * j + 1]];
        const width = t.data.length / (2 * t.count.length);
        return [t.data[j * width * 2], t.data[j * width * 2 + 1]];
      },
      ready: true,
    };
  }
  main().catch((e) => { readout.textContent = "gdviz: this page could not start: " + e; throw e; });
})();
