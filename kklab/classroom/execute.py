"""nbgrader's Execute step, made for labs that run against a cluster.

``KklabExecute`` replaces nbgrader's ``Execute`` preprocessor (the course's
``nbgrader_config.py`` says so). For a kklab notebook it:

1. makes the submission a sandbox of its own (``kklab.classroom.sandbox``):
   a namespace, a ServiceAccount confined to it, a quota;
2. runs the student's cells in a kernel that can reach only that sandbox
   (its environment names the ServiceAccount's kubeconfig, and its ``HOME``
   is a scratch folder, so kklab in the kernel never finds the teacher's
   cluster settings);
3. grades each test cell (``ex<N>-check``) itself, from the teacher's side,
   at the moment the kernel reaches it: the cell's output becomes the check
   report and the points earned. Nothing the student's code does in the
   kernel (redefining ``autograde``, say) can change a score; only what is
   on the cluster counts;
4. deletes the sandbox, whatever happened.

Each student works on a variant of their own (``variant_per_student``): the seed is
their nbgrader id, so their names, ports and sizes differ from their neighbours'
and a copied answer fails with a message that names the values expected. The
kernel gets it as ``KKLAB_SEED`` (its ``%lab`` starts that variant) and the test
cells are graded against it. On JupyterHub a student's own notebook uses the same
seed, their user name (see ``kklab.labs.variants.seed_for``).

A cell that runs past ``timeout`` is interrupted and the notebook goes on.
A kernel that dies, or ignores the interrupt, ends the student's code there;
the test cells that follow are still graded, so a crashed submission keeps
the points for what it had done.

Example:
    >>> from nbformat.v4 import new_code_cell
    >>> cell = new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": "ex3-check",
    ...     "points": 4, "solution": False}})
    >>> graded_exercise(cell)
    '3'
    >>> scaled_points(2, 3, 6)
    4.0
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool

from kklab.labs.model import cell_role, cell_source, lab_of_notebook
from kklab.labs.variants import DEFAULT_SEED, SEED_VARIABLE

# Variables the kernel must not inherit: they would lead kklab or kubectl in
# the kernel to the teacher's cluster credentials.
_WITHHELD = ("KUBECONFIG", "KKLAB_HOME", "KKLAB_KUBECONFIG", "KKLAB_NAMESPACE", "HOME")

KERNEL_LOST = (
    "The notebook's kernel stopped here ({why}); the cells after this one were not run. "
    "Each check below still grades what the submission had made on the cluster."
)


INTERRUPTED = (
    "This cell ran longer than {seconds} s and was interrupted; the notebook went on "
    "with the next cell."
)


def graded_exercise(cell: Any) -> str | None:
    """The exercise an nbgrader test cell (``ex<ID>-check``) grades, or None."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
        return None
    role = cell_role(cell)
    return role.exercise if role and role.role == "check" else None


def answer_given(cell: Any) -> bool | None:
    """Whether an answer cell differs from the released stub; None for other cells.

    nbgrader records the stub's checksum in the cell; a cell without one
    counts as answered.
    """
    from nbgrader.utils import compute_checksum, is_solution

    meta = cell.get("metadata", {}).get("nbgrader", {})
    if not meta or not is_solution(cell):
        return None
    if "checksum" not in meta:
        return True
    return bool(compute_checksum(cell) != meta["checksum"])


def stock_cells(notebook: Path) -> frozenset[str]:
    """The code cells a lab notebook gives learners to run as they are (demo commands)."""
    import nbformat

    cells = nbformat.read(str(notebook), as_version=4).cells
    return frozenset(
        cell_source(cell).strip()
        for cell in cells
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata
    )


def variant_seed(student: str, per_student: bool) -> str:
    """The variant a submission is graded on: the student's own, unless turned off.

    ``nbgrader validate`` has no student: the teacher's notebook shows the defaults.

    Example:
        >>> variant_seed("ada", True), variant_seed("ada", False), variant_seed("validate", True)
        ('ada', 'default', 'default')
    """
    return student if per_student and student != "validate" else DEFAULT_SEED


def scaled_points(earned: float, possible: float, cell_points: float) -> float:
    """The exercise's score on the test cell's scale (nbgrader caps it at the cell's points)."""
    if possible <= 0:
        return 0.0
    return round(cell_points * earned / possible, 2)


