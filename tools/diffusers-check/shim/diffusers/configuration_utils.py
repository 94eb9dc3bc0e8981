"""ConfigMixin / register_to_config as diffusers' schedulers use them: the __init__ arguments, defaults included, are
stored before __init__ runs (diffusers does the same, and EulerDiscrete/DPMSolver read `self.config` in __init__) and
read back as attributes of `self.config`."""
import functools
import inspect
from collections import OrderedDict


class FrozenDict(OrderedDict):
    """A dict whose items are also attributes, like diffusers' FrozenDict."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        # diffusers' FrozenDict allows attribute writes (DPMSolver sets config.flow_shift with `mu`)
        self[name] = value


class ConfigMixin:
    config_name = None
    ignore_for_config = []
    has_compatibles = False
    _deprecated_kwargs = []

    def register_to_config(self, **kwargs):
        internal = getattr(self, "_internal_dict", None)
        merged = FrozenDict(internal or {})
        merged.update(kwargs)
        object.__setattr__(self, "_internal_dict", merged)

    @property
    def config(self):
        return self._internal_dict


def register_to_config(init):
    """Decorator for __init__: records every parameter (given or default) in `self.config`, then runs __init__."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        values = {}
        for name, param in signature.parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            values[name] = bound.arguments.get(name, param.default)
        ConfigMixin.register_to_config(self, **values)
        init(self, *args, **kwargs)

    return wrapper
