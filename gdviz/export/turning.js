// The 3-D page that turns (gdviz.export.turning): a camera built as matplotlib's
// Axes3D.get_proj builds it, with the elevation and azimuth a drag sets, and the scene drawn on
// the canvas once the camera has left matplotlib's: the box's far panes with their grid, a coarse
// mesh of the surface painted back to front in matplotlib's colours, the tick labels and axis
// names on the near edges, and the minima's stars. Paths are projected through the same camera.

function turningOf(turn, ctx, scale) {
  "use strict";
  const cam = turn.camera;
  const [x0, x1, y0, y1, z0, z1] = cam.limits;
  const [ax, ay, az] = cam.aspect;
  const rad = Math.PI / 180;
  let elev = cam.elev, azim = cam.azim, M = null, sorted = null, corners = null;
  const nx = turn.xs.length, ny = turn.ys.length;

  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
    a[0] * b[1] - a[1] * b[0]];
  const unit = (a) => { const n = Math.hypot(a[0], a[1], a[2]); return [a[0] / n, a[1] / n, a[2] / n]; };
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const mul = (A, B) => A.map((row) => B[0].map((_, j) => row.reduce((s, v, k) => s + v * B[k][j], 0)));

  // matplotlib's get_proj: the data box to [0, aspect], the eye on a sphere round its middle,
  // the view axes u (right), v (up), w (out of the screen), then the perspective.
  function matrix() {
    const world = [
      [ax / (x1 - x0), 0, 0, -x0 * ax / (x1 - x0)],
      [0, ay / (y1 - y0), 0, -y0 * ay / (y1 - y0)],
      [0, 0, az / (z1 - z0), -z0 * az / (z1 - z0)],
      [0, 0, 0, 1],
    ];
    const R = [ax / 2, ay / 2, az / 2];
    const e = elev * rad, a = azim * rad;
    const ps = [Math.cos(e) * Math.cos(a), Math.cos(e) * Math.sin(a), Math.sin(e)];
    const eye = R.map((r, i) => r + cam.dist * ps[i]);
    const upright = Math.abs(((elev + 180) % 360 + 360) % 360 - 180) <= 90;
    const w = unit(sub(eye, R));
    let u = unit(cross([0, 0, upright ? 1 : -1], w)), v = cross(w, u);
    if (cam.roll) {  // a positive roll of the camera turns the world the other way
      const t = -cam.roll * rad, c = Math.cos(t), s = Math.sin(t);
      const turnAbout = (p) => {  // Rodrigues' rotation about w
        const k = cross(w, p), d = dot(w, p);
        return p.map((pi, i) => pi * c + k[i] * s + w[i] * d * (1 - c));
      };
      u = turnAbout(u); v = turnAbout(v);
    }
    const far = cam.focal === null || !isFinite(cam.focal);
    const f = far ? 1 : cam.focal;
    const at = R.map((r, i) => r + cam.dist * ps[i] * f);
    const view = [
      [...u, -dot(u, at)], [...v, -dot(v, at)], [...w, -dot(w, at)], [0, 0, 0, 1],
    ];
    const d = cam.dist;
    const proj = far
      ? [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, -2, 0], [0, 0, 0, 2 * d]]
      : [[f, 0, 0, 0], [0, f, 0, 0], [0, 0, 0, -d], [0, 0, -1, 0]];
    return mul(proj, mul(view, world));
  }

  // Canvas pixels (y down) and depth (larger: farther) of a point in data coordinates.
  function project(x, y, z) {
    const h = M[3][0] * x + M[3][1] * y + M[3][2] * z + M[3][3];
    const px = (M[0][0] * x + M[0][1] * y + M[0][2] * z + M[0][3]) / h;
    const py = (M[1][0] * x + M[1][1] * y + M[1][2] * z + M[1][3]) / h;
    const pz = (M[2][0] * x + M[2][1] * y + M[2][2] * z + M[2][3]) / h;
    const m = turn.map;
    return [m[0][0] * px + m[0][1] * py + m[0][2], m[1][0] * px + m[1][1] * py + m[1][2], pz];
  }

  // The mesh's corners projected, and its quads from the farthest to the nearest.
  function place() {
    M = matrix();
    corners = new Float64Array(nx * ny * 3);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const p = project(turn.xs[i], turn.ys[j], turn.zs[j * nx + i]);
        corners.set(p, 3 * (j * nx + i));
      }
    }
    const quads = [];
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        const k = [j * nx + i, j * nx + i + 1, (j + 1) * nx + i + 1, (j + 1) * nx + i];
        const depth = k.reduce((s, c) => s + corners[3 * c + 2], 0) / 4;
        quads.push([depth, j * (nx - 1) + i, k]);
      }
    }
    sorted = quads.sort((a, b) => b[0] - a[0]);
  }

  function line(points, color, width) {
    ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.stroke();
  }

  const limits = [[x0, x1], [y0, y1], [z0, z1]];
  // The far pane of each axis (the box's side away from the eye), with grid lines at its ticks.
  function panes() {
    for (let k = 0; k < 3; k++) {
      const a = (k + 1) % 3, b = (k + 2) % 3;
      const faces = [0, 1].map((side) => {
        const q = [[0, 0], [1, 0], [1, 1], [0, 1]].map(([s, t]) => {
          const p = [0, 0, 0];
          p[k] = limits[k][side]; p[a] = limits[a][s]; p[b] = limits[b][t];
          return project(...p);
        });
        return [q.reduce((s, c) => s + c[2], 0) / 4, q, side];
      });
      const [, q, side] = faces[0][0] > faces[1][0] ? faces[0] : faces[1];
      ctx.beginPath();
      q.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = "rgba(242,242,242,1)"; ctx.fill();
      ctx.setLineDash([]);
      for (const g of [a, b]) {
        const other = g === a ? b : a;
        for (const [value] of turn.axes[g].ticks) {
          const p = [0, 0, 0], r = [0, 0, 0];
          p[k] = r[k] = limits[k][side]; p[g] = r[g] = value;
          p[other] = limits[other][0]; r[other] = limits[other][1];
          line([project(...p), project(...r)], "rgba(176,176,176,1)", 0.8 * scale);
        }
      }
      line([...q, q[0]], "rgba(160,160,160,1)", 0.8 * scale);
    }
  }

  function mesh() {
    const c = turn.colours;
    for (const [, n, k] of sorted) {
      ctx.beginPath();
      for (let m = 0; m < 4; m++) {
        const x = corners[3 * k[m]], y = corners[3 * k[m] + 1];
        if (m) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      }
      ctx.closePath();
      const colour = "rgb(" + c[3 * n] + "," + c[3 * n + 1] + "," + c[3 * n + 2] + ")";
      ctx.fillStyle = colour; ctx.fill();
      ctx.strokeStyle = colour; ctx.lineWidth = 0.6; ctx.stroke();  // no seams between quads
    }
  }

  // Ticks and names on the near floor edges (x, y) and on a side corner's upright edge (z),
  // as matplotlib places them at its own angle.
  function labels() {
    const centre = project((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2);
    const edges = [];
    for (const k of [0, 1]) {  // the floor edge along k nearer the eye
      const other = k === 0 ? 1 : 0;
      const pick = [0, 1].map((s) => {
        const ends = [0, 1].map((e) => {
          const p = [0, 0, 0];
          p[k] = limits[k][e]; p[other] = limits[other][s]; p[2] = z0;
          return p;
        });
        const mid = project(...ends[0].map((v, i) => (v + ends[1][i]) / 2));
        return [mid[2], s];
      });
      const s = pick[0][0] < pick[1][0] ? pick[0][1] : pick[1][1];
      edges.push((value) => { const p = [0, 0, z0]; p[k] = value; p[other] = limits[other][s]; return p; });
    }
    {  // z: of the two corners beside the nearest and farthest, the one more to the right
      const cs = [[0, 0], [0, 1], [1, 0], [1, 1]].map(([i, j]) => {
        const p = project(limits[0][i], limits[1][j], z0);
        return [p[2], p[0], i, j];
      }).sort((a, b) => a[0] - b[0]);
      const side = [cs[1], cs[2]].sort((a, b) => b[1] - a[1])[0];
      edges.push((value) => [limits[0][side[2]], limits[1][side[3]], value]);
    }
    ctx.fillStyle = "#222";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    edges.forEach((at, k) => {
      const info = turn.axes[k];
      const mid = project(...at((limits[k][0] + limits[k][1]) / 2));
      let dx = mid[0] - centre[0], dy = mid[1] - centre[1];
      const n = Math.hypot(dx, dy) || 1;
      dx /= n; dy /= n;
      ctx.font = turn.font + "px sans-serif";
      line([project(...at(limits[k][0])), project(...at(limits[k][1]))], "#444", 0.8 * scale);
      let wide = 0;
      ctx.textAlign = "center";
      for (const [value, text] of info.ticks) {
        const p = project(...at(value));
        ctx.fillText(text, p[0] + dx * 1.6 * turn.font, p[1] + dy * 1.6 * turn.font);
        wide = Math.max(wide, ctx.measureText(text).width);
      }
      // the name beyond the tick labels, reading away from the box where it lies to a side
      const away = 1.6 * turn.font + Math.abs(dx) * wide / 2 + 1.4 * turn.font;
      ctx.textAlign = Math.abs(dx) < 0.5 ? "center" : dx > 0 ? "left" : "right";
      ctx.fillText(info.name, mid[0] + dx * away, mid[1] + dy * away);
    });
  }

  function stars() {
    for (const [x, y, z] of turn.minima) {
      const [px, py] = project(x, y, z + turn.height.lift);
      ctx.beginPath();
      const r = 9 * scale;  // matplotlib's ms=18: a hollow star on a white halo
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + i * Math.PI / 5, q = i % 2 ? 0.381966 * r : r;
        if (i) ctx.lineTo(px + q * Math.cos(a), py + q * Math.sin(a));
        else ctx.moveTo(px + q * Math.cos(a), py + q * Math.sin(a));
      }
      ctx.closePath();
      ctx.lineJoin = "round";
      ctx.lineWidth = 3.4 * scale; ctx.strokeStyle = "white"; ctx.stroke();
      ctx.lineWidth = 1.4 * scale; ctx.strokeStyle = "black"; ctx.stroke();
    }
  }

  // The height a loss is drawn at, as the surface view lifts it (NaN outside the box).
  function height(x, y, loss) {
    if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1)) return NaN;
    const hh = turn.height;
    const z = hh.log ? Math.log10(Math.max(loss, 0) + hh.soft) : loss;
    return z > z1 ? NaN : Math.max(z, hh.floor) + hh.lift;  // above the box: not drawn
  }

  // The data point (x, y) of the surface under canvas pixel (mx, my), nearest the eye; or null.
  function pick(mx, my) {
    for (let q = sorted.length - 1; q >= 0; q--) {
      const k = sorted[q][2];
      for (const tri of [[0, 1, 2], [0, 2, 3]]) {
        const [a, b, c] = tri.map((m) => k[m]);
        const ax_ = corners[3 * a], ay_ = corners[3 * a + 1];
        const bx = corners[3 * b] - ax_, by = corners[3 * b + 1] - ay_;
        const cx = corners[3 * c] - ax_, cy = corners[3 * c + 1] - ay_;
        const px = mx - ax_, py = my - ay_;
        const det = bx * cy - by * cx;
        if (!det) continue;
        const s = (px * cy - py * cx) / det, t = (bx * py - by * px) / det;
        if (s < 0 || t < 0 || s + t > 1) continue;
        const at = (c3) => [turn.xs[c3 % nx], turn.ys[Math.floor(c3 / nx)]];
        const [pa, pb, pc] = [a, b, c].map(at);
        return [pa[0] + s * (pb[0] - pa[0]) + t * (pc[0] - pa[0]),
          pa[1] + s * (pb[1] - pa[1]) + t * (pc[1] - pa[1])];
      }
    }
    return null;
  }

  // The tracks' canvas points, from their 3-D points, through the camera now.
  function reproject(tracks) {
    const onto = (xyz, n) => {
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const p = project(xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]);
        out[2 * i] = p[0]; out[2 * i + 1] = p[1];
      }
      return out;
    };
    for (const t of tracks) {
      if (t.points3) {
        t.points = onto(t.points3, t.points3.length / 3);
        t.tail = onto(t.tail3, t.tail3.length / 3);
      } else if (t.data3) {
        t.data = onto(t.data3, t.data3.length / 3);
      }
    }
  }

  place();
  return {
    get elev() { return elev; },
    get azim() { return azim; },
    turn(e, a) { elev = Math.max(-90, Math.min(90, e)); azim = a; place(); },
    matrix: () => M.map((row) => row.slice()),
    project, height, pick, reproject,
    draw() {
      ctx.save();
      ctx.beginPath(); ctx.rect(...turn.clip); ctx.clip();
      panes(); mesh();
      ctx.restore();
      labels();
    },
    drawOver: stars,  // over the paths, as matplotlib lays them
  };
}
