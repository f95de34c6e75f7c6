"""Known-wrong answers fail the intended check with the intended message.

For each lab, ``mutations/NN-topic.yaml`` lists wrong answers per exercise
(``fails``: the check, ``says``: words of its message) and alternative correct
answers (``passes: true``: every check of the exercise passes).
Each runs in a fresh namespace prepared like the lab's (start manifests,
node folders, the reference solutions of ``solve_first``), then its cells run
exactly as answer cells would, and the exercise is graded with hidden checks.
Labs whose mutations create no cluster-scoped objects run them concurrently.

Each corpus runs once in CI, on the profile where it says most. Labs that reach
beyond their namespace (``namespaced: false``: volumes, storage classes, node
folders) run theirs on CI's second run (``KKLAB_PROFILE=kind``, a cluster made like
kind, the learners' default), where the node and its classes are named as on kind;
namespaced labs run theirs on the first, plain run, since their answers meet the
same API on either profile. Every lab's notebook and variants run on both
(``test_notebooks``, ``test_variants``). Outside CI's two runs (``KKLAB_PROFILE``
unset or ``all``), every corpus runs.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
import yaml

from kklab.grading import grade, render_json, render_text
from kklab.labs import find_lab
from tests.conftest import RunningCluster
from tests.labs.harness import CORPUS, answered, corpus

pytestmark = pytest.mark.cluster

GRADE_TIMEOUT_S = 5


def _this_profile(lab_id: str) -> bool:
    """Whether a lab's corpus runs on this run's cluster profile (see above)."""
    profile = os.environ.get("KKLAB_PROFILE", "all")
    if profile == "all":
        return True
    return (profile == "kind") != find_lab(lab_id).setup.namespaced


MUTATIONS = [(lab, iso, m) for lab, iso, m in corpus() if _this_profile(lab)]
REPORTS: dict[tuple[str, str], str] = {}
"""Every mutation's whole report (text with all hints, JSON, HTML), by (lab, name)."""


def _run(
    cluster: RunningCluster, lab_id: str, isolated: bool, mutation: dict[str, Any]
) -> tuple[str, str]:
    spec = find_lab(lab_id).load_grader(mutation.get("seed"))
    with answered(cluster, lab_id, mutation, isolated) as session:
        result = grade(
            cluster.api_client,
            session.namespace,
            spec,
            mutation["exercise"],
            include_hidden=True,
            timeout_s=mutation.get("timeout_s", GRADE_TIMEOUT_S),
        )
    # Everything a learner could see of this run, for tests/labs/test_secret_redaction.py.
    REPORTS[(lab_id, mutation["name"])] = (
        render_text(result, hint_level=99) + render_json(result) + result._repr_html_()
    )
    if mutation.get("passes"):
        return ("passed" if result.passed else "failed"), render_text(result, hint_level=0)
    target = [c for c in result.checks if c.check_id == mutation["fails"]]
    if not target:
        return "missing", f"exercise {mutation['exercise']} has no check {mutation['fails']}"
    return target[0].status, render_text(target[0], hint_level=0)


def _outcome(get: Any) -> tuple[str, str]:
    """One mutation's outcome; a crash is recorded for that mutation alone."""
    try:
        return get()  # type: ignore[no-any-return]
    except Exception as err:
        return "crashed", f"{type(err).__name__}: {err}"


_OUTCOMES: dict[tuple[str, str], tuple[str, str]] = {}


def outcome(cluster: RunningCluster, lab: str, mutation: dict[str, Any]) -> tuple[str, str]:
    """The mutation's (status, text); a lab that is not isolated runs all of its at once."""
    key = (lab, mutation["name"])
    if key not in _OUTCOMES:
        batch = [(iso, m) for name, iso, m in MUTATIONS if name == lab]
        if batch and not batch[0][0]:
            with ThreadPoolExecutor(max_workers=3) as pool:
                futures = {m["name"]: pool.submit(_run, cluster, lab, iso, m) for iso, m in batch}
                for name, future in futures.items():
                    _OUTCOMES[(lab, name)] = _outcome(future.result)
        else:
            isolated = any(iso for iso, _m in batch)
            _OUTCOMES[key] = _outcome(partial(_run, cluster, lab, isolated, mutation))
    return _OUTCOMES[key]


def test_every_exercise_has_at_least_three_mutations() -> None:
    for path in sorted(CORPUS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        spec = find_lab(data["lab"]).load_grader()
        counts = {exercise.id: 0 for exercise in spec.exercises}
        for mutation in data["mutations"]:
            counts[mutation["exercise"]] += 0 if mutation.get("passes") else 1
        assert min(counts.values()) >= 3, f"{path.name}: {counts}"


WRONG = [(lab, m) for lab, _iso, m in MUTATIONS if not m.get("passes")]
RIGHT = [(lab, m) for lab, _iso, m in MUTATIONS if m.get("passes")]


@pytest.mark.parametrize(("lab", "mutation"), RIGHT, ids=[f"{lab}-{m['name']}" for lab, m in RIGHT])
def test_alternative_answer_passes(
    cluster: RunningCluster, lab: str, mutation: dict[str, Any]
) -> None:
    status, text = outcome(cluster, lab, mutation)
    assert status == "passed", text


@pytest.mark.parametrize(("lab", "mutation"), WRONG, ids=[f"{lab}-{m['name']}" for lab, m in WRONG])
def test_wrong_answer_fails_with_its_message(
    cluster: RunningCluster, lab: str, mutation: dict[str, Any]
) -> None:
    status, text = outcome(cluster, lab, mutation)
    assert status == "failed", text
    # Reports wrap long lines: compare with white space folded.
    assert " ".join(mutation["says"].split()) in " ".join(text.split()), text
