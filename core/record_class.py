"""``@dataclass`` for the records a detection builds, without generating code at import.

The standard decorator writes each class's ``__init__``, ``__repr__``,
``__eq__``, ``__hash__`` and, for a frozen class, ``__setattr__`` and
``__delattr__`` as source text and compiles it: about half a millisecond a
class, and a cold ``report`` defines some forty of them — a fifth of its
whole run.  This decorator lets :func:`dataclasses.dataclass` collect the
fields (so :func:`dataclasses.fields`, :func:`dataclasses.replace` and
:func:`dataclasses.asdict` work as usual) and gives the class the same
methods as plain functions reading those fields.

It supports what the records use — ``frozen``, ``order``, field defaults
and ``default_factory``, ``init``/``repr``/``compare``/``hash`` flags,
``__post_init__``, methods the class defines itself — with the standard
decorator's semantics.  Instances are a little slower to build, so classes
made in bulk (:class:`~variant_providers.model.VariantProperty` in the
matcher) keep the standard decorator.  Type checkers see the standard one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, TypeVar

__all__ = ["dataclass"]

_T = TypeVar("_T")
_MISSING: Any = dataclasses.MISSING


def _make(cls: type, frozen: bool, order: bool) -> type:
    own = cls.__dict__
    class_hash = own.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    # The standard decorator collects the fields and generates nothing with these flags.
    # A class without a docstring gets one from inspect.signature(cls), whose first
    # call compiles tokenize's grammar (milliseconds); the fields name it as well.
    undocumented = cls.__doc__ is None
    if undocumented:
        cls.__doc__ = cls.__name__
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)
    if undocumented:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    init = tuple(f for f in fields if f.init)
    names = tuple(f.name for f in init)
    later = tuple(f for f in fields if not f.init)
    shown = tuple(f.name for f in fields if f.repr)
    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    field_names = frozenset(f.name for f in fields)
    post_init = getattr(cls, "__post_init__", None) is not None
    put: Callable[[Any, str, Any], None] = object.__setattr__ if frozen else setattr
    qualname = cls.__qualname__

    def value_of(f: dataclasses.Field[Any], given: Dict[str, Any]) -> Any:
        if f.name in given:
            return given[f.name]
        if f.default is not _MISSING:
            return f.default
        factory: Any = f.default_factory
        if factory is not _MISSING:
            return factory()
        raise TypeError(f"{qualname}.__init__() missing 1 required argument: {f.name!r}")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(
                f"{qualname}.__init__() takes {len(names) + 1} positional arguments "
                f"but {len(args) + 1} were given"
            )
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {key!r}")
            if key in given:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {key!r}")
            given[key] = value
        for f in init:
            put(self, f.name, value_of(f, given))
        for f in later:
            if f.default is not _MISSING or f.default_factory is not _MISSING:
                put(self, f.name, value_of(f, {}))
        if post_init:
            self.__post_init__()

    def __repr__(self: Any) -> str:
        items = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({items})"

    def key(self: Any, chosen: Tuple[str, ...]) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in chosen)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return key(self, compared) == key(other, compared)
        return NotImplemented

    methods: Dict[str, Any] = {"__init__": __init__, "__repr__": __repr__, "__eq__": __eq__}
    if order:
        for name, test in (
            ("__lt__", lambda a, b: a < b),
            ("__le__", lambda a, b: a <= b),
            ("__gt__", lambda a, b: a > b),
            ("__ge__", lambda a, b: a >= b),
        ):
            methods[name] = _comparison(name, test, key, compared)
    for name, method in methods.items():
        if name not in own:
            method.__qualname__ = f"{qualname}.{name}"
            setattr(cls, name, method)

    if not explicit_hash:
        if frozen:

            def __hash__(self: Any) -> int:
                return hash(key(self, hashed))

            __hash__.__qualname__ = f"{qualname}.__hash__"
            cls.__hash__ = __hash__  # type: ignore[assignment]
        else:
            cls.__hash__ = None  # type: ignore[assignment]

    if frozen:
        owner: Any = cls

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is cls or name in field_names:
                raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
            super(owner, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is cls or name in field_names:
                raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
            super(owner, self).__delattr__(name)

        cls.__setattr__ = __setattr__  # type: ignore[method-assign,assignment]
        cls.__delattr__ = __delattr__  # type: ignore[method-assign,assignment]
    return cls


def _comparison(
    name: str,
    test: Callable[[Any, Any], bool],
    key: Callable[[Any, Tuple[str, ...]], Tuple[Any, ...]],
    compared: Tuple[str, ...],
) -> Callable[[Any, object], Any]:
    def compare(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return test(key(self, compared), key(other, compared))
        return NotImplemented

    compare.__name__ = name
    return compare


if TYPE_CHECKING:
    from dataclasses import dataclass
else:

    def dataclass(
        cls: Optional[type] = None, /, *, frozen: bool = False, order: bool = False
    ) -> Any:
        """``@dataclass``, ``@dataclass(frozen=True)``, ``@dataclass(frozen=True, order=True)``."""

        def wrap(target: type) -> type:
            return _make(target, frozen, order)

        return wrap if cls is None else wrap(cls)
