"""The few names of diffusers.utils that the scheduler modules import."""
import importlib.util
import logging as _logging
import warnings
from collections import OrderedDict


class BaseOutput(OrderedDict):
    """Base of the schedulers' output dataclasses; fields are read as attributes (`.prev_sample`)."""

    def __post_init__(self):
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is not None:
                self[name] = value

    def to_tuple(self):
        return tuple(self[k] for k in self.keys())


class PushToHubMixin:
    """Not used here."""


def deprecate(*args, take_from=None, standard_warn=True, stacklevel=2):
    """Warns; returns the deprecated values found in `take_from` (like diffusers), else None."""
    values = []
    if not isinstance(args[0], tuple):
        args = (args,)
    for attribute, _version, message in args:
        if isinstance(take_from, dict) and attribute in take_from:
            values.append(take_from.pop(attribute))
        warnings.warn(f"{attribute} is deprecated: {message}", FutureWarning, stacklevel=stacklevel)
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def is_scipy_available():
    return importlib.util.find_spec("scipy") is not None


class logging:  # noqa: N801 - mirrors the module `diffusers.utils.logging`
    @staticmethod
    def get_logger(name=None):
        return _logging.getLogger(name)
