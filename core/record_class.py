"""``@dataclass`` for the records a detection builds, without the ``dataclasses`` module.

The standard decorator writes each class's ``__init__``, ``__repr__``,
``__eq__``, ``__hash__`` and, for a frozen class, ``__setattr__`` and
``__delattr__`` as source text and compiles it: about half a millisecond a
class, and a cold ``report`` defines some forty of them.  Importing
:mod:`dataclasses` also imports :mod:`inspect` (with ``ast``, ``dis`` and
``tokenize``): a quarter of a warm ``detect()`` in a fresh interpreter,
which rebuilds its records and needs nothing else of it.

So this module has its own :func:`field`, :func:`fields` and
:func:`replace`, and gives each class the same methods as plain functions
reading its fields.  Code that asks :mod:`dataclasses` about a record still
gets the standard answer: ``__dataclass_fields__`` is built, with real
:class:`dataclasses.Field` objects, the first time something reads it
(:func:`dataclasses.fields`, :func:`dataclasses.replace`,
:func:`dataclasses.asdict`, pytest's comparisons).

It supports what the records use — ``frozen``, ``order``, field defaults
and ``default_factory``, ``init``/``repr``/``compare``/``hash`` flags,
``__post_init__``, methods the class defines itself — with the standard
decorator's semantics.  Instances are a little slower to build, so the
class made in bulk, :class:`~variant_providers.model.VariantProperty`, has
its methods written out, and the matcher's own records keep the standard
decorator.  Type checkers see the standard decorator and functions.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, Optional, Tuple, TypeVar

__all__ = ["MISSING", "dataclass", "field", "fields", "frozen_error", "replace"]

_T = TypeVar("_T")


class _Missing:
    """No default (the role of ``dataclasses.MISSING``)."""

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()
#: Where a record class keeps its fields, and where the standard decorator keeps them.
_RECORD_FIELDS = "__record_fields__"
_FIELDS = "__dataclass_fields__"


class _Field:
    """One record field: the attributes of :class:`dataclasses.Field` that records use."""

    __slots__ = (
        *("compare", "default", "default_factory", "hash", "init"),
        *("metadata", "name", "repr", "type"),
    )

    def __init__(
        self,
        *,
        default: Any = _MISSING,
        default_factory: Any = _MISSING,
        init: bool = True,
        repr: bool = True,
        hash: Optional[bool] = None,
        compare: bool = True,
        metadata: Any = None,
    ) -> None:
        """``dataclasses.field(...)`` for records (what :func:`field` is at run time)."""
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.metadata = metadata

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r})"


def _fields(record: Any) -> Tuple[_Field, ...]:
    """``dataclasses.fields`` for records: a record class's or instance's fields, in order."""
    cls = record if isinstance(record, type) else type(record)
    found: Optional[Dict[str, _Field]] = getattr(cls, _RECORD_FIELDS, None)
    if found is None:
        raise TypeError(f"{cls.__qualname__} is not a record")
    return tuple(found.values())


def _replace(obj: _T, /, **changes: Any) -> _T:
    """``dataclasses.replace``: a copy of *obj* with *changes*; also for standard dataclasses."""
    found: Optional[Dict[str, _Field]] = getattr(type(obj), _RECORD_FIELDS, None)
    if found is None:
        import dataclasses  # a standard dataclass: the standard function

        replaced: _T = dataclasses.replace(obj, **changes)  # type: ignore[type-var]
        return replaced
    for f in found.values():
        if not f.init:
            if f.name in changes:
                raise ValueError(
                    f"field {f.name} is declared with init=False, it cannot be specified with "
                    "replace()"
                )
            continue
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def frozen_error(message: str) -> Exception:
    """``dataclasses.FrozenInstanceError(message)``, the module imported only when raised."""
    import dataclasses

    return dataclasses.FrozenInstanceError(message)


class _StandardFields:
    """``__dataclass_fields__`` of a record class, built when something first reads it."""

    def __get__(self, obj: Any, owner: type) -> Dict[str, Any]:
        import dataclasses

        built: Dict[str, Any] = {}
        for f in _fields(owner):
            options: Dict[str, Any] = {
                "init": f.init,
                "repr": f.repr,
                "hash": f.hash,
                "compare": f.compare,
                "metadata": f.metadata,
            }
            if f.default is not _MISSING:
                options["default"] = f.default
            if f.default_factory is not _MISSING:
                options["default_factory"] = f.default_factory
            standard: Any = dataclasses.field(**options)
            standard.name = f.name
            standard.type = f.type
            standard._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            if hasattr(standard, "kw_only"):
                standard.kw_only = False
            built[f.name] = standard
        setattr(owner, _FIELDS, built)  # kept: the next read finds it on the class
        return built


_STANDARD_FIELDS = _StandardFields()


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__origin__", None)
    if isinstance(text, str):
        return text.startswith(("ClassVar", "typing.ClassVar"))
    return text is ClassVar


def _collect(cls: type) -> Tuple[_Field, ...]:
    """The fields of *cls*, its bases' first.

    The standard decorator spends about a tenth of a millisecond a class
    resolving each (string) annotation against ``ClassVar``, ``InitVar`` and
    ``KW_ONLY``; records use none of those, so a plain walk of the
    annotations does: a ``ClassVar`` is skipped, the rest are refused.
    """
    collected: Dict[str, _Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        collected.update(base.__dict__.get(_RECORD_FIELDS, {}))
    own = cls.__dict__
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        if "InitVar" in str(annotation) or "KW_ONLY" in str(annotation):
            raise TypeError(f"{cls.__qualname__}.{name}: InitVar and KW_ONLY are not supported")
        value = own.get(name, _MISSING)
        if type(value).__module__ == "dataclasses":
            raise TypeError(f"{cls.__qualname__}.{name}: use record_class.field, not dataclasses'")
        declared = isinstance(value, _Field)
        f: _Field = value if declared else _Field(default=value)
        f.name = name
        f.type = annotation
        if declared:  # the class attribute becomes the default, as the standard one does
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        collected[name] = f
    setattr(cls, _RECORD_FIELDS, collected)
    if _FIELDS not in own:
        setattr(cls, _FIELDS, _STANDARD_FIELDS)
    return tuple(collected.values())


def _make(cls: type, frozen: bool, order: bool) -> type:
    own = cls.__dict__
    class_hash = own.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    fields = _collect(cls)
    if cls.__doc__ is None:  # the standard decorator's text, without inspect.signature
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    if sys.version_info >= (3, 10) and "__match_args__" not in own:
        cls.__match_args__ = tuple(f.name for f in fields if f.init)  # type: ignore[attr-defined,misc]
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

    def value_of(f: _Field, given: Dict[str, Any]) -> Any:
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
                raise frozen_error(f"cannot assign to field {name!r}")
            super(owner, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is cls or name in field_names:
                raise frozen_error(f"cannot delete field {name!r}")
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
    from dataclasses import MISSING, dataclass, field, fields, replace
else:
    MISSING = _MISSING
    field = _Field
    fields = _fields
    replace = _replace

    def dataclass(
        cls: Optional[type] = None, /, *, frozen: bool = False, order: bool = False
    ) -> Any:
        """``@dataclass``, ``@dataclass(frozen=True)``, ``@dataclass(frozen=True, order=True)``."""

        def wrap(target: type) -> type:
            return _make(target, frozen, order)

        return wrap if cls is None else wrap(cls)
