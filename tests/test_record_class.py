"""record_class.dataclass behaves as the standard decorator, class by class, on what records use."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar, Dict, List, Tuple

import pytest

from variant_providers import record_class
from variant_providers.record_class import field

from .conftest import python_output

Decorator = Callable[..., Any]
FLAGS: List[Dict[str, bool]] = [{}, {"frozen": True}, {"frozen": True, "order": True}]


def _point(decorate: Decorator, field: Callable[..., Any], **flags: bool) -> Any:
    @decorate(**flags)
    class Point:
        """A record with every kind of field the project's records declare."""

        x: int
        label: str = "p"
        tags: List[str] = field(default_factory=list)
        weight: int = field(default=0, compare=False, repr=False)
        extra: Tuple[int, ...] = field(default=(), hash=False)

    return Point


def _both(**flags: bool) -> Tuple[Any, Any]:
    return (
        _point(dataclasses.dataclass, dataclasses.field, **flags),
        _point(record_class.dataclass, record_class.field, **flags),
    )


def _outcome(cls: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    try:
        return ("value", cls(*args, **kwargs))
    except Exception as exc:  # the kind of error is what must match
        return ("raises", type(exc))


@pytest.mark.parametrize("flags", FLAGS, ids=["plain", "frozen", "frozen-order"])
def test_construction_repr_and_equality_match_the_standard_decorator(
    flags: Dict[str, bool],
) -> None:
    standard, ours = _both(**flags)
    calls: List[Tuple[Tuple[Any, ...], Dict[str, Any]]] = [
        ((1,), {}),
        ((1, "q", ["a"], 5, (1,)), {}),
        ((), {"x": 2, "weight": 3}),
        ((), {}),  # x missing
        ((1, 2, 3, 4, 5, 6), {}),  # too many
        ((1,), {"x": 1}),  # twice
        ((1,), {"nope": 1}),  # unknown
    ]
    for args, kwargs in calls:
        a = _outcome(standard, args, kwargs)
        b = _outcome(ours, args, kwargs)
        assert a[0] == b[0] and (a[0] == "value" or a[1] is b[1]), (args, kwargs)
        if a[0] == "value":
            assert repr(a[1]).replace(standard.__qualname__, "P") == repr(b[1]).replace(
                ours.__qualname__, "P"
            )
            assert dataclasses.asdict(a[1]) == dataclasses.asdict(b[1])
    for cls in (standard, ours):
        assert cls(1, weight=1) == cls(1, weight=2)  # weight is not compared
        assert cls(1) != cls(2) and cls(1) != (1,)
        assert cls(1).tags is not cls(1).tags  # a fresh default each time
    assert getattr(standard, "__match_args__", ()) == getattr(ours, "__match_args__", ())  # 3.10+
    assert [f.name for f in dataclasses.fields(ours)] == ["x", "label", "tags", "weight", "extra"]


@pytest.mark.parametrize("flags", FLAGS, ids=["plain", "frozen", "frozen-order"])
def test_hashing_freezing_and_order_match(flags: Dict[str, bool]) -> None:
    standard, ours = _both(**flags)
    for cls in (standard, ours):
        one = cls(1, tags=(), extra=(9,))
        if flags.get("frozen"):
            assert hash(one) == hash(cls(1, tags=(), extra=(8,)))  # extra is not hashed
            with pytest.raises(dataclasses.FrozenInstanceError):
                one.x = 2
            with pytest.raises(dataclasses.FrozenInstanceError):
                del one.x
            assert dataclasses.replace(one, x=5).x == 5 and one.x == 1
        else:
            assert cls.__hash__ is None
            one.x = 2
            assert one.x == 2
        if flags.get("order"):
            assert cls(1) < cls(2) <= cls(2) and cls(3) > cls(2) >= cls(2)
            assert sorted([cls(3), cls(1)]) == [cls(1), cls(3)]
        else:
            with pytest.raises(TypeError):
                cls(1) < cls(2)  # noqa: B015 - the comparison is the check


def test_methods_the_class_defines_stay_and_post_init_runs() -> None:
    @record_class.dataclass(frozen=True)
    class Named:
        name: str
        seen: List[str] = field(default_factory=list)

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __post_init__(self) -> None:
            self.seen.append(self.name)

    named = Named("a")
    assert repr(named) == "<a>" and named.seen == ["a"]

    @record_class.dataclass
    class Keyed:
        key: str

        def __hash__(self) -> int:
            return 7

    assert hash(Keyed("k")) == 7  # an explicit __hash__ is kept, as the standard one keeps it


def test_a_subclass_record_has_its_parents_fields_first() -> None:
    @record_class.dataclass(frozen=True)
    class Base:
        a: int

    @record_class.dataclass(frozen=True)
    class Child(Base):
        b: int = 2

    child = Child(1)
    assert (child.a, child.b) == (1, 2) and child == Child(1, 2) and child != Base(1)
    assert (
        repr(child)
        == "test_a_subclass_record_has_its_parents_fields_first.<locals>.Child(a=1, b=2)"
    )


def test_an_undocumented_record_is_documented_by_its_fields_without_inspect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The standard decorator documents such a class from inspect.signature(cls),
    # whose first call compiles tokenize's grammar; the records never need it.
    import inspect

    def no_signature(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("inspect.signature called")

    monkeypatch.setattr(inspect, "signature", no_signature)

    @record_class.dataclass(frozen=True)
    class Undocumented:
        path: str
        code: str = ""
        hidden: int = field(default=0, init=False)

    assert Undocumented.__doc__ == "Undocumented(path, code)"
    assert Undocumented("p") == Undocumented("p", "")


def test_fields_are_stored_as_the_standard_decorator_stores_them() -> None:
    standard, ours = _both(frozen=True)

    def described(cls: Any) -> List[Tuple[Any, ...]]:
        return [
            (f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare)
            for f in dataclasses.fields(cls)
        ]

    assert described(standard) == described(ours)
    for name in ("x", "label", "tags", "weight", "extra"):  # the class attributes left behind
        assert getattr(standard, name, "absent") == getattr(ours, name, "absent"), name
    instance = ours(1)
    assert dataclasses.is_dataclass(ours) and dataclasses.is_dataclass(instance)


def test_a_class_variable_is_not_a_field_and_an_init_var_is_refused() -> None:
    @record_class.dataclass(frozen=True)
    class Counted:
        limit: ClassVar[int] = 3
        name: str = "n"

    assert [f.name for f in dataclasses.fields(Counted)] == ["name"] and Counted.limit == 3
    with pytest.raises(TypeError, match="InitVar"):

        @record_class.dataclass
        class Initialised:
            seed: dataclasses.InitVar[int]


def test_records_need_no_dataclasses_until_something_asks_it() -> None:
    # dataclasses imports inspect (ast, dis, tokenize): a quarter of a warm detect().
    code = (
        "import sys\n"
        "from variant_providers.record_class import dataclass, field, fields, replace\n"
        "@dataclass(frozen=True)\n"
        "class R:\n"
        "    a: int\n"
        "    b: list = field(default_factory=list)\n"
        "r = replace(R(1), a=2)\n"
        "print(r, [f.name for f in fields(r)], 'dataclasses' in sys.modules)\n"
        "import dataclasses\n"
        "print(dataclasses.replace(r, a=3), dataclasses.asdict(r), dataclasses.is_dataclass(r))\n"
        "try:\n"
        "    r.a = 5\n"
        "except dataclasses.FrozenInstanceError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    assert python_output(code).splitlines() == [
        "R(a=2, b=[]) ['a', 'b'] False",
        "R(a=3, b=[]) {'a': 2, 'b': []} True",
        "FrozenInstanceError cannot assign to field 'a'",
    ]


def test_replace_and_fields_answer_as_the_standard_functions() -> None:
    standard, ours = _both(frozen=True)
    a, b = standard(1, tags=["t"]), ours(1, tags=["t"])
    assert [f.name for f in record_class.fields(b)] == [f.name for f in dataclasses.fields(a)]
    assert repr(record_class.replace(b, x=2, label="q")).endswith(
        "Point(x=2, label='q', tags=['t'], extra=())"
    )
    assert record_class.replace(a, x=2) == dataclasses.replace(a, x=2)  # a standard one too
    with pytest.raises(TypeError):
        record_class.replace(b, nope=1)
    with pytest.raises(TypeError, match="not a record"):
        record_class.fields(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"use record_class\.field"):

        @record_class.dataclass
        class Mixed:
            x: int = dataclasses.field(default=0)
