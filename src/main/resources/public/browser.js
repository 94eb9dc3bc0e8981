// "Run in this browser": a class-conditional student's few steps on ONNX Runtime Web (WebAssembly), with no server
// round trip once its graph is loaded. The server gives the student's plan (GET /api/models/NAME/browser: timesteps,
// α_t, σ_t, parameterization, noise correction) and its network (GET /api/models/NAME/model.onnx); the noise of a
// seed is the server's (org.imagineflash.random.Seeds), so a seed draws the server's image up to float rounding.
window.InBrowser = (function () {
  'use strict';
  const MASK = (1n << 64n) - 1n;
  const GOLDEN_GAMMA = 0x9E3779B97F4A7C15n;
  const loaded = {}; // model name → Promise of {plan, session}
  let runtime = null;

  // SplitMix64's finaliser on unsigned 64-bit BigInts (Seeds.mix64; Java's >>> is >> on a non-negative BigInt)
  function mix64(z) {
    z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & MASK;
    return z ^ (z >> 31n);
  }

  // java.util.SplittableRandom(seed) with Seeds.stream(seed, step, purpose)'s derivation of its seed
  function stream(seed, step, purpose) {
    let s = (mix64((mix64(mix64(BigInt.asUintN(64, BigInt(seed))) ^ BigInt(step)) + BigInt(purpose)) & MASK));
    return {
      nextDouble() {
        s = (s + GOLDEN_GAMMA) & MASK;
        return Number(mix64(s) >> 11n) * 2 ** -53;
      }
    };
  }

  // Seeds.gaussian: Box–Muller, two normals per pair of uniforms, rounded to float32
  function gaussian(r, n) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1.0 - r.nextDouble();
      const u2 = r.nextDouble();
      const rad = Math.sqrt(-2 * Math.log(u1));
      out[i] = rad * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = rad * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  // NoiseSource.perImage: image i's x_T from the stream of its own seed
  function noise(seeds, n) {
    const all = new Float32Array(seeds.length * n);
    seeds.forEach((s, i) => all.set(gaussian(stream(s, 0, 11), n), i * n));
    return all;
  }

  function loadRuntime() {
    if (!runtime) {
      runtime = new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/ort/ort.wasm.min.js';
        s.onload = () => {
          ort.env.wasm.wasmPaths = '/ort/';
          // WebAssembly threads need a cross-origin-isolated page (the server sends COOP/COEP headers)
          ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
          resolve(ort);
        };
        s.onerror = () => reject(new Error('ONNX Runtime Web is not installed in this build'));
        document.head.appendChild(s);
      });
    }
    return runtime;
  }

  // the student's plan and graph bytes, fetched once per model
  function load(model) {
    if (!loaded[model]) {
      loaded[model] = (async () => {
        await loadRuntime();
        const r = await fetch('/api/models/' + encodeURIComponent(model) + '/browser');
        const plan = await r.json();
        if (!r.ok) throw new Error(plan.error || ('error ' + r.status));
        const bytes = await (await fetch('/api/models/' + encodeURIComponent(model) + '/model.onnx')).arrayBuffer();
        return { plan, bytes, sessions: {} };
      })();
      loaded[model].catch(() => delete loaded[model]);
    }
    return loaded[model];
  }

  // one session per batch size: with the batch dimension fixed, ONNX Runtime plans every shape once
  function session(student, batch) {
    if (!student.sessions[batch]) {
      student.sessions[batch] = ort.InferenceSession.create(student.bytes, { executionProviders: ['wasm'],
        graphOptimizationLevel: 'all', freeDimensionOverrides: { batch } });
      student.sessions[batch].catch(() => delete student.sessions[batch]);
    }
    return student.sessions[batch];
  }

  // Prompts.classOfPartial: a whole name or synonym (articles, case, blanks and a plural s ignored), else a prefix
  // whose completions all name one class
  function classOf(plan, prompt) {
    const p = prompt.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^(a|an|the) (?=.)/, '');
    const names = plan.classes;
    if (p in names) return names[p];
    if (p.endsWith('s') && p.slice(0, -1) in names) return names[p.slice(0, -1)];
    const prefix = prompt.trim().replace(/\s+/g, ' ').toLowerCase();
    const ks = [...new Set(Object.keys(names).filter((s) => prefix && s.startsWith(prefix)).map((s) => names[s]))];
    if (ks.length === 1) return ks[0];
    throw new Error("unknown prompt '" + prompt + "'; known prompts: " + plan.classNames.join(', '));
  }

  // FewStepStudent.run: deterministic steps over the student's timesteps, noise correction at t = T, x̂_0 clipped
  async function sample(plan, session, labels, seeds) {
    const b = labels.length, n = plan.channels * plan.size * plan.size, T = plan.numTrainTimesteps;
    const xT = noise(seeds, n);
    let x = xT;
    const cls = new ort.Tensor('int64', BigInt64Array.from(labels.map((l) => BigInt(l))), [b]);
    const ts = plan.timesteps;
    for (let i = 0; i < ts.length; i++) {
      const t = new ort.Tensor('float32', new Float32Array(b).fill(ts[i]), [b]);
      const out = (await session.run({ x: new ort.Tensor('float32', x, [b, plan.channels, plan.size, plan.size]), t, 'class': cls })).out.data;
      const a = Math.fround(plan.alpha[i]), s = Math.fround(plan.sigma[i]);
      const x0 = new Float32Array(x.length), eps = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) {
        if (plan.parameterization === 'v') { x0[j] = a * x[j] - s * out[j]; eps[j] = s * x[j] + a * out[j]; }
        else if (plan.parameterization === 'eps') { x0[j] = (x[j] - s * out[j]) / a; eps[j] = out[j]; }
        else { x0[j] = out[j]; eps[j] = (x[j] - a * out[j]) / s; }
      }
      if (i === ts.length - 1) {
        for (let j = 0; j < x0.length; j++) x0[j] = Math.min(1, Math.max(-1, x0[j]));
        return x0;
      }
      const e = plan.noiseCorrection && i === 0 && ts[0] === T - 1 ? xT : eps;
      const an = Math.fround(plan.alpha[i + 1]), sn = Math.fround(plan.sigma[i + 1]);
      const next = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) {
        const c = plan.clipX0 ? Math.min(1, Math.max(-1, x0[j])) : x0[j];
        next[j] = c * an + e[j] * sn;
      }
      x = next;
    }
    return x;
  }

  // x in [−1, 1] → grey PNG data URLs, rounded as Generator.toBytes
  function toImages(plan, x, count) {
    const side = plan.size, n = side * side, urls = [], pixels = [];
    const canvas = document.createElement('canvas');
    canvas.width = side; canvas.height = side;
    const ctx = canvas.getContext('2d');
    for (let i = 0; i < count; i++) {
      const img = ctx.createImageData(side, side), grey = new Uint8Array(n);
      for (let p = 0; p < n; p++) {
        const v = Math.max(0, Math.min(255, Math.round((x[i * n * plan.channels + p] + 1) * 127.5)));
        grey[p] = v;
        img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v;
        img.data[4 * p + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      urls.push(canvas.toDataURL('image/png'));
      pixels.push(Array.from(grey));
    }
    return { urls, pixels };
  }

  // What the server's /api/generate answers, drawn here: images, class, timing
  async function generate(model, prompt, seed, count) {
    const student = await load(model);
    const plan = student.plan;
    const k = classOf(plan, prompt);
    const seeds = Array.from({ length: count }, (_, i) => seed + i);
    const run = await session(student, count);
    const t0 = performance.now();
    const x = await sample(plan, run, new Array(count).fill(k), seeds);
    const ms = performance.now() - t0;
    const drawn = toImages(plan, x, count);
    return { threads: ort.env.wasm.numThreads, images: drawn.urls, pixels: drawn.pixels, 'class': k, className: plan.classNames[k], prompt: plan.classNames[k],
      model, seed, steps: plan.timesteps.length, nfe: plan.timesteps.length, msPerImage: ms / count, kind: 'student, in this browser' };
  }

  return { generate, load, noise, stream };
})();
