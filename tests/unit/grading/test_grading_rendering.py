"""Rendering of results as text, HTML and JSON, on exact output."""

from __future__ import annotations

import json

from kklab.grading.matching import Mismatch
from kklab.grading.rendering import render_html, render_json, render_text
from kklab.grading.results import CheckResult, ExerciseResult, LabResult

WHY = (
    'the claim uses storageClassName "local-storage", which waits for the first pod that'
    ' mounts it (WaitForFirstConsumer). No pod mounts "data" yet.'
)
FAILED = CheckResult(
    lab="07-storage",
    exercise="3",
    check_id="pvc-is-bound-to-local-pv",
    title="The claim data is bound",
    status="failed",
    points_earned=0,
    points_possible=2,
    subject="v1 PersistentVolumeClaim lab-07-storage/data",
    mismatches=(Mismatch("status.phase", "Bound", "Pending", "differs"),),
    why=WHY,
    hints=("create the pod from exercise 4, then check again.", "kubectl apply -f pod.yaml"),
)


def test_failure_renders_as_the_style_guide_shows() -> None:
    assert render_text(FAILED) == (
        "✗ 07-storage › pvc-is-bound-to-local-pv                 0/2\n"
        "  v1 PersistentVolumeClaim lab-07-storage/data\n"
        '  * status.phase: expected "Bound", found "Pending"\n'
        '  Why: the claim uses storageClassName "local-storage", which waits for the\n'
        '  first pod that mounts it (WaitForFirstConsumer). No pod mounts "data" yet.\n'
        "  Hint: create the pod from exercise 4, then check again."
    )


def test_failure_after_waiting_says_so_and_shows_evidence_and_more_hints() -> None:
    from dataclasses import replace

    waited = replace(FAILED, why=None, waited_s=10.2, evidence=("event PVC/data: Normal X: y",))
    assert render_text(waited, hint_level=2).splitlines()[2:] == [
        '  * status.phase: expected "Bound", found "Pending"',
        "  Seen:",
        "    event PVC/data: Normal X: y",
        "  (Waited 10 s for a change; this is the last state.)",
        "  Hint 1: create the pod from exercise 4, then check again.",
        "  Hint 2: kubectl apply -f pod.yaml",
    ]


def test_lab_summary_counts_and_groups_by_exercise() -> None:
    passed = CheckResult("07-storage", "3", "pv-exists", "PV exists", "passed", 1, 1, "Good.")
    error = CheckResult("07-storage", "4", "pod-runs", "Pod", "error", 0, 1, "API down")
    lab = LabResult(
        "07-storage",
        "Storage",
        (
            ExerciseResult("07-storage", "3", "Claim", (passed, FAILED)),
            ExerciseResult("07-storage", "4", "Mount", (error,)),
        ),
    )
    text = render_text(lab).splitlines()
    assert text[0] == "07-storage: Storage"
    assert text[2] == "Exercise 3: Claim" + " " * 39 + "1/3"
    assert text[3] == "✓ 07-storage › pv-exists" + " " * 32 + "1/1"
    assert "! 07-storage › pod-runs" + " " * 33 + "0/1" in text
    assert "  Error: API down" in text
    assert text[-1] == "07-storage: 1/4 points (1 passed, 1 failed, 1 could not be checked)"
    assert not lab.passed


def test_html_escapes_everything_and_folds_later_hints() -> None:
    from dataclasses import replace

    hostile = replace(FAILED, title="<script>x</script>", why='a "b" & <c>')
    page = render_html(hostile)
    assert "<script>x" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "a &quot;b&quot; &amp; &lt;c&gt;" in page
    assert "<details><summary>Hint 2</summary>kubectl apply -f pod.yaml</details>" in page
    assert hostile._repr_html_() == page


def test_json_round_trips_every_field() -> None:
    data = json.loads(render_json(FAILED))
    assert data["status"] == "failed"
    assert data["mismatches"] == [
        {
            "path": "status.phase",
            "expected": "Bound",
            "found": "Pending",
            "reason": "differs",
            "text": 'status.phase: expected "Bound", found "Pending"',
        }
    ]
    assert data["hints"][0].startswith("create the pod")
