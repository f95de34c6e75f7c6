"""Conformance of partial-object matching with kuttl, Chainsaw and kyverno-json.

Each case is written here from a test case or a documented example of the
reference projects (the source says where), as plain dicts: the expected partial
object, the actual object, what the reference decides and what kklab decides.
Either kklab agrees, or the case names the documented design choice that makes
it differ (graders/README.md, "Same as Chainsaw?"). Nothing is copied from those
projects; the cases restate their published behaviour.

Outcomes: ``pass``; ``fail`` (a mismatch); ``error`` (the check could not be
evaluated); ``lint`` (kklab rejects the grader before any grading). For an
``error`` check, ``pass`` means no object matches the forbidden state.
``error`` and ``lint`` are the same category: the check does not pass, and says
it could not judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pytest

from kklab.grading.loading import partial_object_problems
from kklab.grading.matching import match, unevaluated

Outcome = Literal["pass", "fail", "error", "lint"]

KUTTL = "kudobuilder/kuttl internal/utils/subset_test.go"
KUTTL_DOCS = "kudobuilder/kuttl docs/testing/asserts-errors.md"
CHAINSAW_CHECK = "kyverno/chainsaw pkg/engine/checks/check_test.go"
CHAINSAW_ASSERT = "kyverno/chainsaw pkg/engine/operations/assert/operation_test.go"
CHAINSAW_ERROR = "kyverno/chainsaw pkg/engine/operations/error/operation_test.go"
CHAINSAW_DOCS = "kyverno/chainsaw website/docs/quick-start/assertion-trees.md"
CHAINSAW_ARRAYS = "kyverno/chainsaw testdata/e2e/examples/array-assertion"
CHAINSAW_TREE = "kyverno/chainsaw testdata/e2e/examples/assertion-tree"
JSON_TEST = "kyverno/kyverno-json pkg/core/assertion/assertion_test.go"
JSON_DOCS = "kyverno/kyverno-json website/docs/policies/asserts.md"
JSON_MATCH = "kyverno/kyverno-json pkg/core/matching/match.go"
ISSUE = "kklab issue: graders that never pass what they cannot evaluate"

LISTS_BY_KEY = "kklab matches lists by key or content, in any order; references by index"
SCALARS_PRESENT = "kklab: each listed scalar must be present; references: whole list, in order"
NULL_IS_ABSENT = "kklab: null means absent or null; references need the key"
OMITTED_EMPTY = "kklab: [] also passes on an absent list (Kubernetes omits empty lists)"
NO_BINDINGS = "kklab's JMESPath (jmespath.py) has no $variables: no bindings, no ~name."
DIALECT = "kklab's JMESPath is jmespath.py's standard functions (no arithmetic, no lower())"
NO_VALUE_EXPRESSIONS = "kklab: expressions only as keys; a value is always a literal"
MAPPING_NOT_ANY = "kklab: {} asserts a mapping; kyverno-json accepts any non-null value"
EACH_SELECTED = "kklab: plain keys under a list-valued expression apply to each element"
ABSENT_ITERATION = "kklab: nothing to iterate is a failed check (not yet there), not an error"


@dataclass(frozen=True)
class Case:
    """One published behaviour, restated."""

    id: str
    source: str
    expected: Any
    actual: Any
    reference: Outcome
    kklab: Outcome
    kind: Literal["assert", "error"] = "assert"
    differs: str = ""
    """Why kklab differs by design; empty when it agrees."""
    fixed: bool = False
    """kklab disagreed before the issue's fixes (items 1 and 2)."""


def pod(*containers: dict[str, Any], **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "test-pod"},
        "spec": {"containers": list(containers)},
        "status": status,
    }


