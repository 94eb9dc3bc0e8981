// Generate-as-you-type client: debounced requests, stale answers dropped, timing and NFE shown per panel. A text model
// draws the longest whole caption typed so far (the server resolves it), so the picture changes as the sentence grows.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const prompt = $('prompt'), model = $('model'), model2 = $('model2'), steps = $('steps'), seed = $('seed'), n = $('n'),
    compare = $('compare'), inBrowser = $('inbrowser'), status = $('status');
  const DEBOUNCE_MS = 150;
  let models = [];
  let timer = null;
  const latest = { panel1: 0, panel2: 0 };     // request counter per panel: older answers are dropped
  const inflight = { panel1: null, panel2: null };

  function option(m) {
    const o = document.createElement('option');
    o.value = m.name;
    o.textContent = m.name + ' (' + (m.text ? 'text, ' : '') + m.kind + ', ' + m.defaultSteps + ' steps, NFE ' + m.nfe + ')';
    return o;
  }

  async function loadModels() {
    const r = await fetch('/api/models');
    models = (await r.json()).filter((m) => m.available);
    for (const m of models) { model.appendChild(option(m)); model2.appendChild(option(m)); }
    const wanted = new URLSearchParams(location.search).get('model');
    const def = models.find((m) => m.name === wanted) || models.find((m) => m.default) || models[0];
    model.value = def.name;
    syncSteps();
  }

  // the comparison panel shows a teacher of the same kind (class or text) as the chosen model
  function pickCompanion() {
    const m = byName(model.value);
    if (!m) return;
    const same = models.filter((x) => !!x.text === !!m.text && x.name !== m.name);
    const teacher = same.find((x) => x.kind === 'teacher');
    if (teacher || same.length) model2.value = (teacher || same[same.length - 1]).name;
  }

  function byName(name) { return models.find((m) => m.name === name); }

  function syncSteps() {
    const m = byName(model.value);
    if (!m) return;
    inBrowser.disabled = !m.browser;
    steps.max = m.maxSteps;
    steps.value = m.defaultSteps;
    prompt.placeholder = m.text ? 'e.g. a red sneaker left of a blue bag' : 'e.g. sneaker';
    pickCompanion();
  }

  async function suggest() {
    const r = await fetch('/api/prompts?prefix=' + encodeURIComponent(prompt.value) + '&model=' + encodeURIComponent(model.value));
    if (!r.ok) return;
    const list = await r.json();
    const dl = $('suggestions');
    dl.innerHTML = '';
    for (const s of list.slice(0, 12)) { const o = document.createElement('option'); o.value = s; dl.appendChild(o); }
  }

  // the student itself in this page (browser.js), when asked for and the model can: no server round trip
  function runsHere(panelId, modelName) {
    const m = byName(modelName);
    return panelId === 'panel1' && inBrowser.checked && m && m.browser && (!steps.value || Number(steps.value) === m.defaultSteps);
  }

  async function answer(panelId, modelName, stepsValue, id) {
    if (runsHere(panelId, modelName)) {
      try {
        return { ok: true, data: await InBrowser.generate(modelName, prompt.value, Number(seed.value) || 0, Number(n.value) || 1) };
      } catch (e) {
        return { ok: false, data: { error: e.message } };
      }
    }
    if (inflight[panelId]) inflight[panelId].abort();
    const ctrl = new AbortController();
    inflight[panelId] = ctrl;
    const body = { prompt: prompt.value, model: modelName, seed: Number(seed.value) || 0, n: Number(n.value) || 1 };
    if (stepsValue) body.steps = Number(stepsValue);
    const r = await fetch('/api/generate', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body), signal: ctrl.signal });
    return { ok: r.ok, data: await r.json(), status: r.status };
  }

  async function request(panelId, modelName, stepsValue) {
    const panel = $(panelId);
    const id = ++latest[panelId];
    let r;
    try {
      r = await answer(panelId, modelName, stepsValue, id);
    } catch (e) {
      if (e.name !== 'AbortError') status.textContent = 'network error: ' + e.message;
      return;
    }
    const data = r.data;
    if (id !== latest[panelId]) return; // a newer request was sent meanwhile: drop this answer
    if (!r.ok) { status.textContent = data.error || ('error ' + r.status); return; }
    status.textContent = '';
    panel.dataset.engine = runsHere(panelId, modelName) ? 'browser' : 'server';
    panel.querySelector('.title').textContent = data.prompt + ' — ' + data.model;
    panel.dataset.prompt = data.prompt;
    const box = panel.querySelector('.images');
    box.innerHTML = '';
    data.images.forEach((src, i) => {
      const img = document.createElement('img');
      img.src = src;
      img.alt = data.prompt + ' #' + (data.seed + i);
      img.dataset.className = data.className;
      if (data['class'] !== null) img.dataset.classIndex = data['class'];
      box.appendChild(img);
    });
    panel.querySelector('.timing').textContent =
      data.msPerImage.toFixed(1) + ' ms/image · NFE ' + data.nfe + ' · ' + data.steps + ' steps · ' + data.kind;
    panel.dataset.model = data.model;
  }

  function refresh() {
    if (!prompt.value.trim()) return;
    request('panel1', model.value, steps.value);
    $('panel2').hidden = !compare.checked;
    if (compare.checked) request('panel2', model2.value, null);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  prompt.addEventListener('input', () => { suggest(); schedule(); });
  model.addEventListener('change', () => { syncSteps(); schedule(); });
  for (const el of [model2, steps, seed, n, compare, inBrowser]) el.addEventListener('change', schedule);
  loadModels().then(schedule).catch((e) => { status.textContent = 'could not load models: ' + e.message; });
})();
