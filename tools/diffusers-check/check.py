#!/usr/bin/env python3
"""Runs diffusers' own scheduler code through the scheduler-test protocol that `imagine-flash schedule --conformance`
implements, for a list of configurations, and compares the figures with the Java samplers'.

The protocol (diffusers tests/schedulers/test_schedulers.py): the sample arange(768)/768 reshaped to (3, 8, 8, 4) and
permuted to (4, 3, 8, 8), the toy model F(x, t) = x·t/(t+1) (`dummy_model`), and the full loop of the scheduler tests
as a pipeline runs it: x = sample·init_noise_sigma, then per timestep F(scale_model_input(x, t), t) and
x = step(F, t, x).prev_sample. (diffusers' Euler test feeds the scaled sample back into step(); a pipeline, and the Java
sampler, keep the unscaled one.)

Stochastic steps draw their noise through diffusers' randn_tensor; the shim lets this script replace it by the Java
sampler's noise stream (NoiseSource: SplittableRandom seeded through Seeds.stream(seed, 0, 7), Box–Muller, float32),
so DDPM, DDIM with η > 0, LCM and TCD with γ > 0 are compared value for value too.

Usage:
  check.py --diffusers DIR [--only NAME,...]     run diffusers' schedulers (needs torch, numpy); JSON lines on stdout
  check.py --java-args                           one line per configuration: NAME<TAB>imagine-flash arguments
  check.py --compare DIFFUSERS.jsonl JAVA.jsonl  table of both and whether they agree (relative tolerance 1e-3)

DIR holds diffusers' unchanged scheduler files: scheduling_utils.py, scheduling_ddim.py, scheduling_ddpm.py,
scheduling_euler_discrete.py, scheduling_dpmsolver_multistep.py, scheduling_lcm.py, scheduling_tcd.py.
"""
import argparse
import importlib
import json
import math
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------------------------
# Configurations. Keys: sampler (Java name), steps, beta (schedule), spacing (None: the scheduler's default),
# offset, rescale (zero terminal SNR), pred (eps | v | x0), eta (DDIM), clip, alpha_one (set_alpha_to_one),
# lof (lower_order_final), final ("zero" | "sigma"), gamma (TCD), orig (original_inference_steps), seed.
# ---------------------------------------------------------------------------------------------------------------
DEFAULTS = dict(steps=10, beta="linear", spacing=None, offset=0, rescale=False, pred="eps", eta=0.0, clip=True,
                alpha_one=True, lof=True, final="zero", gamma=0.3, orig=50, seed=0)


def _c(name, sampler, **kw):
    c = dict(DEFAULTS)
    c.update(kw)
    c["sampler"] = sampler
    c["name"] = name
    return c


