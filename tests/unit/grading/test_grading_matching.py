"""Matching of partial objects against plain dicts: rules, paths and never raising."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kklab.grading.matching import Mismatch, match

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web", "app.kubernetes.io/name": "shop"}},
    "spec": {
        "containers": [
            {
                "name": "sidecar",
                "image": "busybox:1.35",
                "command": ["sleep", "3600"],
            },
            {
                "name": "web",
                "image": "nginx:1.19",
                "ports": [{"containerPort": 80, "name": "http"}],
                "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            },
        ],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    },
    "status": {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
        ],
        "containerStatuses": [{"name": "web", "restartCount": 0}],
    },
}


def lines(expected: Any, actual: Any = POD, **options: Any) -> list[str]:
    return [m.describe() for m in match(expected, actual, **options)]


def test_unlisted_fields_are_ignored() -> None:
    assert match({"kind": "Pod", "status": {"phase": "Running"}}, POD) == []


def test_scalar_difference_names_path_expected_and_found() -> None:
    assert lines({"status": {"phase": "Succeeded"}}) == [
        'status.phase: expected "Succeeded", found "Running"'
    ]


def test_containers_match_by_name_whatever_their_order() -> None:
    assert match({"spec": {"containers": [{"name": "web", "image": "nginx:1.19"}]}}, POD) == []
    assert lines({"spec": {"containers": [{"name": "web", "image": "nginx:1.21"}]}}) == [
        'spec.containers[name=web].image: expected "nginx:1.21", found "nginx:1.19"'
    ]


def test_missing_keyed_element_lists_what_is_there() -> None:
    assert lines({"spec": {"containers": [{"name": "api"}]}}) == [
        'spec.containers[name=api]: expected an element with name "api",'
        ' found only "sidecar", "web"'
    ]


def test_env_matches_by_name_not_position() -> None:
    expected = {"spec": {"containers": [{"name": "web", "env": [{"name": "A", "value": "1"}]}]}}
    assert match(expected, POD) == []


def test_conditions_match_by_type() -> None:
    assert match({"status": {"conditions": [{"type": "Initialized", "status": "True"}]}}, POD) == []
    assert lines({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}) == [
        'status.conditions[type=Ready].status: expected "True", found "False"'
    ]


def test_command_is_ordered_by_default() -> None:
    ordered = {"spec": {"containers": [{"name": "sidecar", "command": ["3600", "sleep"]}]}}
    assert lines(ordered) == [
        'spec.containers[name=sidecar].command[0]: expected "3600", found "sleep"',
        'spec.containers[name=sidecar].command[1]: expected "sleep", found "3600"',
    ]


def test_ordered_option_makes_a_list_positional() -> None:
    expected = {"spec": {"containers": [{"name": "web", "env": [{"name": "A"}, {"name": "B"}]}]}}
    assert match(expected, POD) == []
    found = match(expected, POD, ordered=["spec.containers.env"])
    assert [m.path for m in found] == [
        "spec.containers[name=web].env[0].name",
        "spec.containers[name=web].env[1].name",
    ]


def test_scalar_lists_require_each_expected_element() -> None:
    actual = {"accessModes": ["ReadWriteOnce", "ReadOnlyMany"]}
    assert match({"accessModes": ["ReadOnlyMany"]}, actual) == []
    assert lines({"accessModes": ["ReadWriteMany"]}, actual) == [
        'accessModes: expected the list to contain "ReadWriteMany",'
        ' found ["ReadWriteOnce", "ReadOnlyMany"]'
    ]
    assert [m.reason for m in match({"accessModes": ["ReadOnlyMany", "ReadOnlyMany"]}, actual)] == [
        "not-in-list"
    ]


def test_unkeyed_mappings_report_the_closest_element() -> None:
    service = {"spec": {"ports": [{"port": 80, "targetPort": 80}, {"port": 443}]}}
    assert lines({"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}, service) == [
        "spec.ports[0].targetPort: expected 8080, found 80"
    ]


def test_expression_keys_compute_conditions() -> None:
    assert match({"(status.containerStatuses[0].restartCount >= `1`)": False}, POD) == []
    assert lines({"(status.containerStatuses[0].restartCount >= `1`)": True}) == [
        "(status.containerStatuses[0].restartCount >= `1`): expected true, found false"
    ]
    assert match({"metadata": {"(labels.app != null)": True}}, POD) == []
    assert match({"(contains(['Running', 'Succeeded'], status.phase))": True}, POD) == []


def test_expression_filter_must_select_something() -> None:
    assert match({"status": {"(conditions[?type == 'Ready'])": {"status": "False"}}}, POD) == []
    assert lines({"status": {"(conditions[?type == 'Bogus'])": {"status": "True"}}}) == [
        "status.(conditions[?type == 'Bogus']): expected an element matching"
        ' {"status": "True"}, the expression selected none'
    ]


def test_invalid_expression_is_a_mismatch_not_an_exception() -> None:
    found = match({"(status.phase ==)": True}, POD)
    assert [m.reason for m in found] == ["expression"]


def test_null_asserts_absence_even_without_a_parent() -> None:
    assert match({"metadata": {"labels": {"debug": None}}}, POD) == []
    assert match({"metadata": {"annotations": {"debug": None}}}, POD) == []
    assert lines({"metadata": {"labels": {"app": None}}}) == [
        'metadata.labels.app: expected the field to be absent, found "web"'
    ]


def test_labels_with_dots_are_quoted_in_paths() -> None:
    assert lines({"metadata": {"labels": {"app.kubernetes.io/name": "blog"}}}) == [
        'metadata.labels["app.kubernetes.io/name"]: expected "blog", found "shop"'
    ]


def test_missing_field_says_it_is_not_set() -> None:
    assert lines({"spec": {"nodeName": "node-1"}}) == [
        'spec.nodeName: expected "node-1", found nothing (the field is not set)'
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "reason"),
    [
        ({"spec": {"a": 1}}, {"spec": "text"}, "type"),
        ({"spec": [1]}, {"spec": {"a": 1}}, "type"),
        ({"spec": "x"}, {"spec": ["x"]}, "type"),
        ({"port": 8080}, {"port": "8080"}, "differs"),
        ({"ready": True}, {"ready": 1}, "differs"),
    ],
)
def test_type_mismatches_are_mismatches(expected: Any, actual: Any, reason: str) -> None:
    assert [m.reason for m in match(expected, actual)] == [reason]


def test_mismatches_are_sorted_by_path() -> None:
    found = match({"status": {"phase": "x"}, "kind": "y", "apiVersion": "z"}, POD)
    assert [m.path for m in found] == ["apiVersion", "kind", "status.phase"]


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats()
json_trees = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "type", "a", "b", "args", "conditions"]), children
        )
    ),
    max_leaves=20,
)
expression_keys = st.sampled_from(["(a)", "(a.b > `1`)", "(length(@))", "([[", "(name == 'x')"])
spec_trees = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "type", "a", "b", "args", "conditions"]) | expression_keys,
            children,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(expected=spec_trees, actual=json_trees)
def test_matching_never_raises(expected: Any, actual: Any) -> None:
    found = match(expected, actual, ordered=["a.b"])
    assert all(isinstance(m, Mismatch) for m in found)
    assert all(isinstance(m.describe(), str) for m in found)


@settings(max_examples=200, deadline=None)
@given(tree=json_trees)
def test_an_object_matches_itself(tree: Any) -> None:
    if isinstance(tree, float) and tree != tree:  # NaN is not equal to itself
        return
    has_nan = "nan" in repr(tree)
    assert match(tree, tree) == [] or has_nan


def _pod_with(container: dict[str, Any], volumes: list[Any] | None = None) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": "c", **container}], "volumes": volumes or []}}


@pytest.mark.parametrize(
    ("field", "expected", "found", "same"),
    [
        ("mountPath", "/logs", "/logs/", True),
        ("mountPath", "/logs/", "/logs", True),
        ("mountPath", "/", "/", True),
        ("mountPath", "/logs", "/log", False),
        ("mountPath", "/", "/logs", False),
        ("subPath", "app/", "app", True),
        ("image", "busybox:1.35", "docker.io/library/busybox:1.35", True),
        ("image", "busybox:1.35", "library/busybox:1.35", True),
        ("image", "busybox:1.35", "index.docker.io/library/busybox:1.35", True),
        ("image", "busybox", "busybox:latest", True),
        ("image", "busybox:1.35", "busybox:1.36", False),
        ("image", "busybox@sha256:abc", "docker.io/library/busybox@sha256:abc", False),
        ("image", "quay.io/app/web:1", "quay.io/app/web:1", True),
        ("image", "quay.io/app/web:1", "docker.io/app/web:1", False),
    ],
)
def test_paths_and_images_compare_by_meaning(
    field: str, expected: str, found: str, same: bool
) -> None:
    if field == "image":
        partial, actual = _pod_with({"image": expected}), _pod_with({"image": found})
    else:
        partial = _pod_with({"volumeMounts": [{"name": "v", field: expected}]})
        actual = _pod_with({"volumeMounts": [{"name": "v", field: found}]})
    assert (match(partial, actual) == []) is same


@pytest.mark.parametrize(
    ("expected", "found", "same"),
    [
        ("500Mi", "524288000", True),
        (524288000, "500Mi", True),
        ("0.5Gi", "512Mi", True),
        ("1Gi", 1073741824, True),
        ("1000m", "1", True),
        ("500Mi", "500M", False),
        ("1Gi", "1Mi", False),
        ("lots", "lots", True),  # not a quantity: compared as written
        ("lots", "Lots", False),
    ],
)
def test_quantities_compare_by_meaning(expected: Any, found: Any, same: bool) -> None:
    claim = {"spec": {"resources": {"requests": {"storage": found}}}}
    assert (
        match({"spec": {"resources": {"requests": {"storage": expected}}}}, claim) == []
    ) is same
    volume = {"spec": {"capacity": {"storage": found}}}
    assert (match({"spec": {"capacity": {"storage": expected}}}, volume) == []) is same
    limits = _pod_with({"resources": {"limits": {"memory": found}}})
    assert (match(_pod_with({"resources": {"limits": {"memory": expected}}}), limits) == []) is same


def test_host_path_and_size_limit_compare_by_meaning_other_fields_as_written() -> None:
    volumes = [
        {"name": "host", "hostPath": {"path": "/var/log/"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "1024Mi"}},
    ]
    actual = _pod_with({}, volumes)
    expected = {
        "spec": {
            "volumes": [
                {"name": "host", "hostPath": {"path": "/var/log"}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
            ]
        }
    }
    assert match(expected, actual) == []
    # A name is not a path: its trailing slash counts.
    assert match({"metadata": {"name": "web"}}, {"metadata": {"name": "web/"}}) != []


def test_values_reached_by_expressions_compare_by_meaning() -> None:
    actual = _pod_with(
        {
            "image": "docker.io/library/busybox:1.35",
            "volumeMounts": [{"name": "v", "mountPath": "/logs/"}],
            "resources": {"requests": {"memory": "524288000"}},
        }
    )
    expected = {
        "spec": {
            "(containers[0].image)": "busybox:1.35",
            "(containers[0].volumeMounts[0].mountPath)": "/logs",
            "(containers[0].resources.requests.memory)": "500Mi",
            "(containers[?name == 'c'])": {"image": "busybox:1.35"},
        }
    }
    assert match(expected, actual) == []
    assert [m.path for m in match({"spec": {"(containers[0].image)": "busybox:1.36"}}, actual)] == [
        "spec.(containers[0].image)"
    ]


def test_unkeyed_elements_are_found_by_meaning_too() -> None:
    actual = _pod_with({"volumeMounts": [{"name": "v", "mountPath": "/logs/"}]})
    expected = {"spec": {"containers": [{"volumeMounts": [{"mountPath": "/logs"}]}]}}
    assert match(expected, actual) == []


def test_a_mismatch_shows_both_values_as_written() -> None:
    actual = _pod_with({"image": "docker.io/library/busybox:1.36"})
    (mismatch,) = match(_pod_with({"image": "busybox:1.35"}), actual)
    assert mismatch.describe() == (
        'spec.containers[name=c].image: expected "busybox:1.35", found'
        ' "docker.io/library/busybox:1.36"'
    )


def test_the_closest_element_is_the_one_lacking_a_field_not_another_with_that_flag() -> None:
    """A mount at the right path without readOnly is shown, not the token's read-only mount."""
    expected = {"volumeMounts": [{"mountPath": "/logs", "readOnly": True}]}
    found = {
        "volumeMounts": [
            {"name": "logs", "mountPath": "/logs"},
            {
                "name": "token",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "readOnly": True,
            },
        ]
    }
    assert [m.describe() for m in match(expected, found)] == [
        "volumeMounts[0].readOnly: expected true, found nothing (the field is not set)"
    ]
