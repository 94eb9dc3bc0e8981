"""randn_tensor with a replaceable noise source.

diffusers' schedulers draw their stochastic noise through randn_tensor. check.py installs NOISE_SOURCE, a callable
shape -> torch.Tensor that reproduces the Java sampler's noise stream, so that stochastic samplers can be compared
value for value. Without it this is torch.randn, like diffusers.
"""
import torch

NOISE_SOURCE = None


def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    if NOISE_SOURCE is not None:
        noise = NOISE_SOURCE(tuple(shape))
    else:
        noise = torch.randn(shape, generator=generator, dtype=dtype or torch.float32, layout=layout or torch.strided)
    return noise.to(device=device or "cpu", dtype=dtype or torch.float32)
