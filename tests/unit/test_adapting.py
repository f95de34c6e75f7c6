"""Converting manifests to the versions a 1.20 server serves, and reading manifests (pure)."""

from __future__ import annotations

import pytest

from kklab.cluster import adapting
from kklab.cluster.adapting import ManifestError, convert, objects_of

CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "tick", "labels": {"app": "tick"}},
    "spec": {
        "schedule": "*/5 * * * *",
        "concurrencyPolicy": "Forbid",
        "successfulJobsHistoryLimit": 1,
        "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never"}}}},
    },
}


def pdb(selector: object = None, **spec: object) -> dict[str, object]:
    body: dict[str, object] = {"minAvailable": 1, **spec}
    if selector is not None:
        body["selector"] = selector
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": body,
    }


def test_cronjob_keeps_every_field_and_changes_only_its_version() -> None:
    converted, note = convert(CRONJOB)
    assert converted == {**CRONJOB, "apiVersion": "batch/v1beta1"}
    assert note == "same fields"
    assert CRONJOB["apiVersion"] == "batch/v1", "the input is not changed"


def test_cronjob_time_zone_is_refused_not_dropped() -> None:
    with pytest.raises(ManifestError) as caught:
        convert({**CRONJOB, "spec": {**CRONJOB["spec"], "timeZone": "Europe/Paris"}})  # type: ignore[dict-item]
    assert "spec.timeZone" in str(caught.value)
    assert "remove timeZone" in str(caught.value)


def test_pdb_empty_selector_keeps_the_v1_meaning_every_pod() -> None:
    converted, note = convert(pdb({}))
    assert converted["apiVersion"] == "policy/v1beta1"
    assert converted["spec"]["selector"] == {
        "matchExpressions": [{"key": "kklab.io/no-such-label", "operator": "DoesNotExist"}]
    }
    assert "every pod in v1, none in v1beta1" in note


def test_pdb_with_labels_or_no_selector_is_unchanged_apart_from_its_version() -> None:
    with_labels, note = convert(pdb({"matchLabels": {"app": "web"}}))
    assert with_labels["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert note == "same fields"
    without, _ = convert(pdb())
    assert "selector" not in without["spec"], "a null selector selects no pod in both versions"


def test_pdb_unhealthy_pod_eviction_policy_is_refused() -> None:
    with pytest.raises(ManifestError, match="unhealthyPodEvictionPolicy"):
        convert(pdb({}, unhealthyPodEvictionPolicy="AlwaysAllow"))


def test_only_known_conversions() -> None:
    with pytest.raises(ManifestError, match="cannot convert Deployment apps/v1"):
        convert({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}})


def test_objects_of_reads_documents_lists_and_dicts() -> None:
    text = """
apiVersion: v1
kind: ConfigMap
metadata: {name: one}
---
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Service, metadata: {name: two}}
"""
    assert [o["metadata"]["name"] for o in objects_of(text)] == ["one", "two"]
    assert objects_of([CRONJOB]) == [CRONJOB]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Pod\nmetadata: {name: x}", "document 1 of the manifest has no apiVersion"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {}", "the Pod in document 1 has no metadata.name"),
        ("- a\n- b", "document 1 of the manifest is not an object"),
        ("a: [", "the manifest is not valid YAML"),
    ],
)
def test_objects_of_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        objects_of(text)
    assert str(caught.value).startswith(message)


def test_the_conversion_note_is_said_once_per_kind(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapting, "_noted", set())
    for _ in range(3):
        adapting._note_once("batch/v1", "CronJob", "batch/v1beta1", "same fields")
    adapting._note_once("policy/v1", "PodDisruptionBudget", "policy/v1beta1", "same fields")
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "note: this cluster does not serve CronJob batch/v1; kklab applies it as "
        "batch/v1beta1 (same fields)",
        "note: this cluster does not serve PodDisruptionBudget policy/v1; kklab applies it as "
        "policy/v1beta1 (same fields)",
    ]


def test_applied_object_describes_itself() -> None:
    applied = adapting.AppliedObject(
        "batch/v1beta1", "CronJob", "tick", "lab-x", "created", "batch/v1"
    )
    assert applied.describe() == "cronjob/lab-x/tick created (as batch/v1beta1, from batch/v1)"


def test_action_reads_like_kubectl_apply_and_ignores_what_controllers_add() -> None:
    body = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "b"}]}}
    owned = {"manager": "kklab", "operation": "Apply", "fieldsV1": {"f:spec": {}}}
    live = {
        "metadata": {"name": "p", "resourceVersion": "9", "managedFields": [owned]},
        "spec": {"nodeName": "vm", "containers": [{"name": "c", "image": "b", "tty": False}]},
        "status": {"phase": "Running"},
    }
    assert adapting._action(body, None, live) == "created"
    assert adapting._action(body, live, live) == "unchanged"
    changed = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    assert adapting._action(changed, live, live) == "configured"
    fewer_fields = {**live, "metadata": {**live["metadata"], "managedFields": []}}
    assert adapting._action(body, live, fewer_fields) == "configured"
