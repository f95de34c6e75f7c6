"""A class's submissions of 01-pods go through nbgrader on the real cluster.

One course directory is made with ``kklab classroom init``; the source
notebook is validated with ``kklab classroom validate`` (in a sandbox: it passes,
and the teacher's own lab namespace stays empty); ``nbgrader generate_assignment``
releases it, and the released notebook, validated as it is, fails on every test
cell with kklab's report; five
submissions are placed where ``nbgrader collect`` puts them; ``kklab
classroom autograde --jobs 2`` grades them; ``nbgrader generate_feedback``
writes the feedback. Each student is graded on a variant of their own (the seed is
their id), and the reference answers below are those of their own variant. The six:

* ada: every answer is the reference solution (26/26);
* bob: exercises 1, 2 and 4; exercise 3's cell loops forever and is
  interrupted, and the notebook goes on (3 + 6 + 4 = 13);
* cyd: untouched (0);
* dee: exercises 1 to 3, then a cell that ends Python (13: what it did counts);
* eve: hostile. Exercises 1 to 5, plus a cell that tries to delete another
  namespace, to make cluster-wide objects, to read secrets everywhere, to
  flood its namespace, and to fake its own score; exercise 6's cell ignores
  interrupts and loops (20: her own flood fills the ConfigMap quota before exercise 3,
  so its rule, a ConfigMap, is refused; the labels it applied still count);
* fay: ada's complete notebook, copied. fay's greeting and web port are not ada's, so
  the checks of those fail and name fay's values (26 - 1 - 3 = 22).
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client

from kklab.classroom import sandbox
from tests.classroom_submissions import write_submission
from tests.conftest import RunningCluster
from tests.helpers import run_kklab, run_tool

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(1200)]

LAB = "01-pods"
BYSTANDER = "kklab-test-bystander"
EXPECTED = {"ada": 26.0, "bob": 13.0, "cyd": 0.0, "dee": 13.0, "eve": 20.0, "fay": 22.0}
EXPECTED_BY_EXERCISE = {
    "fay": {"1": 2.0, "2": 3.0, "3": 4.0, "4": 4.0, "5": 5.0, "6": 4.0},
    "bob": {"1": 3.0, "2": 6.0, "3": 0.0, "4": 4.0, "5": 0.0, "6": 0.0},
    "dee": {"1": 3.0, "2": 6.0, "3": 4.0, "4": 0.0, "5": 0.0, "6": 0.0},
    "eve": {"1": 3.0, "2": 6.0, "3": 2.0, "4": 4.0, "5": 5.0, "6": 0.0},
}

HOSTILE = f'''
import os
from kubernetes import client, config

api = client.CoreV1Api(config.new_client_from_config())
rbac = client.RbacAuthorizationV1Api(api.api_client)
me = {{"kind": "ServiceAccount", "name": "learner", "namespace": os.environ["KKLAB_NAMESPACE"]}}
attempts = {{
    "delete another namespace": lambda: api.delete_namespace("{BYSTANDER}"),
    "delete a ConfigMap in it": lambda: api.delete_namespaced_config_map("keep-me", "{BYSTANDER}"),
    "create a namespace": lambda: api.create_namespace({{"metadata": {{"name": "hijacked"}}}}),
    "grant itself cluster-admin": lambda: rbac.create_cluster_role_binding({{
        "metadata": {{"name": "hijack"}},
        "roleRef": {{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "cluster-admin"}},
        "subjects": [me]}}),
    "delete kube-system's pods": lambda: api.delete_collection_namespaced_pod("kube-system"),
    "read every Secret": lambda: api.list_secret_for_all_namespaces(),
}}
for what, attempt in attempts.items():
    try:
        attempt()
        print("ALLOWED:", what)
    except client.ApiException as err:
        print("denied:", what, err.status)
import urllib.request
try:  # etcd holds every Secret: on the local provider it takes only its own certificates
    urllib.request.urlopen("http://127.0.0.1:2379/version", timeout=3)
    print("ALLOWED: read etcd")
except Exception as err:
    print("denied: read etcd without a certificate", type(err).__name__)
made, mine = 0, os.environ["KKLAB_NAMESPACE"]
for i in range(100):
    try:
        api.create_namespaced_config_map(mine, {{"metadata": {{"name": f"flood-{{i}}"}}}})
        made += 1
    except client.ApiException:
        break
print("flood stopped after", made, "ConfigMaps")
import kklab.notebook.checking as checking
checking.autograde = lambda exercise: 99.0
autograde = lambda exercise: 99.0
'''
DENY_AND_LOOP = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
LOOP = "while True:\n    pass"
CRASH = "import os\nos._exit(1)"


@dataclass
class GradedCourse:
    course: Path
    validate_output: str
    autograde_output: str
    release_validate_output: str
    release_validate_code: int
    pods_left_in_lab_namespace: list[str]


def _bystander(core: client.CoreV1Api) -> str:
    """A namespace no submission may touch, with a ConfigMap; returns its resourceVersion."""
    labels = {"app.kubernetes.io/managed-by": "kklab", "kklab.io/test": "true"}
    try:
        core.read_namespace(BYSTANDER)
    except client.ApiException:
        core.create_namespace({"metadata": {"name": BYSTANDER, "labels": labels}})
    try:
        found = core.read_namespaced_config_map("keep-me", BYSTANDER)
    except client.ApiException:
        found = core.create_namespaced_config_map(
            BYSTANDER, {"metadata": {"name": "keep-me"}, "data": {"a": "1"}}
        )
    return str(found.metadata.resource_version)


@pytest.fixture(scope="module")
def graded(
    cluster: RunningCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GradedCourse]:
    core = client.CoreV1Api(cluster.api_client)
    _bystander(core)
    course = tmp_path_factory.mktemp("course")
    made = run_kklab("classroom", "init", str(course))
    assert made.returncode == 0, made.stderr
    assert "left out 07-storage" in made.stdout
    # The teacher may tune kklab's settings below configure(): shorter cells here.
    with (course / "nbgrader_config.py").open("a") as config:
        config.write("c.Execute.timeout = 30\n")
    assert run_kklab("lab", "reset", LAB).returncode == 0
    validated = run_kklab(
        "classroom",
        "validate",
        f"source/{LAB}/{LAB}.ipynb",
        "--course",
        str(course),
        timeout_s=600,
    )
    left = [p.metadata.name for p in core.list_namespaced_pod(f"lab-{LAB}").items]
    released = run_tool(["nbgrader", "generate_assignment", LAB], cwd=course)
    assert released.returncode == 0, released.stdout + released.stderr
    untouched = run_kklab(
        "classroom",
        "validate",
        f"release/{LAB}/{LAB}.ipynb",
        "--course",
        str(course),
        timeout_s=600,
    )
    write_submission(course, LAB, "ada", solved={"1", "2", "3", "4", "5", "6"})
    write_submission(course, LAB, "bob", solved={"1", "2", "4"}, answers={"3": LOOP})
    write_submission(course, LAB, "cyd")
    write_submission(course, LAB, "dee", solved={"1", "2", "3"}, answers={"4": CRASH})
    write_submission(
        course,
        LAB,
        "eve",
        solved={"1", "2", "3", "4", "5"},
        answers={"6": DENY_AND_LOOP},
        after={"1": HOSTILE},
    )
    write_submission(course, LAB, "fay", solved={"1", "2", "3", "4", "5", "6"}, variant="ada")
    graded = run_kklab(
        "classroom", "autograde", LAB, "--course", str(course), "--jobs", "2", timeout_s=1100
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    feedback = run_tool(["nbgrader", "generate_feedback", LAB], cwd=course)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    yield GradedCourse(
        course,
        validated.stdout + validated.stderr,
        graded.stdout,
        untouched.stdout,
        untouched.returncode,
        left,
    )
    run_kklab("lab", "reset", LAB)


def _text(path: Path) -> str:
    """An HTML page's visible text."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_source_notebook_validates_and_release_has_no_answers(graded: GradedCourse) -> None:
    assert "Success! Your notebook passes all the tests." in graded.validate_output
    # Validation ran in a sandbox: the teacher's lab namespace (reset before) stays empty.
    assert graded.pods_left_in_lab_namespace == []
    source = json.loads((graded.course / "source" / LAB / f"{LAB}.ipynb").read_text())
    release_text = (graded.course / "release" / LAB / f"{LAB}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in release_text
    assert "HIDDEN TESTS" not in release_text
    assert "autograde(" not in release_text
    for cell in source["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("-answer"):
            answer_lines = [
                line
                for line in "".join(cell["source"]).splitlines()
                if len(line.strip()) > 12 and "SOLUTION" not in line and line != "%%apply"
            ]
            leaked = [line for line in answer_lines if line in release_text.splitlines()]
            # Lines of YAML such as "apiVersion: v1" may appear in the instructions.
            assert len(leaked) <= 2, f"{grade_id} leaks {leaked}"


def test_gradebook_holds_the_exact_scores(graded: GradedCourse) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission(LAB, s).score for s in EXPECTED}
        by_exercise = {
            student: {
                grade.name.removeprefix("ex").removesuffix("-check"): grade.score
                for grade in gradebook.find_submission_notebook(LAB, LAB, student).grades
                if grade.name.endswith("-check")
            }
            for student in EXPECTED_BY_EXERCISE
        }
    assert scores == EXPECTED
    assert by_exercise == EXPECTED_BY_EXERCISE
    for student, score in EXPECTED.items():
        assert f"✓ {student}: {score:g}/26 points" in graded.autograde_output


def test_feedback_shows_messages_and_hints_but_no_hidden_code(graded: GradedCourse) -> None:
    pages = {s: graded.course / "feedback" / s / LAB / f"{LAB}.html" for s in EXPECTED}
    texts = {student: _text(page) for student, page in pages.items()}
    for student, text in texts.items():
        assert "HIDDEN TESTS" not in text, student
        assert 'autograde("' not in text, student
    # bob: exercise 3 was never done; the check says what is missing and hints.
    assert "Without release=stable: cart, payments." in texts["bob"]
    assert "Hint 1: List the candidates first" in texts["bob"]
    assert "was interrupted; the notebook went on" in texts["bob"]
    # cyd: nothing done; the first check names the missing pod, and with no
    # answer given the checks looked once instead of waiting.
    assert 'expected Pod "hello"' in texts["cyd"]
    assert texts["cyd"].count("No answer was given for this exercise") == 6
    assert "No answer was given" not in texts["ada"]
    # dee: the crash is explained, and the later checks still ran.
    assert "the kernel died" in texts["dee"]
    assert "Exercise 6: A pod that cannot start its image" in texts["dee"]
    # eve: every reach outside was refused, and the flood hit the quota.
    assert not re.search(r"^ALLOWED: ", texts["eve"], re.MULTILINE)
    assert len(re.findall(r"^denied: .* 403$", texts["eve"], re.MULTILINE)) == 6
    assert "denied: read etcd without a certificate" in texts["eve"]
    assert "ignored the interrupt" in texts["eve"]
    flood = re.search(r"flood stopped after (\d+) ConfigMaps", texts["eve"])
    assert flood is not None and int(flood.group(1)) < 40
    assert (
        'ConfigMap release-rules: configmaps "release-rules" is forbidden: exceeded quota'
        in (texts["eve"])
    )
    assert "26.0 / 26.0" in texts["ada"] or "26 / 26" in texts["ada"]


def test_each_student_has_a_variant_and_a_copied_answer_names_the_values_expected(
    graded: GradedCourse,
) -> None:
    from kklab.labs import find_lab

    lab = find_lab(LAB)
    ada, fay = lab.values("ada"), lab.values("fay")
    assert ada["greeting"] != fay["greeting"] and ada["web_port"] != fay["web_port"]
    feedback = _text(graded.course / "feedback" / "fay" / LAB / f"{LAB}.html")
    # fay's checks ask for fay's values and show what ada's answer did instead
    assert f'Its log does not contain "{fay["greeting"]}"' in feedback
    assert f"{ada['greeting']}" in feedback
    # the port check expects fay's port and found the one ada's answer declares
    assert str(fay["web_port"]) in feedback and str(ada["web_port"]) in feedback
    # an answered exercise that is not all right shows the map of fay's sandbox
    raw = (graded.course / "feedback" / "fay" / LAB / f"{LAB}.html").read_text()
    drawn = [
        base64.b64decode(found).decode()
        for found in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', raw)
    ]
    assert drawn and all("namespace kklab&#45;01&#45;pods&#45;fay&#45;" in svg for svg in drawn)
    # ... as an image with alt text for a screen reader, and the same map as text under it
    images = [tag for tag in re.findall(r"<img [^>]*>", raw) if "data:image/svg+xml" in tag]
    alts = [found.group(1) for tag in images if (found := re.search(r'alt="([^"]+)"', tag))]
    assert len(alts) == len(images) == len(drawn), images
    assert all(alt.startswith("Map of namespace kklab-01-pods-fay-") for alt in alts), alts
    assert all("; outlined: " in alt for alt in alts), alts
    assert "The map as text" in feedback


def test_nothing_outside_the_submissions_changed(
    graded: GradedCourse, cluster: RunningCluster
) -> None:
    core = client.CoreV1Api(cluster.api_client)
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    assert core.read_namespaced_config_map("keep-me", BYSTANDER).data == {"a": "1"}
    assert core.read_namespace(BYSTANDER).status.phase == "Active"
    assert core.read_namespace("kube-system").status.phase == "Active"
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert "hijacked" not in names
    bindings = {b.metadata.name for b in rbac.list_cluster_role_binding().items}
    assert "hijack" not in bindings
    # Every sandbox is gone, with its ClusterRoleBinding.
    assert sandbox.leftovers(cluster.api_client, LAB) == []
    assert not [b for b in bindings if b.startswith(f"kklab-{LAB}-")]


def test_clean_removes_sandboxes_left_behind(cluster: RunningCluster, tmp_path: Path) -> None:
    """An autograde killed mid-way leaves a sandbox; `kklab classroom clean` removes it."""
    core = client.CoreV1Api(cluster.api_client)
    _bystander(core)
    box = sandbox.provision(cluster.api_client, LAB, "zed", tmp_path)
    assert box.namespace in sandbox.leftovers(cluster.api_client, LAB)
    cleaned = run_kklab("classroom", "clean", LAB)
    assert cleaned.returncode == 0, cleaned.stderr
    assert f"deleted {box.namespace}" in cleaned.stdout
    assert sandbox.leftovers(cluster.api_client) == []
    assert core.read_namespace(BYSTANDER).status.phase == "Active"


def test_the_released_notebook_as_it_is_fails_validation_with_the_reports(
    graded: GradedCourse,
) -> None:
    output = graded.release_validate_output
    assert graded.release_validate_code == 1, output
    assert "VALIDATION FAILED ON 6 CELL(S)" in output, output
    # Each failed cell shows kklab's report, naming the validation's own sandbox.
    assert re.search(r'expected Pod "hello" in namespace kklab-01-pods-validate-\w+', output)
    assert "Exercise 6:" in output, output