CONFIGS = [
    # DDIM (diffusers' default spacing: leading)
    _c("ddim-linear-leading-10-eps-clip", "ddim"),
    _c("ddim-linear-leading-1-eps", "ddim", steps=1),
    _c("ddim-linear-leading-4-eps", "ddim", steps=4),
    _c("ddim-linear-leading-25-eps", "ddim", steps=25),
    _c("ddim-sd-leading+1-10-eps-noclip-a0", "ddim", beta="scaled_linear", offset=1, clip=False, alpha_one=False),
    _c("ddim-sd-leading+1-10-v-noclip-a0", "ddim", beta="scaled_linear", offset=1, clip=False, alpha_one=False,
       pred="v"),
    _c("ddim-sd-leading+1-10-x0-noclip-a0", "ddim", beta="scaled_linear", offset=1, clip=False, alpha_one=False,
       pred="x0"),
    _c("ddim-cos-linspace-10-eps", "ddim", beta="squaredcos_cap_v2", spacing="linspace"),
    _c("ddim-cos-trailing-10-eps", "ddim", beta="squaredcos_cap_v2", spacing="trailing"),
    _c("ddim-sd-linspace-25-v-noclip", "ddim", beta="scaled_linear", spacing="linspace", steps=25, pred="v",
       clip=False),
    _c("ddim-sd-trailing-4-eps-noclip", "ddim", beta="scaled_linear", spacing="trailing", steps=4, clip=False),
    _c("ddim-zsnr-trailing-10-v-noclip", "ddim", beta="scaled_linear", spacing="trailing", rescale=True, pred="v",
       clip=False),
    _c("ddim-zsnr-trailing-4-v-clip", "ddim", beta="scaled_linear", spacing="trailing", rescale=True, pred="v",
       steps=4),
    _c("ddim-zsnr-leading-10-eps", "ddim", beta="scaled_linear", rescale=True),
    _c("ddim-zsnr-trailing-10-eps", "ddim", beta="scaled_linear", spacing="trailing", rescale=True),
    _c("ddim-linear-leading-10-eps-eta0.5", "ddim", eta=0.5),
    _c("ddim-sd-trailing-10-v-eta1-noclip", "ddim", beta="scaled_linear", spacing="trailing", pred="v", eta=1.0,
       clip=False),
    # DDPM (leading by default; stochastic at every t > 0)
    _c("ddpm-linear-leading-10-eps-clip", "ddpm"),
    _c("ddpm-linear-leading-1-eps", "ddpm", steps=1),
    _c("ddpm-linear-leading-4-eps", "ddpm", steps=4),
    _c("ddpm-linear-leading-25-eps", "ddpm", steps=25),
    _c("ddpm-sd-trailing-10-v-noclip", "ddpm", beta="scaled_linear", spacing="trailing", pred="v", clip=False),
    _c("ddpm-linear-linspace-10-eps", "ddpm", spacing="linspace"),
    _c("ddpm-linear-trailing-4-eps", "ddpm", spacing="trailing", steps=4),
    _c("ddpm-cos-leading+1-25-x0", "ddpm", beta="squaredcos_cap_v2", offset=1, steps=25, pred="x0"),
    _c("ddpm-zsnr-trailing-10-v", "ddpm", beta="scaled_linear", spacing="trailing", rescale=True, pred="v"),
    _c("ddpm-sd-linspace-25-eps-noclip", "ddpm", beta="scaled_linear", spacing="linspace", steps=25, clip=False),
    # Euler (linspace by default)
    _c("euler-linear-linspace-10-eps", "euler"),
    _c("euler-linear-linspace-1-eps", "euler", steps=1),
    _c("euler-linear-linspace-4-eps", "euler", steps=4),
    _c("euler-linear-linspace-25-eps", "euler", steps=25),
    _c("euler-sd-leading+1-10-eps", "euler", beta="scaled_linear", spacing="leading", offset=1),
    _c("euler-sd-trailing-10-v", "euler", beta="scaled_linear", spacing="trailing", pred="v"),
    _c("euler-sd-linspace-10-x0", "euler", beta="scaled_linear", pred="x0"),
    _c("euler-cos-linspace-10-eps", "euler", beta="squaredcos_cap_v2"),
    _c("euler-linear-linspace-10-eps-sigmamin", "euler", final="sigma"),
    _c("euler-sd-leading-4-v", "euler", beta="scaled_linear", spacing="leading", steps=4, pred="v"),
    _c("euler-zsnr-trailing-10-v", "euler", beta="scaled_linear", spacing="trailing", rescale=True, pred="v"),
    _c("euler-zsnr-linspace-10-eps", "euler", beta="scaled_linear", rescale=True),
    _c("euler-zsnr-leading+1-10-eps", "euler", beta="scaled_linear", spacing="leading", offset=1, rescale=True),
    # DPM-Solver++(2M) (linspace by default)
    _c("dpm-linear-linspace-10-eps-nolof-sigma", "dpmpp-2m", lof=False, final="sigma"),
    _c("dpm-linear-linspace-10-v-nolof-sigma", "dpmpp-2m", lof=False, final="sigma", pred="v"),
    _c("dpm-linear-linspace-10-eps", "dpmpp-2m"),
    _c("dpm-linear-linspace-10-eps-lof-sigma", "dpmpp-2m", final="sigma"),
    _c("dpm-linear-linspace-1-eps", "dpmpp-2m", steps=1),
    _c("dpm-linear-linspace-4-eps", "dpmpp-2m", steps=4),
    _c("dpm-linear-linspace-25-eps", "dpmpp-2m", steps=25),
    _c("dpm-linear-linspace-25-eps-lof-sigma", "dpmpp-2m", steps=25, final="sigma"),
    _c("dpm-sd-leading+1-10-eps", "dpmpp-2m", beta="scaled_linear", spacing="leading", offset=1),
    _c("dpm-sd-trailing-10-v", "dpmpp-2m", beta="scaled_linear", spacing="trailing", pred="v"),
    _c("dpm-sd-trailing-4-x0-nolof-sigma", "dpmpp-2m", beta="scaled_linear", spacing="trailing", steps=4,
       pred="x0", lof=False, final="sigma"),
    _c("dpm-cos-linspace-10-eps", "dpmpp-2m", beta="squaredcos_cap_v2"),
    _c("dpm-cos-leading-25-v", "dpmpp-2m", beta="squaredcos_cap_v2", spacing="leading", steps=25, pred="v"),
    _c("dpm-zsnr-trailing-10-v", "dpmpp-2m", beta="scaled_linear", spacing="trailing", rescale=True, pred="v"),
    _c("dpm-zsnr-trailing-10-eps", "dpmpp-2m", beta="scaled_linear", spacing="trailing", rescale=True),
    _c("dpm-zsnr-linspace-4-v-nolof", "dpmpp-2m", beta="scaled_linear", rescale=True, pred="v", steps=4, lof=False),
    # LCM (diffusers' default clip_sample=False; the Java sampler never clips)
    _c("lcm-sd-1-eps", "lcm", beta="scaled_linear", steps=1, clip=False),
    _c("lcm-sd-4-eps", "lcm", beta="scaled_linear", steps=4, clip=False),
    _c("lcm-sd-10-eps", "lcm", beta="scaled_linear", steps=10, clip=False),
    _c("lcm-sd-4-v", "lcm", beta="scaled_linear", steps=4, pred="v", clip=False),
    _c("lcm-sd-4-x0", "lcm", beta="scaled_linear", steps=4, pred="x0", clip=False),
    _c("lcm-linear-4-eps", "lcm", steps=4, clip=False),
    _c("lcm-sd-25-eps", "lcm", beta="scaled_linear", steps=25, clip=False),
    _c("lcm-sd-3-eps-orig100", "lcm", beta="scaled_linear", steps=3, orig=100, clip=False),
    _c("lcm-cos-4-eps", "lcm", beta="squaredcos_cap_v2", steps=4, clip=False),
    _c("lcm-zsnr-4-v", "lcm", beta="scaled_linear", steps=4, pred="v", rescale=True, clip=False),
    # TCD (γ is the scheduler's eta)
    _c("tcd-sd-1-eps-g0", "tcd", beta="scaled_linear", steps=1, gamma=0.0, clip=False),
    _c("tcd-sd-10-eps-g0", "tcd", beta="scaled_linear", steps=10, gamma=0.0, clip=False),
    _c("tcd-sd-4-eps-g0.3", "tcd", beta="scaled_linear", steps=4, clip=False),
    _c("tcd-sd-10-eps-g0.3", "tcd", beta="scaled_linear", steps=10, clip=False),
    _c("tcd-sd-4-v-g0.3", "tcd", beta="scaled_linear", steps=4, pred="v", clip=False),
    _c("tcd-sd-4-x0-g0.5", "tcd", beta="scaled_linear", steps=4, pred="x0", gamma=0.5, clip=False),
    _c("tcd-linear-25-eps-g0.3", "tcd", steps=25, clip=False),
    _c("tcd-sd-7-eps-g0.7-orig100", "tcd", beta="scaled_linear", steps=7, gamma=0.7, orig=100, clip=False),
    _c("tcd-zsnr-4-v-g0.3", "tcd", beta="scaled_linear", steps=4, pred="v", rescale=True, clip=False),
    _c("tcd-cos-4-eps-g1", "tcd", beta="squaredcos_cap_v2", steps=4, gamma=1.0, clip=False),
]

