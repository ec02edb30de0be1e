"""Differential tests: our ranking against variantlib 0.2.2, the reference implementation.

Random machines (namespaces, features, values, interleaved namespaces),
priorities that mention unsupported entries or repeat them, multi-value
variants, forbidden lists and both ``filter_values`` settings.  Inputs stay
inside the domain where variantlib is well defined: each feature's supported
values are contiguous (its quirk Q2 applies priorities per contiguous run).

variantlib adds ``abi_dependency`` properties for every distribution of the
running interpreter on every call (a metadata scan that dominates its run
time); the fixture replaces that scan by a fixed, known list of packages so
the oracle is fast and its abi_dependency input is under the test's control.
"""

from __future__ import annotations

import importlib.metadata
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variant_providers.matcher import rank_variants

variantlib_lib = pytest.importorskip("variantlib.resolver.lib")
from variantlib.errors import ValidationError  # noqa: E402
from variantlib.models.variant import VariantDescription, VariantFeature  # noqa: E402
from variantlib.models.variant import VariantProperty as VLProperty  # noqa: E402

NS_POOL = ["a", "b", "c", "nv"]
FEATURE_POOL = ["f", "g", "h", "k"]
VALUE_POOL = ["0", "1", "2", "1.0", "10", "x", "y_z"]
# Labels chosen so that ties are broken by interesting code-point comparisons.
LABEL_POOL = ["a", "b", "c", "a.b", "a_b", "a0", "b.1", "z", "0", "_x", "ab", "a.0"]
UNIVERSE = [f"{ns} :: {f} :: {v}" for ns in NS_POOL for f in FEATURE_POOL for v in VALUE_POOL]

FAKE_ENVIRONMENT = [("torch", "2.9.1"), ("Foo-Bar", "3.0"), ("numpy", "1.26.4")]
ABI_UNIVERSE = [
    f"abi_dependency :: {name} :: {value}"
    for name in ("torch", "foo_bar", "numpy", "absent")
    for value in ("1", "2", "2.9", "2.9.1", "2.8", "3", "3.0", "3.0.0", "1.26", "1.26.4")
]


class _FakeDistribution:
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version


@pytest.fixture(autouse=True, scope="module")
def _fixed_environment() -> Iterator[None]:
    fakes = [_FakeDistribution(name, version) for name, version in FAKE_ENVIRONMENT]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(importlib.metadata, "distributions", lambda: iter(fakes))
        mp.delenv("VARIANT_ABI_DEPENDENCY", raising=False)
        yield


Scenario = Tuple[
    Dict[str, List[str]],  # variants
    List[str],  # supported
    List[str],  # namespace priorities
    Optional[Dict[str, List[str]]],  # feature priorities
    Optional[Dict[str, Dict[str, List[str]]]],  # property priorities
    List[str],  # forbidden namespaces
    List[str],  # forbidden features
    List[str],  # forbidden properties
    bool,  # filter_values
]


@st.composite
def machines(draw: st.DrawFn) -> List[str]:
    """Supported properties: features contiguous, namespaces freely interleaved."""
    namespaces = draw(st.lists(st.sampled_from(NS_POOL), unique=True, min_size=1, max_size=4))
    per_ns: Dict[str, List[str]] = {}
    for ns in namespaces:
        features = draw(
            st.lists(st.sampled_from(FEATURE_POOL), unique=True, min_size=1, max_size=4)
        )
        props: List[str] = []
        for feature in features:
            values = draw(
                st.lists(st.sampled_from(VALUE_POOL), unique=True, min_size=1, max_size=5)
            )
            props += [f"{ns} :: {feature} :: {value}" for value in values]
        per_ns[ns] = props
    slots = [ns for ns, props in per_ns.items() for _ in props]
    order = draw(st.permutations(slots))
    queues = {ns: list(props) for ns, props in per_ns.items()}
    return [queues[ns].pop(0) for ns in order]


def _namespaces(props: List[str]) -> List[str]:
    return list(dict.fromkeys(p.split(" :: ")[0] for p in props))


