// "Run in this browser": a class-conditional student's few steps on ONNX Runtime Web (WebAssembly), with no server
// round trip once its graph is loaded. The server gives the student's plan (GET /api/models/NAME/browser: image shape,
// steps, class words) and its whole generation as one graph (GET /api/models/NAME/model.onnx: the network at each of
// its timesteps, the transitions and noise correction between them); the noise of a seed is the server's
// (org.imagineflash.random.Seeds), so a seed draws the server's image up to float rounding.
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
          // WebAssembly threads need a cross-origin-isolated page (the server sends COOP/COEP headers). Half the cores,
          // at most 4: on 2 cores a second thread made batch 1 slower and erratic (median 30–40 ms against a steady
          // 23.5 ms on one thread, docs/performance.md), as the pool waits on a thread the page or browser preempted.
          ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, Math.floor((navigator.hardwareConcurrency || 1) / 2))) : 1;
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

  // the student's whole generation, one graph (OnnxExport.student): x_T and the labels in, x̂_0 in [−1, 1] out
  async function sample(plan, session, labels, seeds) {
    const b = labels.length;
    const noiseT = new ort.Tensor('float32', noise(seeds, plan.channels * plan.size * plan.size), [b, plan.channels, plan.size, plan.size]);
    const cls = new ort.Tensor('int64', BigInt64Array.from(labels.map((l) => BigInt(l))), [b]);
    return (await session.run({ noise: noiseT, 'class': cls })).image.data;
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