PREDICTION = {"eps": "epsilon", "v": "v_prediction", "x0": "sample"}


def java_args(c):
    a = ["--sampler", c["sampler"], "--steps", str(c["steps"]), "--beta-schedule", c["beta"],
         "--prediction", c["pred"], "--eta", repr(c["eta"]), "--gamma", repr(c["gamma"]),
         "--original-inference-steps", str(c["orig"]), "--steps-offset", str(c["offset"]),
         "--final-sigmas-type", c["final"], "--seed", str(c["seed"]),
         "--clip-sample" if c["clip"] else "--no-clip-sample",
         "--set-alpha-to-one" if c["alpha_one"] else "--no-set-alpha-to-one",
         "--lower-order-final" if c["lof"] else "--no-lower-order-final"]
    if c["spacing"]:
        a += ["--spacing", c["spacing"]]
    if c["rescale"]:
        a.append("--rescale-zero-snr")
    return a


# ---------------------------------------------------------------------------------------------------------------
# The Java noise stream (org.imagineflash.sampling.NoiseSource / org.imagineflash.train.Seeds), bit for bit.
# ---------------------------------------------------------------------------------------------------------------
MASK = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z &= MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SplittableRandom:
    """java.util.SplittableRandom(seed): SplitMix64 with the golden gamma."""

    def __init__(self, seed):
        self.seed = seed & MASK

    def next_long(self):
        self.seed = (self.seed + GOLDEN_GAMMA) & MASK
        return mix64(self.seed)

    def next_double(self):
        return (self.next_long() >> 11) * 2.0 ** -53


