"""Ranking a list of properties seen before without building its canonical dict.

Installers rank many packages against one machine, and the same few hundred
property strings (or :class:`~variant_providers.model.VariantProperty`
objects) come back in every one of them.  Converting each list variant to
the canonical ``{namespace: {feature: [values]}}`` shape is most of the cost
of ranking it, so a :class:`ListMemo` remembers, per ranker, each property
of a list that ranked without error: its feature and its code in the
ranker's tables.  A later list made only of remembered properties is keyed
straight from the memo by the same rule as the full path (per feature the
best value's code; a feature without a supported value makes the variant
incompatible).  Anything else — a first sighting, a repeat, an odd item —
is handed back to the full path, which checks it and names the problem.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

from ._canonical import FeatureKey, triple_of
from .model import VariantProperty

__all__ = ["ListMemo"]

_LIMIT = 65536
_NO_FEATURES: Mapping[str, Mapping[str, int]] = {}
_NO_VALUES: Mapping[str, int] = {}


class ListMemo:
    """Property text -> (feature, code) for one ranker's tables.

    Every text has its own code: a supported value its code in the tables,
    an unsupported one a code of its own above the sentinel, shared by every
    spelling of the same property.  So within one feature, equal codes can
    only mean a property listed twice.  The memo only grows (each update is
    one atomic dict store), so a ranker shared between threads stays safe.
    """

    __slots__ = ("_codes", "_sentinel", "_table")

    def __init__(self, table: Mapping[str, Mapping[str, Mapping[str, int]]], sentinel: int) -> None:
        self._codes: Dict[str, Tuple[FeatureKey, int]] = {}
        self._table = table
        self._sentinel = sentinel

    def key(self, props: List[object]) -> Optional[List[int]]:
        """The sort key of a non-empty list of remembered properties; None when incompatible.

        Raises ``KeyError`` for a property not remembered or listed twice and
        ``TypeError`` for an odd or mixed list: the caller then takes the full path.
        """
        codes = self._codes
        best: Dict[FeatureKey, int] = {}
        best_get = best.get
        if type(props[0]) is VariantProperty:
            for prop in props:
                if type(prop) is not VariantProperty:
                    raise TypeError
                feature, code = codes[prop._text]  # type: ignore[attr-defined]
                known = best_get(feature)
                if known is None or code < known:
                    best[feature] = code
                elif code == known:
                    raise KeyError(prop)
        else:
            for text in props:
                if type(text) is not str:
                    raise TypeError
                feature, code = codes[text]
                known = best_get(feature)
                if known is None or code < known:
                    best[feature] = code
                elif code == known:
                    raise KeyError(text)
        found = sorted(best.values())
        sentinel = self._sentinel
        if found[-1] >= sentinel:  # some feature has no supported value
            return None
        found.append(sentinel)
        return found

    def remember(self, props: List[object]) -> None:
        """Remember each property of a list variant that has just ranked without error."""
        codes = self._codes
        if len(codes) >= _LIMIT:
            codes.clear()
        for item in props:
            if type(item) is str:
                text, parts = item, triple_of(item)
            elif type(item) is VariantProperty:
                text, parts = item._text, item._parts  # type: ignore[attr-defined]
            else:
                continue
            if parts is None or text in codes:
                continue
            ns, feature, (value,) = parts
            code = self._table.get(ns, _NO_FEATURES).get(feature, _NO_VALUES).get(value)
            if code is None:
                canonical = f"{ns} :: {feature} :: {value}"
                known = codes.get(canonical)
                code = known[1] if known else self._sentinel + 1 + len(codes)
                codes[canonical] = ((ns, feature), code)
            codes[text] = ((ns, feature), code)
