"""A learner's working session in one lab: apply manifests, run kubectl, run solutions.

The notebook magics (``%%apply``, ``%kubectl``), ``kklab lab solve`` and the
"Show solution" button all go through a ``LabSession``, so a solution applied
by the CLI behaves exactly as the learner's own cell would.

Example:
    >>> kubectl_args(["get", "pods"], "lab-01-pods")
    ['--namespace', 'lab-01-pods', 'get', 'pods']
    >>> kubectl_args(["exec", "web", "--", "ls", "-n"], "lab-01-pods")[:2]
    ['--namespace', 'lab-01-pods']
    >>> kubectl_args(["get", "pods", "-A"], "lab-01-pods")
    ['get', 'pods', '-A']
"""

from __future__ import annotations

import shlex
import shutil
import string
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kklab.cluster import toolchain
from kklab.cluster.adapting import AppliedObject, apply_manifest
from kklab.connecting import Connection, connect
from kklab.errors import KklabError
from kklab.labs.catalogue import LabDefinition, find_lab
from kklab.labs.variants import seed_for

if TYPE_CHECKING:
    from kklab.grading.spec import Lab as GraderLab
    from kklab.labs.model import LabModel

NAMESPACE_FLAGS = ("-n", "--namespace", "-A", "--all-namespaces")
INTERACTIVE_FLAGS = ("-i", "-it", "-ti", "--stdin", "--tty", "-t")
KUBECTL_TIMEOUT_S = 60


def kubectl_args(args: Sequence[str], namespace: str) -> list[str]:
    """``args`` with the lab namespace added in front, unless the learner named one.

    In front, because everything after ``--`` belongs to the container's command.
    """
    words = list(args)
    ours = words[: words.index("--")] if "--" in words else words
    named = any(w in NAMESPACE_FLAGS or w.startswith("--namespace=") for w in ours)
    return words if named else ["--namespace", namespace, *words]


def kubectl_path() -> str:
    """The kubectl matching the local cluster when built, else the one on PATH."""
    built = toolchain.kubernetes_bin_dir() / "kubectl"
    if built.exists():
        return str(built)
    found = shutil.which("kubectl")
    if found is None:
        raise KklabError(
            "kubectl is not installed", fix="install kubectl, or run `kklab toolchain install`"
        )
    return found


@dataclass
class LabSession:
    """One lab on the cluster that is up."""

    lab: LabDefinition
    connection: Connection
    seed: str = "default"
    """The variant this learner works on (see :mod:`kklab.labs.variants`)."""

    @classmethod
    def open(cls, lab_name: str, seed: str | None = None) -> LabSession:
        """The lab on the cluster that is up, for ``seed`` (else the lab's recorded seed)."""
        lab = find_lab(lab_name)
        return cls(lab, connect(lab.id), seed_for(lab.id, seed))

    @property
    def values(self) -> dict[str, Any]:
        """This variant's parameter values."""
        return self.lab.values(self.seed)

    def model(self) -> LabModel:
        """The lab's exercises and reference solutions, for this variant."""
        return self.lab.model(self.seed)

    def grader(self) -> GraderLab:
        """The lab's grader, for this variant."""
        return self.lab.load_grader(self.seed)

    @property
    def namespace(self) -> str:
        return self.connection.namespace

    @property
    def api_client(self) -> Any:
        return self.connection.api_client

    def apply(self, manifest: str, *, keep_existing: bool = False) -> list[AppliedObject]:
        """Apply YAML to the lab namespace, converting API versions the server lacks
        (``keep_existing``: objects already there are left as they are)."""
        return apply_manifest(
            self.api_client, manifest, self.namespace, lab=self.lab.id, keep_existing=keep_existing
        )

    def kubectl(self, args: Sequence[str], *, timeout_s: float = KUBECTL_TIMEOUT_S) -> str:
        """Run kubectl in the lab namespace; return its output (stdout, then stderr)."""
        words = list(args)
        if any(w in INTERACTIVE_FLAGS for w in words):
            return (
                "kubectl -i/-t needs a terminal: open File › New › Terminal in JupyterLab "
                f"and run: kubectl {shlex.join(kubectl_args(words, self.namespace))}"
            )
        info = self.connection.info
        command = [
            kubectl_path(),
            "--kubeconfig",
            str(info.kubeconfig_path),
            "--context",
            info.context,
            *kubectl_args(words, self.namespace),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as err:
            partial = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else ""
            return partial + (
                f"\n(stopped after {timeout_s:.0f} s: commands that follow or forward "
                "forever, such as `logs -f` or `port-forward`, belong in a terminal)"
            )
        return (result.stdout + result.stderr).rstrip("\n")

    def run_solution(self, source: str) -> str:
        """Run a solution cell's code as the notebook would; return what it printed.

        Python lines and ``%kubectl`` lines run in order, and a ``%kubectl`` line gets
        the Python names it mentions as ``$name``, as IPython expands them
        (``secret = ...`` then ``%kubectl create secret ... --from-literal=k=$secret``);
        ``kubectl_output("get ...")`` gives kubectl's output to Python, as in the notebook.
        """
        lines = source.strip("\n").splitlines()
        if lines and lines[0].startswith("%%apply"):
            return "\n".join(o.describe() for o in self.apply("\n".join(lines[1:])))
        outputs = []
        names: dict[str, Any] = {
            "session": self,
            "namespace": self.namespace,
            "api_client": self.api_client,
            "kubectl_output": lambda command: self.kubectl(shlex.split(command)),
        }
        python: list[str] = []

        def run_python() -> None:
            code = "\n".join(python).strip()
            python.clear()
            if code:
                exec(compile(code, f"<solution of {self.lab.id}>", "exec"), names)

        for line in lines:
            if line.startswith("%kubectl"):
                run_python()
                words = expand_names(line[len("%kubectl") :], names)
                outputs.append(self.kubectl(shlex.split(words)))
            else:
                python.append(line)
        run_python()
        return "\n".join(outputs)


def expand_names(line: str, names: dict[str, Any]) -> str:
    """``$name`` in a magic's line replaced by the Python value, as IPython does;
    ``$$`` is a plain ``$`` and an unknown name stays as written.

    Example:
        >>> expand_names("--from-literal=key=$key --x=$other $$HOME", {"key": "s3cr"})
        '--from-literal=key=s3cr --x=$other $HOME'
    """
    return string.Template(line).safe_substitute(
        {k: str(v) for k, v in names.items() if k.isidentifier()}
    )


def notebook_root() -> Path:
    """Where generated learner notebooks go (``make lab`` opens it)."""
    from kklab.paths import state_dir

    return state_dir() / "workspace"
