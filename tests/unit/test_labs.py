"""The lab model, its source format, variants, building, lint and ``kklab lab new`` (no cluster)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kklab.classroom.execute import graded_exercise
from kklab.labs import LabError, all_labs, find_lab
from kklab.labs.building import build_notebook, built_notebook, notebook_text
from kklab.labs.linting import lint_all, lint_command, write_built
from kklab.labs.model import cell_role, parse_source, role_of_grade_id
from kklab.labs.scaffold import new_lab
from kklab.labs.student import student_version
from kklab.labs.variants import (
    VariantError,
    draw,
    parse_parameters,
    seed_for,
    substitute,
)


def _code(source: str, *, answer: bool = False) -> str:
    tags = ":tags: [answer]\n\n" if answer else ""
    return f"```{{code-cell}}\n{tags}{source}\n```"


def _source(*parts: str) -> str:
    return "\n\n".join(["# A small lab", "Intro.", *parts]) + "\n"


TWO_EXERCISES = _source(
    "## Exercise 1: Make a pod",
    _code("%kubectl get pods"),
    _code("%%apply\nkind: Pod", answer=True),
    "## Exercise mount-the-claim: Mount it",
    _code("%kubectl apply -f a.yaml", answer=True),
    "Between two answers.",
    _code("print('second answer')", answer=True),
    "## Afterwards",
    _code("%kubectl get pvc"),
)


def test_source_parses_into_exercises_answers_and_demo_cells() -> None:
    model = parse_source(TWO_EXERCISES, "99-small")
    assert model.title == "A small lab"
    assert model.ids == ["1", "mount-the-claim"]
    first, second = model.exercises
    assert [a.source for a in first.answers] == ["%%apply\nkind: Pod"]
    assert first.answers[0].magic == "%%apply" and first.answers[0].body == "kind: Pod"
    assert [a.grade_id for a in second.answers] == [
        "exmount-the-claim-answer",
        "exmount-the-claim-answer-2",
    ]
    assert [a.exercise for a in model.answers("1")] == ["1"]
    demos = [c.source for c in model.cells if c.kind == "code" and c.answer is None]
    assert demos == ["%kubectl get pods", "%kubectl get pvc"]
    with pytest.raises(LabError, match="choose one of: 1, mount-the-claim"):
        model.exercise("2")
    with pytest.raises(LabError, match="has no exercise '2'"):
        model.answers("2")


def test_built_notebook_has_setup_check_and_test_cells_with_the_graders_points() -> None:
    model = parse_source(TWO_EXERCISES, "99-small")
    notebook = build_notebook(model, {"1": 3, "mount-the-claim": 5}, seed="ada")
    sources = [cell.source for cell in notebook.cells]
    assert sources[1] == "%load_ext kklab.notebook\n%lab 99-small --seed ada"
    roles = [cell_role(cell) for cell in notebook.cells]
    kinds = [(r.exercise, r.role) for r in roles if r is not None]
    assert kinds == [
        ("1", "answer"),
        ("1", "button"),
        ("1", "check"),
        ("mount-the-claim", "answer"),
        ("mount-the-claim", "answer"),
        ("mount-the-claim", "button"),
        ("mount-the-claim", "check"),
    ]
    tests = [c for c in notebook.cells if (cell_role(c) or ("", ""))[1] == "check"]
    assert [c.metadata["nbgrader"]["points"] for c in tests] == [3, 5]
    # The classroom reads a kebab id as it reads a number (once silently skipped).
    assert [graded_exercise(c) for c in tests] == ["1", "mount-the-claim"]
    answer = next(c for c in notebook.cells if (cell_role(c) or ("", ""))[1] == "answer")
    assert answer.source == "%%apply\n### BEGIN SOLUTION\nkind: Pod\n### END SOLUTION"
    # Building twice gives the same file.
    again = build_notebook(model, {"1": 3, "mount-the-claim": 5}, seed="ada")
    assert notebook_text(again) == notebook_text(notebook)


def test_learner_copy_keeps_the_roles_and_drops_solutions() -> None:
    model = parse_source(TWO_EXERCISES, "99-small")
    learner = student_version(build_notebook(model, {"1": 1, "mount-the-claim": 1}))
    text = "\n".join(cell.source for cell in learner.cells)
    assert "kind: Pod" not in text and "autograde(" not in text
    assert [cell_role(c).exercise for c in learner.cells if cell_role(c)].count("1") == 3


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (["## Exercise 2.1: Dotted", _code("x", answer=True)], "cannot read the exercise heading"),
        (["### Exercise 3 - Dashed", _code("x", answer=True)], "cannot read the exercise heading"),
        (["## Exercise Three: Upper", _code("x", answer=True)], "cannot read the exercise heading"),
        ([_code("x", answer=True), "## Exercise 1: Late"], "comes before any"),
        (["## Exercise 1: Only prose", "## Exercise 2: B", _code("x", answer=True)], "no answer"),
        (
            [
                "## Exercise 1: A",
                _code("x", answer=True),
                "## Exercise 1: B",
                _code("y", answer=True),
            ],
            "declared twice",
        ),
    ],
)
def test_malformed_sources_are_refused_with_the_reason(parts: list[str], message: str) -> None:
    with pytest.raises(LabError, match=message):
        parse_source(_source(*parts), "99-small")


def test_grade_ids_use_the_graders_id_grammar() -> None:
    assert role_of_grade_id("ex3b-check") == ("3b", "check")
    assert role_of_grade_id("ex12-answer-3") == ("12", "answer")
    assert role_of_grade_id("exBad_Id-check") is None
    assert role_of_grade_id("setup") is None


# --- variants ----------------------------------------------------------------------

PARAMETERS = parse_parameters(
    {
        "port": {"default": 8080, "range": [8000, 8999]},
        "name": {"default": "hello", "choices": ["a", "b", "c", "d"]},
        "fault": {"default": {"image": "busybox:1.35"}, "choices": [{"image": "busybox:9"}]},
    }
)


def test_no_seed_means_the_defaults() -> None:
    assert draw(PARAMETERS, None) == {
        "port": 8080,
        "name": "hello",
        "fault": {"image": "busybox:1.35"},
    }
    assert draw(PARAMETERS, "default") == draw(PARAMETERS, None)


@given(st.text(min_size=1, max_size=20))
def test_a_seed_draws_the_same_values_everywhere_and_within_bounds(seed: str) -> None:
    assume(seed != "default")  # the seed "default" means the defaults (test above)
    values = draw(PARAMETERS, seed, "01-pods")
    assert values == draw(PARAMETERS, seed, "01-pods")
    assert 8000 <= values["port"] <= 8999 and values["name"] in "abcd"
    assert substitute("${{ fault.image }}", values) == "busybox:9"


def test_different_seeds_draw_different_values() -> None:
    drawn = {(v["port"], v["name"]) for v in (draw(PARAMETERS, f"s{n}", "x") for n in range(20))}
    assert len(drawn) > 10


def test_placeholders_are_filled_and_unknown_ones_named() -> None:
    assert substitute("port: ${{port}}", {"port": 8123}) == "port: 8123"
    with pytest.raises(VariantError, match=r"names no parameter of this lab \(it has: port\)"):
        substitute("${{ prot }}", {"port": 1})
    with pytest.raises(VariantError, match="has no field 'tag'"):
        substitute("${{ fault.tag }}", {"fault": {"image": "x"}})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"p": {"choices": [1]}}, "has no default"),
        ({"p": {"default": 1, "range": [3, 1]}}, "range must be"),
        ({"p": {"default": 1, "range": [1, 3], "choices": [1]}}, "both choices and a range"),
        ({"p": {"default": 1, "size": 3}}, "unknown fields"),
        ({"bad-name": {"default": 1}}, "not a plain name"),
        (["p"], "must be a mapping"),
    ],
)
def test_parameters_declared_wrongly_say_how(raw: Any, message: str) -> None:
    with pytest.raises(VariantError, match=message):
        parse_parameters(raw)


def test_seed_comes_from_the_argument_the_environment_or_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kklab.labs.variants import record_seed

    store = tmp_path / "variants.json"
    monkeypatch.delenv("KKLAB_SEED", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert seed_for("01-pods", path=store) == "default"
    monkeypatch.setenv("JUPYTERHUB_USER", "dee")  # on a hub, the user's own variant
    assert seed_for("01-pods", path=store) == "dee"
    record_seed("01-pods", "ada", path=store)
    assert seed_for("01-pods", path=store) == "ada"
    monkeypatch.setenv("KKLAB_SEED", "bob")
    assert seed_for("01-pods", path=store) == "bob"
    assert seed_for("01-pods", "cyd", path=store) == "cyd"


# --- the repository's labs ------------------------------------------------------------


def test_every_lab_of_the_repository_lints_clean() -> None:
    code, text = lint_command()
    assert code == 0, text


@pytest.mark.parametrize("lab_id", [lab.id for lab in all_labs()])
def test_default_build_is_the_committed_notebook_and_a_variant_differs(lab_id: str) -> None:
    lab = find_lab(lab_id)
    assert notebook_text(built_notebook(lab)) == lab.notebook.read_text(encoding="utf-8")
    if lab.setup.parameters:
        assert notebook_text(built_notebook(lab, "ada")) != lab.notebook.read_text()


# --- lint and the skeleton, in a scratch tree --------------------------------------------


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KKLAB_LABS", str(tmp_path / "labs"))
    monkeypatch.setenv("KKLAB_GRADERS", str(tmp_path / "graders"))
    (tmp_path / "labs").mkdir()
    (tmp_path / "graders").mkdir()
    new_lab("42-demo", title="A demo: probes, ports")  # a colon must not break the YAML
    return tmp_path


def _problems() -> list[str]:
    return [problem.line() for problem in lint_all()["42-demo"]]


def test_the_skeleton_is_a_valid_lab(tree: Path) -> None:
    lab = find_lab("42-demo")
    assert _problems() == []
    assert lab.model().ids == ["1"] and lab.title == "A demo: probes, ports"
    assert (tree / "tests" / "labs" / "mutations" / "42-demo.yaml").exists()
    with pytest.raises(LabError, match="already has"):
        new_lab("42-demo")
    with pytest.raises(LabError, match="not a lab folder name"):
        new_lab("demo")


def test_lint_catches_points_changed_in_the_grader_until_rebuilt(tree: Path) -> None:
    grader = tree / "graders" / "42-demo.yaml"
    grader.write_text(grader.read_text().replace("points: 2", "points: 4"))
    assert any("is not what its source and grader build" in p for p in _problems())
    assert write_built(find_lab("42-demo"))
    assert _problems() == []


def test_lint_catches_ids_titles_and_parameters_that_disagree(tree: Path) -> None:
    source = tree / "labs" / "42-demo" / "42-demo.md"
    grader = tree / "graders" / "42-demo.yaml"
    original = source.read_text()
    source.write_text(original.replace("Exercise 1: Run the first pod", "Exercise 1: Run a pod"))
    assert any('titled "Run a pod" in the source' in p for p in _problems())
    source.write_text(original.replace("## Exercise 1:", "## Exercise 2:"))
    problems = _problems()
    assert any("exercise 2 of the source has no checks in the grader" in p for p in problems)
    assert any('grader\'s exercise "1" is not in the source' in p for p in problems)
    source.write_text(original.replace("${{ pod_name }}**.", "${{ pod }}**."))
    assert any("${{ pod }} is not a parameter of the lab" in p for p in _problems())
    source.write_text(original)
    grader.write_text(grader.read_text().replace("${{ pod_name }}", "first"))
    (tree / "labs" / "42-demo" / "lab.yaml").write_text(
        textwrap.dedent(
            """\
            parameters:
              pod_name: {default: first, choices: [a, b]}
              unused: {default: 1}
            """
        )
    )
    assert any("parameter unused is never used" in p for p in _problems())


def test_node_labels_are_only_kklabs_own(tree: Path) -> None:
    config = tree / "labs" / "42-demo" / "lab.yaml"
    kept = config.read_text()
    config.write_text(kept + "node_labels: [kklab.dev/zone]\n")
    assert find_lab("42-demo").setup.node_labels == ("kklab.dev/zone",)
    config.write_text(kept + "node_labels: [team]\n")
    with pytest.raises(LabError, match=r"label keys under kklab\.dev/"):
        find_lab("42-demo")


def test_lint_names_a_grader_without_a_lab(tree: Path) -> None:
    (tree / "graders" / "43-orphan.yaml").write_text("lab: 43-orphan\n")
    assert "there is no lab" in lint_all()["43-orphan"][0].line()


def test_workspace_gives_each_learner_a_variant_and_keeps_their_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat

    from kklab.labs.student import write_workspace
    from kklab.labs.variants import recorded_seeds

    monkeypatch.setenv("KKLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KKLAB_SEED", raising=False)
    lab = find_lab("01-pods")
    ((path, seed),) = write_workspace([lab], tmp_path / "workspace")
    assert recorded_seeds() == {"01-pods": seed} and seed != "default"
    notebook = nbformat.read(str(path), as_version=4)
    assert notebook.cells[1].source.endswith(f"%lab 01-pods --seed {seed}")
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "BEGIN SOLUTION" not in text and "autograde(" not in text
    assert f"port {lab.values(seed)['web_port']}" in text  # the learner's own values
    path.write_text(path.read_text().replace("Write your answer here", "my answer"))
    assert write_workspace([lab], tmp_path / "workspace") == []  # their work is kept
    assert "my answer" in path.read_text()
    ((_, chosen),) = write_workspace([lab], tmp_path / "other", seed="default")
    assert chosen == "default"