def kernel_environment(
    base: dict[str, str], sandbox_env: dict[str, str], home: Path
) -> dict[str, str]:
    """The submission kernel's environment: no teacher credentials, its own ``HOME``.

    Example:
        >>> env = kernel_environment({"KUBECONFIG": "/root/.kube/config", "PATH": "/bin"},
        ...                          {"KUBECONFIG": "/tmp/s.kubeconfig"}, Path("/tmp/h"))
        >>> env["KUBECONFIG"], env["HOME"], env["PATH"], env["KKLAB_WIDGETS"]
        ('/tmp/s.kubeconfig', '/tmp/h', '/bin', '0')
    """
    env = {key: value for key, value in base.items() if key not in _WITHHELD}
    env.update(
        HOME=str(home),
        KKLAB_HOME=str(home / ".kklab"),
        KKLAB_WIDGETS="0",  # no front end: print reports instead of showing buttons
        KKLAB_CHECK_TIMEOUT_S="0",  # visible Check cells look once; test cells are graded here
        NBGRADER_EXECUTION=base.get("NBGRADER_EXECUTION", "autograde"),
    )
    env.update(sandbox_env)
    return env


def _stream(text: str, name: str = "stdout") -> Any:
    return new_output("stream", name=name, text=text if text.endswith("\n") else text + "\n")


def map_output(api_client: Any, namespace: str, checks: Any) -> Any:
    """The map of a submission's namespace for its feedback, the objects the failed
    ``checks`` looked at outlined: an SVG with its outline as text, or the outline alone
    without Graphviz. None when it cannot be drawn: the report is the feedback then."""
    from kklab.mapping import map_namespace
    from kklab.mapping.marking import looked_at

    try:
        drawn = map_namespace(api_client, namespace, marked=looked_at(checks))
    except Exception:  # a map is a help, never a reason to lose the grade
        return None
    # Feedback HTML shows text/html first: the image with its alt text, the outline under it.
    data = {"text/plain": drawn.text(), "text/html": drawn.figure_html()}
    if drawn.rendering.svg:
        data["image/svg+xml"] = drawn.rendering.svg
    return new_output("display_data", data=data)


