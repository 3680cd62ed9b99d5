// The page's re-runs: a formula gdviz parsed (`Expression.tree`), its value and gradient, and
// the updates of torch.optim, so that a run started in the page is the run gdviz.train makes.
//
// The trainer works in torch's float32: every tensor operation rounds its result to float32.
// Here each operation does the same (Math.fround), in the order torch does them, and where
// torch's CPU kernels fuse a multiply and an add into one rounding (add with alpha, addcmul,
// lerp, tanh's derivative) the result is rounded once too. Only the transcendental functions
// and the square root differ at times in the last bit (torch's vectorised versions are within
// an ulp, not correctly rounded). A run recorded in float64 is re-run in float64.
//
// The gradient is reverse-mode over the tree, with torch's own derivative formulas, and the
// contributions of each parameter's occurrences summed in the order torch's autograd sums them
// (last occurrence first).

function descentOf(tree, single) {
  "use strict";
  const R = single ? Math.fround : (v) => v;
  const F = single ? (a, b, c) => Math.fround(a * b + c) : (a, b, c) => a * b + c;

  function powScalar(a, e) {  // torch.pow(tensor, number): its special cases, then powf
    if (e === 0) return 1;
    if (e === 1) return a;
    if (e === 0.5) return R(Math.sqrt(a));
    if (e === -0.5) return R(1 / R(Math.sqrt(a)));
    if (e === -1) return R(1 / a);
    if (e === 2) return R(a * a);
    if (e === 3) return R(R(a * a) * a);
    if (e === -2) return R(1 / R(a * a));
    return R(Math.pow(a, e));  // std::pow(float, double), as torch calls it
  }

  // A node's result: a number (a constant) or an entry on the tape {v, g, back}.
  function forward(node, p, tape) {
    const op = node[0];
    if (op === "num") return Number(node[1]);
    if (op === "var") {
      const leaf = { v: p[node[1]], g: 0, slot: node[1] };
      tape.push(leaf);
      return leaf;
    }
    const a = forward(node[1], p, tape);
    const b = node.length > 2 ? forward(node[2], p, tape) : null;
    const put = (v, back) => { const t = { v, g: 0, back }; tape.push(t); return t; };
    const num = (x) => typeof x === "number";
    switch (op) {
      case "+":
        if (num(a)) return put(R(b.v + R(a)), (g) => { b.g = g; });
        if (num(b)) return put(R(a.v + R(b)), (g) => { a.g = g; });
        return put(R(a.v + b.v), (g) => { a.g = g; b.g = g; });
      case "-":
        if (num(a)) return put(R(R(a) - b.v), (g) => { b.g = -g; });
        if (num(b)) return put(R(a.v - R(b)), (g) => { a.g = g; });
        return put(R(a.v - b.v), (g) => { a.g = g; b.g = -g; });
      case "*":
        if (num(a)) return put(R(b.v * R(a)), (g) => { b.g = R(g * R(a)); });
        if (num(b)) return put(R(a.v * R(b)), (g) => { a.g = R(g * R(b)); });
        return put(R(a.v * b.v), (g) => { a.g = R(g * b.v); b.g = R(g * a.v); });
      case "/":
        if (num(a)) {  // torch: number / tensor is tensor.reciprocal() * number
          const r = put(R(1 / b.v), (g) => { b.g = R(-g * R(r.v * r.v)); });
          return put(R(r.v * R(a)), (g) => { r.g = R(g * R(a)); });
        }
        if (num(b)) return put(R(a.v / R(b)), (g) => { a.g = R(g / R(b)); });
        return put(R(a.v / b.v), (g) => {
          a.g = R(g / b.v);
          b.g = R(-g * R(R(a.v / b.v) / b.v));
        });
      case "**":
        if (num(b)) {
          return put(powScalar(a.v, b), (g) => {
            a.g = b === 0 ? 0 : R(g * R(powScalar(a.v, b - 1) * R(b)));
          });
        }
        if (num(a)) {
          const out = a === 1 ? 1 : R(Math.pow(R(a), b.v));
          return put(out, (g) => {
            b.g = a === 0 && b.v >= 0 ? 0 : R(g * R(out * R(Math.log(a))));
          });
        }
        {
          const out = R(Math.pow(a.v, b.v));
          return put(out, (g) => {
            a.g = b.v === 0 ? 0 : R(g * R(b.v * R(Math.pow(a.v, R(b.v - 1)))));
            b.g = a.v === 0 && b.v >= 0 ? 0 : R(g * R(out * R(Math.log(a.v))));
          });
        }
      case "neg": return put(-a.v, (g) => { a.g = -g; });
      case "sin": return put(R(Math.sin(a.v)), (g) => { a.g = R(g * R(Math.cos(a.v))); });
      case "cos": return put(R(Math.cos(a.v)), (g) => { a.g = R(g * -R(Math.sin(a.v))); });
      case "tan": {
        const t = put(R(Math.tan(a.v)), (g) => { a.g = R(g * R(1 + R(t.v * t.v))); });
        return t;
      }
      case "exp": {
        const t = put(R(Math.exp(a.v)), (g) => { a.g = R(g * t.v); });
        return t;
      }
      case "log": return put(R(Math.log(a.v)), (g) => { a.g = R(g / a.v); });
      case "sqrt": {
        const t = put(R(Math.sqrt(a.v)), (g) => { a.g = R(g / R(2 * t.v)); });
        return t;
      }
      case "abs": return put(Math.abs(a.v), (g) => { a.g = R(g * Math.sign(a.v)); });
      case "tanh": {
        const t = put(R(Math.tanh(a.v)), (g) => { a.g = R(g * F(-t.v, t.v, 1)); });
        return t;
      }
      default: throw new Error("gdviz: the page does not know the operation " + op);
    }
  }

  // The value at p and its gradient (length 2), as torch computes them.
  function valueAndGrad(p) {
    const tape = [];
    const top = forward(tree, p, tape);
    const grad = [0, 0], seen = [false, false];
    if (typeof top === "number") return [R(top), grad];
    top.g = 1;
    for (let i = tape.length - 1; i >= 0; i--) {
      const t = tape[i];
      if (t.back) { t.back(t.g); continue; }
      grad[t.slot] = seen[t.slot] ? R(grad[t.slot] + t.g) : t.g;  // autograd's order
      seen[t.slot] = true;
    }
    return [top.v, grad];
  }

  // torch's lerp: a + w (b - a) for a small weight, else b - (b - a)(1 - w), each fused.
  function lerp(a, b, w) {
    w = R(w);
    return w < 0.5 ? F(w, R(b - a), a) : F(-R(b - a), R(1 - w), b);
  }

  // One update of the parameters p in place: gdviz's optimisers, torch.optim's defaults
  // (single-tensor implementations, as torch runs them on the CPU).
  const OPTIMIZERS = {
    gd: (o) => (p, g) => {  // the tutorials' p -= lr * p.grad
      for (let i = 0; i < p.length; i++) p[i] = R(p[i] - R(g[i] * R(o.lr)));
    },
    momentum: (o) => sgd(o, false),
    nesterov: (o) => sgd(o, true),
    adam: (o) => {
      const b1 = o.beta === undefined ? 0.9 : o.beta, b2 = 0.999, eps = 1e-8;
      const m = [0, 0], v = [0, 0];
      let t = 0;
      return (p, g) => {
        t += 1;
        const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        const size = o.lr / bc1, root = Math.pow(bc2, 0.5);
        for (let i = 0; i < p.length; i++) {
          m[i] = lerp(m[i], g[i], 1 - b1);
          v[i] = F(R(R(1 - b2) * g[i]), g[i], R(v[i] * R(b2)));
          const denom = R(R(R(Math.sqrt(v[i])) / R(root)) + R(eps));
          p[i] = R(p[i] + R(R(R(-size) * m[i]) / denom));
        }
      };
    },
    rmsprop: (o) => {
      const alpha = 0.99, eps = 1e-8, v = [0, 0];
      return (p, g) => {
        for (let i = 0; i < p.length; i++) {
          v[i] = F(R(R(1 - alpha) * g[i]), g[i], R(v[i] * R(alpha)));
          const avg = R(R(Math.sqrt(v[i])) + R(eps));
          p[i] = R(p[i] + R(R(R(-o.lr) * g[i]) / avg));
        }
      };
    },
    adagrad: (o) => {
      const eps = 1e-10, sum = [0, 0];
      return (p, g) => {
        for (let i = 0; i < p.length; i++) {
          sum[i] = F(g[i], g[i], sum[i]);
          const std = R(R(Math.sqrt(sum[i])) + R(eps));
          p[i] = R(p[i] + R(R(R(-o.lr) * g[i]) / std));
        }
      };
    },
  };

  function sgd(o, nesterov) {  // torch.optim.SGD with momentum (0.9 unless o.beta), dampening 0
    const mu = o.beta === undefined ? 0.9 : o.beta;
    let buf = null;
    return (p, g) => {
      if (buf === null) buf = g.slice();
      else for (let i = 0; i < p.length; i++) buf[i] = R(R(buf[i] * R(mu)) + g[i]);
      for (let i = 0; i < p.length; i++) {
        const d = nesterov ? F(R(mu), buf[i], g[i]) : buf[i];
        p[i] = F(R(-o.lr), d, p[i]);
      }
    };
  }

  // steps + 1 rows [x, y, loss]: snapshot 0 the start, each later one after an update; like
  // gdviz.train, a run stops before its first snapshot that is not finite.
  function rerun(options) {
    const make = OPTIMIZERS[options.optimizer];
    if (!make) {
      throw new Error("gdviz: optimizer " + JSON.stringify(options.optimizer) + " is not one of "
        + Object.keys(OPTIMIZERS).join(", "));
    }
    const lr = Number(options.lr), steps = Math.round(Number(options.steps));
    if (!(lr > 0) || !(steps >= 0)) throw new Error("gdviz: lr must be > 0 and steps >= 0");
    const beta = options.beta === undefined || options.beta === null
      ? undefined : Number(options.beta);
    const update = make({ lr, beta });
    const p = options.start.map((v) => R(Number(v)));
    const rows = [];
    for (let t = 0; t <= steps; t++) {
      const [value, grad] = valueAndGrad(p);
      if (![p[0], p[1], value].every(isFinite)) break;
      rows.push([p[0], p[1], value]);
      if (t < steps) update(p, grad);
    }
    return rows;
  }

  return { rerun, valueAndGrad, optimizers: Object.keys(OPTIMIZERS) };
}