class JavaNoise:
    """NoiseSource(seed).next(shape): Box–Muller pairs from Seeds.stream(seed, 0, 7), rounded to float32."""

    def __init__(self, seed, step=0, purpose=7):
        self.rng = SplittableRandom(mix64(mix64(mix64(seed) ^ step) + purpose))

    def __call__(self, shape):
        import numpy as np
        import torch

        n = int(np.prod(shape))
        out = np.empty(n, dtype=np.float32)
        for i in range(0, n, 2):
            u1 = 1.0 - self.rng.next_double()
            u2 = self.rng.next_double()
            rad = math.sqrt(-2 * math.log(u1))
            out[i] = rad * math.cos(2 * math.pi * u2)
            if i + 1 < n:
                out[i + 1] = rad * math.sin(2 * math.pi * u2)
        return torch.from_numpy(out.reshape(shape))


# ---------------------------------------------------------------------------------------------------------------
# diffusers side
# ---------------------------------------------------------------------------------------------------------------
def load_diffusers(folder):
    sys.path.insert(0, os.path.join(HERE, "shim"))
    try:
        import huggingface_hub.utils  # noqa: F401  (scheduling_utils imports validate_hf_hub_args)
    except ImportError:
        hub = types.ModuleType("huggingface_hub")
        hub_utils = types.ModuleType("huggingface_hub.utils")
        hub_utils.validate_hf_hub_args = lambda fn: fn
        hub.utils = hub_utils
        sys.modules["huggingface_hub"] = hub
        sys.modules["huggingface_hub.utils"] = hub_utils
    import diffusers.schedulers

    diffusers.schedulers.__path__.append(os.path.abspath(folder))
    mods = {}
    for key, module, cls in [("ddim", "scheduling_ddim", "DDIMScheduler"),
                             ("ddpm", "scheduling_ddpm", "DDPMScheduler"),
                             ("euler", "scheduling_euler_discrete", "EulerDiscreteScheduler"),
                             ("dpmpp-2m", "scheduling_dpmsolver_multistep", "DPMSolverMultistepScheduler"),
                             ("lcm", "scheduling_lcm", "LCMScheduler"),
                             ("tcd", "scheduling_tcd", "TCDScheduler")]:
        mods[key] = getattr(importlib.import_module("diffusers.schedulers." + module), cls)
    return mods


def dummy_sample_deter():
    import torch

    batch_size, num_channels, height, width = 4, 3, 8, 8
    num_elems = batch_size * num_channels * height * width
    sample = torch.arange(num_elems)
    sample = sample.reshape(num_channels, height, width, batch_size)
    sample = sample / num_elems
    return sample.permute(3, 0, 1, 2)


def dummy_model(sample, t):
    import torch

    if isinstance(t, torch.Tensor):
        num_dims = len(sample.shape)
        t = t.reshape(-1, *(1,) * (num_dims - 1)).to(sample.device, dtype=sample.dtype)
    return sample * t / (t + 1)


