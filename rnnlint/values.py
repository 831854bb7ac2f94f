"""Statically known values and where they came from.

A :class:`Value` is either known (``known`` is true) or unknown; rules stay
silent on unknown values. ``origin`` is a short human text such as
``argparse default of --hidden, train.py:6`` that messages quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_MISSING: Any = object()


@dataclass(frozen=True)
class Value:
    """A possibly unknown value with its provenance."""

    value: Any = _MISSING
    origin: str | None = None
    is_default: bool = False

    @property
    def known(self) -> bool:
        return self.value is not _MISSING

    def number(self) -> float | None:
        """The value as a number, or None when unknown or not numeric."""
        v = self.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        return float(v)

    def truthy(self) -> bool | None:
        """True/False when known and a plain scalar, else None."""
        if not self.known or isinstance(self.value, Container):
            return None
        return bool(self.value)

    def with_origin(self, origin: str) -> Value:
        """Attach ``origin`` unless the value already carries one."""
        if not self.known or self.origin:
            return self
        return Value(self.value, origin, self.is_default)

    def describe(self) -> str:
        """``1024 (argparse default of --hidden, train.py:6)``."""
        text = _format(self.value)
        return f"{text} ({self.origin})" if self.origin else text


UNKNOWN = Value()


def _format(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e6:
        return repr(v)
    return repr(v) if isinstance(v, str) else str(v)


class Container:
    """Marker base for structured values (dicts, sequences, namespaces)."""


@dataclass(frozen=True)
class DictObj(Container):
    """A dict or a config object whose members are known by name."""

    items: dict[str, Value] = field(default_factory=dict)

    def member(self, key: Any) -> Value:
        return self.items.get(str(key), UNKNOWN) if isinstance(key, (str, int)) else UNKNOWN


@dataclass(frozen=True)
class SeqObj(Container):
    """A tuple or list literal."""

    items: tuple[Value, ...] = ()

    def member(self, index: Any) -> Value:
        if isinstance(index, int) and not isinstance(index, bool) and -len(self.items) <= index < len(self.items):
            return self.items[index]
        return UNKNOWN


@dataclass(frozen=True)
class ArgsNamespace(Container):
    """The result of ``parser.parse_args()`` in the module at ``module_path``."""

    module_path: str


@dataclass(frozen=True)
class Instance(Container):
    """An instance of a local class, created at a known call."""

    class_qname: str
    call_id: int