RUNNING = pod({"name": "web", "image": "nginx"}, phase="Running")
DEPLOYMENT = {"spec": {"replicas": 2, "template": {"spec": {"containers": []}}}}
FOO = {"foo": {"baz": True, "bar": 4, "bat": 6}}
THREE = pod(
    {"name": "container-1", "image": "nginx-1", "env": [{"name": "ENV_1", "value": "value-1"}]},
    {"name": "container-2", "image": "nginx-2", "env": [{"name": "ENV_2", "value": "value-2"}]},
    {"name": "container-3", "image": "nginx-3", "env": [{"name": "ENV_3", "value": "value-3"}]},
)
SECURED = pod(
    {"name": "a", "securityContext": {"runAsNonRoot": True}},
    {"name": "b", "securityContext": {}},
)
HALF_SECURED = pod({"name": "a", "securityContext": {"runAsNonRoot": True}}, {"name": "b"})
READY = {"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "X"}]}}
NOT_READY = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}

CASES = [
    # kuttl: IsSubset, the matching behind its assert and errors files.
    Case(
        "kuttl-extra-keys-ignored",
        KUTTL,
        {"hello": "world"},
        {"hello": "world", "bye": "moon"},
        "pass",
        "pass",
    ),
    Case(
        "kuttl-value-differs",
        KUTTL,
        {"hello": "moon"},
        {"hello": "world", "bye": "moon"},
        "fail",
        "fail",
    ),
    Case(
        "kuttl-nested-subset",
        KUTTL,
        {"hello": {"hello": "world"}},
        {"hello": {"hello": "world", "bye": "moon"}},
        "pass",
        "pass",
    ),
    Case(
        "kuttl-nested-differs",
        KUTTL,
        {"hello": {"hello": "moon"}},
        {"hello": {"hello": "world", "bye": "moon"}},
        "fail",
        "fail",
    ),
    Case(
        "kuttl-mapping-against-string",
        KUTTL,
        {"hello": {"hello": "moon"}},
        {"hello": "world"},
        "fail",
        "fail",
    ),
    Case("kuttl-missing-key", KUTTL, {"hello": "world"}, {}, "fail", "fail"),
    Case(
        "kuttl-equal-scalar-list", KUTTL, {"hello": [1, 2, 3]}, {"hello": [1, 2, 3]}, "pass", "pass"
    ),
    Case(
        "kuttl-list-element-subset",
        KUTTL,
        {"hello": {"hello": [{"image": "hello"}]}},
        {"hello": {"hello": [{"image": "hello", "bye": "moon"}]}},
        "pass",
        "pass",
    ),
    Case(
        "kuttl-list-longer-than-expected",
        KUTTL,
        {"hello": {"hello": [{"image": "hello"}]}},
        {"hello": {"hello": [{"image": "hello", "bye": "moon"}, {"bye": "moon"}]}},
        "fail",
        "pass",
        differs=LISTS_BY_KEY,
    ),
    Case(
        "kuttl-list-element-differs",
        KUTTL,
        {"hello": {"hello": [{"image": "hello"}]}},
        {"hello": {"hello": [{"image": "world"}]}},
        "fail",
        "fail",
    ),
    Case(
        "kuttl-docs-phase",
        KUTTL_DOCS,
        {"status": {"phase": "Successful"}},
        {"status": {"phase": "Running"}},
        "fail",
        "fail",
    ),
    Case(
        "kuttl-docs-errors-file-matches",
        KUTTL_DOCS,
        {"status": {"phase": "Successful"}},
        {"status": {"phase": "Successful"}},
        "fail",
        "fail",
        kind="error",
    ),
    Case(
        "kuttl-docs-errors-file-no-match",
        KUTTL_DOCS,
        {"status": {"phase": "Successful"}},
        {"status": {"phase": "Running"}},
        "pass",
        "pass",
        kind="error",
    ),
    Case(
        "kuttl-null-against-absent",
        KUTTL,
        {"metadata": {"labels": {"debug": None}}},
        {"metadata": {}},
        "fail",
        "pass",
        differs=NULL_IS_ABSENT,
    ),
    # Chainsaw: checks, the assert and error operations, the documented examples.
    Case("chainsaw-check-passing", CHAINSAW_CHECK, {"foo": "bar"}, {"foo": "bar"}, "pass", "pass"),
    Case(
        "chainsaw-check-not-passing", CHAINSAW_CHECK, {"foo": "baz"}, {"foo": "bar"}, "fail", "fail"
    ),
    Case(
        "chainsaw-assert-failed-match",
        CHAINSAW_ASSERT,
        pod({"name": "test-container", "image": "test-image"}),
        pod({"name": "fake-container", "image": "fake-image"}),
        "fail",
        "fail",
    ),
    Case(
        "chainsaw-assert-bad-assert",
        CHAINSAW_ASSERT,
        {"spec": {"(foo('bar'))": "test-pod"}},
        {"spec": {}},
        "error",
        "lint",
        fixed=True,
    ),
    Case(
        "chainsaw-error-bad-assert",
        CHAINSAW_ERROR,
        {"spec": {"(foo('bar'))": "test-pod"}},
        {"spec": {}},
        "error",
        "lint",
        kind="error",
        fixed=True,
    ),
    Case(
        "chainsaw-assert-bad-projection",
        CHAINSAW_ASSERT,
        {"spec": {"foo": "bar"}},
        {"spec": {}},
        "fail",
        "fail",
    ),
    Case(
        "chainsaw-error-resource-matches",
        CHAINSAW_ERROR,
        {"metadata": {"name": "test-pod"}},
        {"metadata": {"name": "test-pod"}},
        "fail",
        "fail",
        kind="error",
    ),
    Case(
        "chainsaw-docs-basic", CHAINSAW_DOCS, {"spec": {"replicas": 2}}, DEPLOYMENT, "pass", "pass"
    ),
    Case(
        "chainsaw-docs-replicas-range",
        CHAINSAW_DOCS,
        {"spec": {"(replicas > `1` && replicas < `4`)": True}},
        DEPLOYMENT,
        "pass",
        "pass",
    ),
    Case(
        "chainsaw-docs-replicas-out-of-range",
        CHAINSAW_DOCS,
        {"spec": {"(replicas > `2` && replicas < `4`)": True}},
        DEPLOYMENT,
        "fail",
        "fail",
    ),
    Case(
        "chainsaw-docs-filter-ready",
        CHAINSAW_DOCS,
        {"status": {"(conditions[?type == 'Ready'])": [{"status": "True"}]}},
        READY,
        "pass",
        "pass",
    ),
    Case(
        "chainsaw-docs-filter-not-ready",
        CHAINSAW_DOCS,
        {"status": {"(conditions[?type == 'Ready'])": [{"status": "True"}]}},
        NOT_READY,
        "fail",
        "fail",
    ),
    Case(
        "chainsaw-docs-filter-as-mapping",
        CHAINSAW_DOCS,
        {"status": {"(conditions[?type == 'Ready'])": {"status": "True"}}},
        READY,
        "error",
        "pass",
        differs=EACH_SELECTED,
    ),
    Case(
        "chainsaw-docs-iterate-secured",
        CHAINSAW_DOCS,
        {"spec": {"~.(containers)": {"securityContext": {}}}},
        SECURED,
        "pass",
        "pass",
    ),
    Case(
        "chainsaw-docs-iterate-half-secured",
        CHAINSAW_DOCS,
        {"spec": {"~.(containers)": {"securityContext": {}}}},
        HALF_SECURED,
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "chainsaw-arrays-filtered-iteration",
        CHAINSAW_ARRAYS,
        {"spec": {"~.(containers[?name == 'container-1'])": {"image": "nginx-1"}}},
        THREE,
        "pass",
        "pass",
        fixed=True,
    ),
    Case(
        "chainsaw-arrays-filtered-iteration-wrong",
        CHAINSAW_ARRAYS,
        {"spec": {"~.(containers[?name == 'container-1'])": {"image": "nginx-2"}}},
        THREE,
        "fail",
        "fail",
    ),
    Case(
        "chainsaw-arrays-nested-iteration",
        CHAINSAW_ARRAYS,
        {"spec": {"~.(containers)": {"~.(env)": {"(starts_with(name, 'ENV_'))": True}}}},
        THREE,
        "pass",
        "pass",
        fixed=True,
    ),
    Case(
        "chainsaw-arrays-indexed-iteration",
        CHAINSAW_ARRAYS,
        {"spec": {"~index.(containers)": {"image": "(join('-', ['nginx', to_string($index)]))"}}},
        THREE,
        "pass",
        "lint",
        differs=NO_BINDINGS,
    ),
    Case(
        "chainsaw-tree-binding",
        CHAINSAW_TREE,
        {"spec": {"(template)->t": {"($t.spec != null)": True}}},
        DEPLOYMENT,
        "pass",
        "lint",
        differs=NO_BINDINGS,
    ),
    # kyverno-json: the assertion tree Chainsaw runs.
    Case(
        "json-empty-object-against-null",
        JSON_TEST,
        {"foo": {}},
        {"foo": None},
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "json-empty-object-against-object",
        JSON_TEST,
        {"foo": {}},
        {"foo": {"bar": 42}},
        "pass",
        "pass",
    ),
    Case(
        "json-empty-object-against-scalar",
        JSON_TEST,
        {"foo": {}},
        {"foo": 42},
        "pass",
        "fail",
        differs=MAPPING_NOT_ANY,
    ),
    Case(
        "json-foreach-in-a-value",
        JSON_TEST,
        {"foo": {"bar": "~.(`42`)"}},
        {"foo": {"bar": 42}},
        "error",
        "fail",
        differs=NO_VALUE_EXPRESSIONS,
    ),
    Case(
        "json-docs-service-account",
        JSON_DOCS,
        {"spec": {"(serviceAccountName == 'default')": False}},
        {"spec": {"serviceAccountName": "build"}},
        "pass",
        "pass",
    ),
    Case(
        "json-docs-default-service-account",
        JSON_DOCS,
        {"spec": {"(serviceAccountName == 'default')": False}},
        {"spec": {"serviceAccountName": "default"}},
        "fail",
        "fail",
    ),
    Case(
        "json-docs-comparison-and-not",
        JSON_DOCS,
        {"foo": {"(bar > `3`)": True, "(!baz)": False}},
        FOO,
        "pass",
        "pass",
    ),
    Case(
        "json-docs-arithmetic",
        JSON_DOCS,
        {"foo": {"(bar + bat)": 10}},
        FOO,
        "pass",
        "lint",
        differs=DIALECT,
    ),
    Case(
        "json-docs-whole-array",
        JSON_DOCS,
        {"foo": {"bar": [1, 2, 3]}},
        {"foo": {"bar": [1, 2, 3]}},
        "pass",
        "pass",
    ),
    Case(
        "json-docs-iterate-scalars",
        JSON_DOCS,
        {"foo": {"~.bar": {"(@ < `5`)": True}}},
        {"foo": {"bar": [1, 2, 3]}},
        "pass",
        "pass",
        fixed=True,
    ),
    Case(
        "json-docs-iterate-scalars-too-big",
        JSON_DOCS,
        {"foo": {"~.bar": {"(@ < `5`)": True}}},
        {"foo": {"bar": [1, 7, 3]}},
        "fail",
        "fail",
    ),
    Case(
        "json-docs-iterate-a-map",
        JSON_DOCS,
        {"~.labels": {"(length(@) < `4`)": True}},
        {"labels": {"a": "web", "b": "db"}},
        "pass",
        "pass",
    ),
    Case(
        "json-docs-iterate-a-map-long-value",
        JSON_DOCS,
        {"~.labels": {"(length(@) < `4`)": True}},
        {"labels": {"a": "webserver"}},
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "json-docs-binding",
        JSON_DOCS,
        {"foo": {"(bar)->sum": {"($sum)": 4}}},
        FOO,
        "pass",
        "lint",
        differs=NO_BINDINGS,
    ),
    Case(
        "json-docs-named-iteration",
        JSON_DOCS,
        {"foo": {"~i.bar": {"(@ < `5`)": True}}},
        {"foo": {"bar": [1]}},
        "pass",
        "lint",
        differs=NO_BINDINGS,
    ),
    Case(
        "json-slices-in-order",
        JSON_MATCH,
        {"bar": [3, 2, 1]},
        {"bar": [1, 2, 3]},
        "fail",
        "pass",
        differs=SCALARS_PRESENT,
    ),
    Case(
        "json-slices-same-length",
        JSON_MATCH,
        {"bar": [1]},
        {"bar": [1, 2]},
        "fail",
        "pass",
        differs=SCALARS_PRESENT,
    ),
    Case("json-slices-against-null", JSON_MATCH, {"bar": [1]}, {"bar": None}, "fail", "fail"),
    Case(
        "json-empty-iteration-passes",
        JSON_DOCS,
        {"~.bar": {"(@ < `5`)": True}},
        {"bar": []},
        "pass",
        "pass",
        fixed=True,
    ),
    # The issue's cases, each decided by the references as stated there.
    Case(
        "issue-error-check-unknown-function",
        ISSUE,
        {"status": {"(lower(phase) == 'running')": True}},
        RUNNING,
        "fail",
        "lint",
        kind="error",
        differs=DIALECT,
        fixed=True,
    ),
    Case(
        "issue-empty-security-context",
        ISSUE,
        {"spec": {"containers": [{"name": "web", "securityContext": {}}]}},
        RUNNING,
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "issue-empty-finalizers-against-two",
        ISSUE,
        {"metadata": {"finalizers": []}},
        {"metadata": {"finalizers": ["a", "b"]}},
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "issue-empty-finalizers-against-absent",
        ISSUE,
        {"metadata": {"finalizers": []}},
        {"metadata": {}},
        "fail",
        "pass",
        differs=OMITTED_EMPTY,
    ),
    Case(
        "issue-iterate-any-containers",
        ISSUE,
        {"spec": {"~.(containers)": {"securityContext": {}}}},
        RUNNING,
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "issue-expression-on-a-string",
        ISSUE,
        {"metadata": {"labels": {"type": {"(starts_with(@, 'my-'))": True}}}},
        {"metadata": {"labels": {"type": "my-app"}}},
        "pass",
        "pass",
        fixed=True,
    ),
    Case(
        "issue-expression-sees-the-list",
        ISSUE,
        {"spec": {"(containers[?name == 'web'])": {"(length(@))": 1}}},
        RUNNING,
        "pass",
        "pass",
        fixed=True,
    ),
    Case(
        "issue-args-order-through-expression",
        ISSUE,
        {"spec": {"(containers[?name == 'web'] | [0].args)": ["80", "--port"]}},
        pod({"name": "web", "args": ["--port", "80"]}),
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "issue-keyed-elements-distinct",
        ISSUE,
        {
            "spec": {
                "containers": [{"name": "web", "env": [{"name": "A", "value": "1"}, {"name": "A"}]}]
            }
        },
        pod({"name": "web", "env": [{"name": "A", "value": "1"}]}),
        "fail",
        "fail",
        fixed=True,
    ),
    Case(
        "issue-iterate-absent-list",
        ISSUE,
        {"spec": {"~.(initContainers)": {"name": "x"}}},
        RUNNING,
        "error",
        "fail",
        differs=ABSENT_ITERATION,
    ),
]


