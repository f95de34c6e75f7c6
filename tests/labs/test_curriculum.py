"""The curriculum map agrees with the labs and their graders."""

from __future__ import annotations

from pathlib import Path

import yaml

from kklab.labs import all_labs

CURRICULUM = Path(__file__).resolve().parents[2] / "labs" / "curriculum.yaml"


def test_every_graded_concept_has_an_exercise_with_checks() -> None:
    labs = {lab.id: lab for lab in all_labs()}
    data = yaml.safe_load(CURRICULUM.read_text())["labs"]
    problems = []
    for lab_id, concepts in data.items():
        for concept in concepts:
            if concept["status"] != "graded":
                continue
            if lab_id not in labs:
                problems.append(f"{lab_id}: no such lab for {concept['concept']!r}")
                continue
            spec = labs[lab_id].load_grader()
            checked = {e.id for e in spec.exercises if e.checks}
            missing = [e for e in concept.get("exercises") or [] if e not in checked]
            if not concept.get("exercises") or missing:
                problems.append(f"{lab_id}: {concept['concept']!r} has no checked exercise")
    assert problems == []


def test_every_written_lab_is_in_the_curriculum() -> None:
    data = yaml.safe_load(CURRICULUM.read_text())["labs"]
    for lab in all_labs():
        assert any(c["status"] == "graded" for c in data.get(lab.id, [])), lab.id