def make_scheduler(classes, c):
    cfg = dict(num_train_timesteps=1000, beta_schedule=c["beta"], prediction_type=PREDICTION[c["pred"]],
               rescale_betas_zero_snr=c["rescale"])
    if c["beta"] == "scaled_linear":
        cfg.update(beta_start=0.00085, beta_end=0.012)
    else:
        cfg.update(beta_start=0.0001, beta_end=0.02)
    s = c["sampler"]
    if c["spacing"]:
        cfg["timestep_spacing"] = c["spacing"]
    if s in ("ddim", "ddpm", "euler", "dpmpp-2m"):
        cfg["steps_offset"] = c["offset"]
    if s == "ddim":
        cfg.update(clip_sample=c["clip"], set_alpha_to_one=c["alpha_one"])
    elif s == "ddpm":
        cfg.update(clip_sample=c["clip"], variance_type="fixed_small")
    elif s == "euler":
        cfg.update(final_sigmas_type="zero" if c["final"] == "zero" else "sigma_min")
    elif s == "dpmpp-2m":
        cfg.update(solver_order=2, algorithm_type="dpmsolver++", solver_type="midpoint", lower_order_final=c["lof"],
                   final_sigmas_type="zero" if c["final"] == "zero" else "sigma_min")
    elif s in ("lcm", "tcd"):
        cfg.update(original_inference_steps=c["orig"])
        if s == "lcm":
            cfg["clip_sample"] = c["clip"]
    return classes[s](**cfg)


def run_diffusers(classes, c):
    import torch
    from diffusers.utils import torch_utils

    torch_utils.NOISE_SOURCE = JavaNoise(c["seed"])
    sched = make_scheduler(classes, c)
    sched.set_timesteps(c["steps"])
    sample = dummy_sample_deter() * sched.init_noise_sigma
    step_kwargs = {}
    if c["sampler"] == "ddim":
        step_kwargs["eta"] = c["eta"]
    elif c["sampler"] == "tcd":
        step_kwargs["eta"] = c["gamma"]
    for t in sched.timesteps:
        model_in = sched.scale_model_input(sample, t)
        out = dummy_model(model_in, t)
        sample = sched.step(out, t, sample, **step_kwargs).prev_sample
    d = sample.to(torch.float64)
    return {"sum": d.sum().item(), "sum_abs": d.abs().sum().item(), "mean_abs": d.abs().mean().item(),
            "timesteps": [round(float(t), 4) for t in sched.timesteps]}


# ---------------------------------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------------------------------
def close(a, b, rel=1e-3):
    if a is None or b is None:
        return False
    a, b = float(a), float(b)  # Jackson writes NaN as the string "NaN"
    if math.isnan(a) and math.isnan(b):
        return True
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), 1e-5)  # absolute floor for results that are ~0


def read_jsonl(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows[r["config"]] = r
    return rows


def compare(dpath, jpath):
    d, j = read_jsonl(dpath), read_jsonl(jpath)
    bad = 0
    print(f"| config | diffusers sum | diffusers mean_abs | Java sum | Java mean_abs | match |")
    print("|---|---|---|---|---|---|")
    for c in CONFIGS:
        n = c["name"]
        dr, jr = d.get(n, {}), j.get(n, {})
        ok = close(dr.get("sum"), jr.get("sum")) and close(dr.get("mean_abs"), jr.get("mean_abs"))
        bad += not ok
        fmt = lambda v: "—" if v is None else f"{float(v):.6g}"  # noqa: E731
        note = dr.get("error") or jr.get("error") or ""
        print(f"| {n} | {fmt(dr.get('sum'))} | {fmt(dr.get('mean_abs'))} | {fmt(jr.get('sum'))} | "
              f"{fmt(jr.get('mean_abs'))} | {'yes' if ok else 'NO'} {note} |")
    print(f"\n{len(CONFIGS) - bad} agree, {bad} differ")
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--diffusers", help="folder with diffusers' scheduler files")
    p.add_argument("--only", help="comma-separated configuration names")
    p.add_argument("--java-args", action="store_true")
    p.add_argument("--compare", nargs=2, metavar=("DIFFUSERS_JSONL", "JAVA_JSONL"))
    a = p.parse_args()
    configs = [c for c in CONFIGS if not a.only or c["name"] in a.only.split(",")]
    if a.java_args:
        for c in configs:
            print(c["name"] + "\t" + " ".join(java_args(c)))
        return 0
    if a.compare:
        return 1 if compare(*a.compare) else 0
    if not a.diffusers:
        p.error("give --diffusers DIR, --java-args or --compare")
    classes = load_diffusers(a.diffusers)
    import torch

    torch.set_num_threads(1)
    for c in configs:
        row = {"config": c["name"]}
        try:
            row.update(run_diffusers(classes, c))
        except Exception as e:  # report and go on with the other configurations
            row["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
