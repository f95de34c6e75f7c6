"""kklab's JMESPath functions: quantities, and other objects of the cluster.

Expression keys may call jmespath.py's standard functions plus these:

- ``quantity(value)``: a Kubernetes quantity as a number of units (``quantity('1Gi')``
  is 1073741824), or null when the value is not a quantity. Compare sizes by
  meaning: ``(quantity(spec.capacity.storage) >= quantity('500Mi'))``.
- ``k8s_get(apiVersion, kind, namespace, name)``: one object of the cluster, or null
  (as Chainsaw's, without its client argument). ``''`` as namespace is the lab
  namespace; a cluster-scoped kind ignores it. A name that is not a string (a field
  not set yet) gives null.
- ``k8s_list(apiVersion, kind, namespace)``: the objects of a kind, a list.
- ``lab_namespace()``: the namespace being graded (Chainsaw's ``$namespace``), e.g. to
  keep a cluster-scoped volume bound elsewhere out: ``(spec.claimRef.namespace ==
  null || spec.claimRef.namespace == lab_namespace())``.

Reads go through the round's :class:`~kklab.grading.fetching.Fetcher`, so the
objects a round reads are read once. The matching core stays pure: it is handed
an instance of :class:`ClusterFunctions`, or :class:`PureFunctions` (no cluster).

Example:
    >>> import jmespath
    >>> options = jmespath.Options(custom_functions=PureFunctions())
    >>> jmespath.search("quantity(a) == quantity('1024Mi')", {"a": "1Gi"}, options)
    True
    >>> jmespath.search("quantity(a)", {"a": "lots"}, options) is None
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from jmespath import functions

from kklab.grading.equivalence import quantity as exact_quantity

if TYPE_CHECKING:
    from kklab.grading.fetching import Fetcher


def as_number(value: Any) -> int | float | None:
    """A quantity as a JSON number (an int when whole), or None.

    Example:
        >>> as_number("500Mi"), as_number("100m"), as_number("x")
        (524288000, 0.1, None)
    """
    exact = exact_quantity(value)
    if exact is None:
        return None
    return int(exact) if exact.denominator == 1 else float(exact)


class PureFunctions(functions.Functions):
    """jmespath.py's functions plus ``quantity()``; the cluster functions answer null."""

    @functions.signature({"types": []})
    def _func_quantity(self, value: Any) -> int | float | None:
        return as_number(value)

    @functions.signature({"types": []}, {"types": []}, {"types": []}, {"types": []})
    def _func_k8s_get(self, api_version: Any, kind: Any, namespace: Any, name: Any) -> Any:
        return self.get(api_version, kind, namespace, name)

    @functions.signature({"types": []}, {"types": []}, {"types": []})
    def _func_k8s_list(self, api_version: Any, kind: Any, namespace: Any) -> Any:
        return self.list(api_version, kind, namespace)

    @functions.signature()
    def _func_lab_namespace(self) -> str | None:
        return self.namespace

    namespace: str | None = None
    """The lab namespace; None without a cluster."""

    def get(self, api_version: Any, kind: Any, namespace: Any, name: Any) -> Any:
        """One object; None without a cluster."""
        return None

    def list(self, api_version: Any, kind: Any, namespace: Any) -> list[Any]:
        """Objects of a kind; none without a cluster."""
        return []


class ClusterFunctions(PureFunctions):
    """The functions, with ``k8s_get``/``k8s_list`` reading through a round's fetcher."""

    def __init__(self, fetcher: Fetcher, namespace: str) -> None:
        super().__init__()
        self.fetcher = fetcher
        self.namespace = namespace
        self.lab = namespace

    def get(self, api_version: Any, kind: Any, namespace: Any, name: Any) -> Any:
        if not isinstance(name, str) or not name:
            return None
        return self.fetcher.get(str(api_version), str(kind), name, str(namespace or "") or self.lab)

    def list(self, api_version: Any, kind: Any, namespace: Any) -> list[Any]:
        return self.fetcher.list(str(api_version), str(kind), str(namespace or "") or self.lab)


NAMES: Final = frozenset(PureFunctions.FUNCTION_TABLE)
"""Every function an expression may call (linting rejects others)."""