@st.composite
def scenarios(draw: st.DrawFn, extra_properties: Optional[List[str]] = None) -> Scenario:
    supported = draw(machines())
    sup_ns = _namespaces(supported)
    extra_ns = draw(st.lists(st.sampled_from(NS_POOL), max_size=2))
    nps = list(draw(st.permutations(sup_ns + [ns for ns in extra_ns if ns not in sup_ns])))
    repeat: bool = draw(st.booleans())
    if nps and repeat:
        nps.append(draw(st.sampled_from(nps)))  # duplicates count at their first position

    fps: Optional[Dict[str, List[str]]] = None
    if draw(st.booleans()):
        fps = draw(
            st.dictionaries(
                st.sampled_from(NS_POOL),
                st.lists(st.sampled_from(FEATURE_POOL), max_size=4),
                max_size=3,
            )
        )
    pps: Optional[Dict[str, Dict[str, List[str]]]] = None
    if draw(st.booleans()):
        pps = draw(
            st.dictionaries(
                st.sampled_from(NS_POOL),
                st.dictionaries(
                    st.sampled_from(FEATURE_POOL),
                    st.lists(st.sampled_from(VALUE_POOL), max_size=5),
                    max_size=3,
                ),
                max_size=3,
            )
        )

    pool = UNIVERSE + (extra_properties or [])
    prop = st.sampled_from(pool)
    if supported:
        # Mostly supported properties, so that many variants survive filtering and
        # the ordering itself is exercised, not only the compatibility check.
        mine = st.sampled_from(supported)
        prop = st.one_of(mine, mine, mine, prop)
    labels = draw(st.lists(st.sampled_from(LABEL_POOL), unique=True, min_size=3, max_size=10))
    variants = {
        label: draw(st.lists(prop, unique=True, min_size=1, max_size=4)) for label in labels
    }
    if draw(st.booleans()):
        variants["null"] = []

    forbidden_ns = draw(st.lists(st.sampled_from(NS_POOL), max_size=1))
    forbidden_features = draw(
        st.lists(
            st.builds(
                lambda ns, f: f"{ns} :: {f}",
                st.sampled_from(NS_POOL),
                st.sampled_from(FEATURE_POOL),
            ),
            max_size=2,
        )
    )
    forbidden_props = draw(st.lists(prop, max_size=2))
    filter_values = draw(st.booleans())
    return (
        variants,
        supported,
        nps,
        fps,
        pps,
        forbidden_ns,
        forbidden_features,
        forbidden_props,
        filter_values,
    )


def variantlib_order(scenario: Scenario) -> List[str]:
    variants, supported, nps, fps, pps, fns, ffeats, fprops, filter_values = scenario
    vdescs = [
        VariantDescription([VLProperty.from_str(p) for p in props], label=label)
        for label, props in variants.items()
    ]
    result = variantlib_lib.sort_and_filter_supported_variants(
        vdescs,
        [VLProperty.from_str(p) for p in supported],
        list(nps),
        feature_priorities=fps,
        property_priorities=pps,
        forbidden_namespaces=list(fns),
        forbidden_features=[VariantFeature.from_str(f) for f in ffeats],
        forbidden_properties=[VLProperty.from_str(p) for p in fprops],
        filter_values=filter_values,
    )
    return [vdesc.label for vdesc in result]


def nested(props: List[str]) -> Dict[str, Dict[str, List[str]]]:
    """The variants.json shape of a property list."""
    result: Dict[str, Dict[str, List[str]]] = {}
    for text in props:
        ns, feature, value = text.split(" :: ")
        result.setdefault(ns, {}).setdefault(feature, []).append(value)
    return result


def our_order(scenario: Scenario, abi: Optional[Dict[str, str]] = None) -> List[str]:
    """Our order; the string form and the variants.json form must agree."""
    variants, supported, nps, fps, pps, fns, ffeats, fprops, filter_values = scenario
    orders = [
        rank_variants(
            form,
            supported,
            nps,
            fps,
            pps,
            forbidden_namespaces=fns,
            forbidden_features=ffeats,
            forbidden_properties=fprops,
            filter_values=filter_values,
            abi_dependencies=abi,
        )
        for form in (variants, {label: nested(props) for label, props in variants.items()})
    ]
    assert orders[0] == orders[1]
    return orders[0]


ORACLE_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(ORACLE_SETTINGS, max_examples=2000)
@given(scenarios())
def test_same_order_as_variantlib(scenario: Scenario) -> None:
    assert our_order(scenario) == variantlib_order(scenario)


@settings(ORACLE_SETTINGS, max_examples=400)
@given(scenarios(extra_properties=ABI_UNIVERSE))
def test_same_order_as_variantlib_with_abi_dependencies(scenario: Scenario) -> None:
    # variantlib reads the (fake) environment; we are told the same packages.
    assert our_order(scenario, abi=dict(FAKE_ENVIRONMENT)) == variantlib_order(scenario)


@settings(ORACLE_SETTINGS, max_examples=200)
@given(scenarios(), st.data())
def test_missing_namespace_priority_raises_like_variantlib(
    scenario: Scenario, data: st.DataObject
) -> None:
    variants, supported, nps, *rest = scenario
    sup_ns = _namespaces(supported)
    if not sup_ns:
        return
    dropped = data.draw(st.sampled_from(sup_ns))
    short = [ns for ns in nps if ns != dropped]
    broken: Scenario = (variants, supported, short, *rest)  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        variantlib_order(broken)
    with pytest.raises(ValueError, match=repr(dropped)):
        our_order(broken)


def test_oracle_sees_the_fake_environment() -> None:
    # Guards the fixture: if variantlib stopped reading importlib.metadata the abi
    # test above would compare against nothing.
    scenario: Scenario = (
        {"t": ["abi_dependency :: torch :: 2.9"], "f": ["abi_dependency :: foo_bar :: 3"]},
        [],
        [],
        None,
        None,
        [],
        [],
        [],
        False,
    )
    assert variantlib_order(scenario) == ["f", "t", "null"]
    assert our_order(scenario, abi=dict(FAKE_ENVIRONMENT)) == ["f", "t", "null"]