class KklabExecute(Execute):  # type: ignore[misc]
    """Runs a kklab notebook in a per-submission sandbox and grades its test cells."""

    keep_sandbox = Bool(
        False, help="Leave each submission's namespace on the cluster after grading (to debug)."
    ).tag(config=True)
    variant_per_student = Bool(
        True,
        help="Grade each student on their own variant of the lab (the seed is their id); "
        "False grades everyone on the default values the released notebook shows.",
    ).tag(config=True)

    _grading: tuple[Any, str, Any] | None = None
    _kernel_env: dict[str, str] | None = None
    _lost: str | None = None
    _answered: set[str]
    _stock: frozenset[str] = frozenset()
    _own_cells_ran: bool = False

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        opened = lab_of_notebook(nb.cells)
        lab_id = opened[0] if opened else None
        if lab_id is None:  # not a kklab notebook: nbgrader's own behaviour
            return super().preprocess(nb, resources, km)
        from kklab.classroom import sandbox
        from kklab.connecting import connect
        from kklab.labs import find_lab

        resources = resources if resources is not None else {}
        student = str(resources.get("nbgrader", {}).get("student") or "validate")
        seed = variant_seed(student, self.variant_per_student)
        lab = find_lab(lab_id)
        spec = lab.load_grader(seed)
        api_client = connect().api_client
        with tempfile.TemporaryDirectory(prefix="kklab-submission-") as scratch:
            home = Path(scratch)
            started = time.monotonic()
            box = sandbox.provision(api_client, lab.id, student, home / "sandbox")
            self.log.info(
                "kklab: %s runs in namespace %s (variant %s)", student, box.namespace, seed
            )
            self._kernel_env = kernel_environment(
                dict(os.environ), {**box.kernel_environment(), SEED_VARIABLE: seed}, home
            )
            self._grading = (api_client, box.namespace, spec)
            self._lost = None
            self._answered = set()
            self._stock = stock_cells(lab.notebook)
            self._own_cells_ran = False
            try:
                return super().preprocess(nb, resources, km)
            finally:
                self._grading = None
                if not self.keep_sandbox:
                    gone = sandbox.remove(api_client, box.namespace)
                    if not gone:
                        self.log.warning("kklab: namespace %s is still terminating", box.namespace)
                self.log.info("kklab: %s done in %.1f s", student, time.monotonic() - started)

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        if self._kernel_env is not None:
            kwargs["env"] = self._kernel_env
        await super().async_start_new_kernel(**kwargs)

    def start_new_kernel(self, **kwargs: Any) -> None:
        # nbclient binds its sync wrapper to the base class's coroutine: rebind it to ours.
        from jupyter_core.utils import run_sync

        run_sync(self.async_start_new_kernel)(**kwargs)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> Any:
        exercise = graded_exercise(cell)
        if exercise is not None and self._grading is not None:
            waits = exercise in self._answered or self._own_cells_ran
            self._grade_into(cell, exercise, wait=waits)
            self._own_cells_ran = False
            return cell, self.resources
        self._note_answer(cell)
        if self._lost is not None:
            cell.outputs = [_stream("Not run: the kernel had stopped earlier.")]
            return cell, self.resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._lose(cell, "the kernel died, e.g. the code ended Python")
            return cell, self.resources
        except CellTimeoutError:  # nbclient gave up waiting after the interrupt
            self._lose(
                cell, f"this cell ran longer than {self.timeout} s and ignored the interrupt"
            )
            return cell, self.resources
        errors = {
            o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"
        }
        if "CellTimeoutError" in errors:
            if "KeyboardInterrupt" in errors:  # the interrupt worked: the kernel goes on
                cell.outputs.append(_stream(INTERRUPTED.format(seconds=self.timeout)))
            else:  # the kernel ignored the interrupt
                self._lose(
                    cell, f"this cell ran longer than {self.timeout} s and ignored the interrupt"
                )
        return cell, resources

    def _lose(self, cell: Any, why: str) -> None:
        """The kernel is gone or stuck: say so in ``cell``, stop it, run no more student code."""
        from jupyter_core.utils import run_sync

        self._lost = why
        cell.outputs = [*cell.get("outputs", []), _stream(KERNEL_LOST.format(why=why))]
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception as err:  # already gone
                self.log.warning("kklab: stopping the kernel: %s", err)

    def _note_answer(self, cell: Any) -> None:
        """Remember which exercises the student answered and whether cells of their own ran."""
        if cell.get("cell_type") != "code":
            return
        answered = answer_given(cell)
        if answered is None:
            own = "nbgrader" not in cell.metadata and cell_source(cell).strip() not in self._stock
            self._own_cells_ran = self._own_cells_ran or own
        elif answered:
            role = cell_role(cell)
            self._answered.add(role.exercise if role else cell.metadata["nbgrader"]["grade_id"])

    def _grade_into(self, cell: Any, exercise: str, *, wait: bool = True) -> None:
        """Grade ``exercise`` from the teacher's side; the report and points become the output.

        Checks wait for the cluster to settle (a pod starting) before they
        fail. Without an answer, and with no cell of the student's own run
        since the last test cell (the lab's demo cells, run as given, do not
        count), nothing of theirs can be settling: the checks look once.
        """
        from kklab.grading import grade_lab, render_text

        assert self._grading is not None
        api_client, namespace, spec = self._grading
        result = grade_lab(  # the one check path; a submission is no learner's progress
            spec,
            exercise,
            api_client=api_client,
            namespace=namespace,
            include_hidden=True,
            timeout_s=None if wait else 0,
            record_progress=False,
        )
        cell_points = float(cell.metadata["nbgrader"].get("points", 0))
        points = scaled_points(result.points_earned, result.points_possible, cell_points)
        report = render_text(result, hint_level=3)
        if not wait and result.points_earned < result.points_possible:
            report += "\n(No answer was given for this exercise: the checks looked once.)"
        # nbgrader validate shows a failed test cell's stderr: the report says why.
        validating = os.environ.get("NBGRADER_VALIDATING") == "1"
        failed = result.points_earned < result.points_possible
        outputs = [_stream(report, "stderr" if validating and failed else "stdout")]
        if wait and result.points_earned < result.points_possible:  # answered, not all right
            drawn = map_output(api_client, namespace, result.checks)
            if drawn is not None:
                outputs.append(drawn)
        cell.outputs = [
            *outputs,
            new_output("execute_result", data={"text/plain": repr(points)}, execution_count=None),
        ]