def outcome(case: Case, *, lint: bool = True) -> Outcome:
    """What kklab decides for the case, as ``assert`` or ``error`` check."""
    if lint and partial_object_problems(case.expected):
        return "lint"
    mismatches = match(case.expected, case.actual)
    if mismatches and unevaluated(mismatches):
        return "error"
    matched = not mismatches
    if case.kind == "assert":
        return "pass" if matched else "fail"
    return "fail" if matched else "pass"


def category(decision: Outcome) -> str:
    return "refused" if decision in ("error", "lint") else decision


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    assert outcome(case) == case.kklab
    agrees = category(case.reference) == category(case.kklab)
    assert agrees == (not case.differs), "a difference needs its documented reason"


@pytest.mark.parametrize("case", [c for c in CASES if c.kklab == "lint"], ids=lambda c: c.id)
def test_what_lint_rejects_is_an_error_when_graded_anyway(case: Case) -> None:
    assert outcome(case, lint=False) == "error"


def test_the_counts_in_graders_readme() -> None:
    agree = sum(1 for case in CASES if not case.differs)
    differ = sum(1 for case in CASES if case.differs)
    fixed = sum(1 for case in CASES if case.fixed and not case.differs)
    assert (len(CASES), agree, differ, fixed) == (63, 48, 15, 16)
