"""Per-learner variants on the real cluster: each variant's solution passes, its
untouched state fails, and one learner's solution fails another learner's grader.

For every lab that declares parameters, two seeds that draw values other than
the defaults are used. The exercises tested are those whose reference answers
use a parameter (found in the unfilled source); the
exercises before them are solved too, since later ones build on them.
"""

from __future__ import annotations

from typing import Any

import pytest

from kklab.grading import grade, render_text
from kklab.labs import all_labs
from kklab.labs.model import parse_source
from kklab.labs.variants import placeholders
from tests.conftest import RunningCluster
from tests.labs.harness import delete_lab_volumes, drop, scratch_session, settle, solve

LABS = [lab for lab in all_labs() if lab.setup.parameters]
SEEDS = ("ada", "bob")
"""Two learners whose every parameter differs (from each other and from the defaults)."""


def _exercises_with_parameters(lab: Any) -> list[str]:
    """Exercises whose answers use a ``${{ name }}`` (read from the unfilled source)."""
    model = parse_source(lab.source.read_text(encoding="utf-8"), lab.id)
    used = {a.exercise for a in model.answers() if placeholders(a.source)}
    return [exercise for exercise in model.ids if exercise in used]


def _seeds_differ(lab: Any) -> None:
    defaults = lab.values()
    first, second = (lab.values(seed) for seed in SEEDS)
    for name in defaults:
        drawn = {defaults[name], first[name], second[name]}
        assert len(drawn) == 3, f"{lab.id}: {name} takes only {drawn}: pick other seeds"


@pytest.mark.parametrize("lab", LABS, ids=[lab.id for lab in LABS])
def test_two_seeds_draw_different_values_and_texts(lab: Any) -> None:
    _seeds_differ(lab)
    texts = ["\n".join(cell.source for cell in lab.model(seed).cells) for seed in (None, *SEEDS)]
    assert len(set(texts)) == 3, "every variant's notebook text must differ"
    for seed, text in zip(SEEDS, texts[1:], strict=True):
        for name, value in lab.values(seed).items():
            if value != lab.values()[name]:
                assert str(value) in text, f"{name}={value} is not in {seed}'s text"
    assert _exercises_with_parameters(lab), (
        f"{lab.id} declares parameters but no exercise uses them"
    )


def _grade(cluster: RunningCluster, session: Any, seed: str, exercise: str) -> Any:
    spec = session.lab.load_grader(seed)
    return grade(
        cluster.api_client, session.namespace, spec, exercise, include_hidden=True, timeout_s=5
    )


@pytest.mark.cluster
@pytest.mark.parametrize("lab", LABS, ids=[lab.id for lab in LABS])
def test_each_variant_is_solved_by_its_own_solution_only(cluster: RunningCluster, lab: Any) -> None:
    exercises = _exercises_with_parameters(lab)
    ids = lab.model().ids
    upto = ids[: ids.index(exercises[-1]) + 1]
    for seed, other in (SEEDS, SEEDS[::-1]):
        session = scratch_session(cluster, lab, prefix="kklab-var", seed=seed)
        try:
            for exercise in exercises:
                untouched = _grade(cluster, session, seed, exercise)
                assert untouched.points_earned == 0, render_text(untouched)
            solve(session, upto)
            settle(session)
            for exercise in exercises:
                solved = _grade(cluster, session, seed, exercise)
                assert solved.passed, f"{seed}: {render_text(solved)}"
                copied = _grade(cluster, session, other, exercise)
                assert not copied.passed, f"{seed}'s answer passes {other}'s exercise {exercise}"
                # The report names what the other learner's exercise expects.
                text = render_text(copied)
                assert any(str(value) in text for value in lab.values(other).values()), text
        finally:
            drop(session)
            delete_lab_volumes(cluster, lab.id)
