"""The lab catalogue: which labs exist, their notebooks, set-up and exercises.

A lab is a folder ``labs/NN-topic/`` holding:

* ``NN-topic.ipynb``: the source notebook, with nbgrader metadata. Solution
  cells have ``grade_id`` ``ex<N>-answer`` and autograder cells ``ex<N>-check``,
  so the exercise a cell belongs to is read from nbgrader's own field;
* ``lab.yaml`` (optional): what ``kklab lab start`` prepares (see ``LabSetup``);
* ``start/`` (optional): manifests applied when the lab starts.

Its grader is ``graders/NN-topic.yaml``; its namespace ``lab-NN-topic``.

Example:
    >>> lab_namespace("07-storage")
    'lab-07-storage'
    >>> exercise_of_grade_id("ex3-answer")
    '3'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kklab.errors import KklabError

REPOSITORY = Path(__file__).resolve().parent.parent
NAMESPACE_PREFIX = "lab-"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kklab"}
LAB_LABEL = "kklab.io/lab"
# Paths on the node (the host for `local`, the node container for `kind`) under
# which labs may create folders for hostPath and local PersistentVolumes.
NODE_ROOT = "/var/local/kklab"
_LAB_ID = re.compile(r"^[0-9]{2}-[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_GRADE_ID = re.compile(r"^ex(?P<exercise>[0-9]+)-(?P<role>answer|check|solution)")


class LabError(KklabError):
    """A lab that does not exist or whose files are malformed."""


def labs_dir() -> Path:
    """Where the labs are: ``KKLAB_LABS``, or the repository's ``labs/``."""
    configured = os.environ.get("KKLAB_LABS")
    return Path(configured) if configured else REPOSITORY / "labs"


def graders_dir() -> Path:
    """Where the grader files are: ``KKLAB_GRADERS``, or the repository's ``graders/``."""
    configured = os.environ.get("KKLAB_GRADERS")
    return Path(configured) if configured else REPOSITORY / "graders"


def lab_namespace(lab_id: str) -> str:
    """The namespace a lab's objects live in, and where its checks look."""
    return f"{NAMESPACE_PREFIX}{lab_id}"


def lab_labels(lab_id: str) -> dict[str, str]:
    """The labels kklab puts on everything it creates for a lab."""
    return {**MANAGED_BY, LAB_LABEL: lab_id}


def exercise_of_grade_id(grade_id: str) -> str | None:
    """The exercise number in an nbgrader ``grade_id`` like ``ex3-answer``."""
    match = _GRADE_ID.match(grade_id)
    return match.group("exercise") if match else None


@dataclass(frozen=True)
class LabSetup:
    """What ``kklab lab start`` prepares before the learner begins (``lab.yaml``)."""

    node_directories: tuple[str, ...] = ()
    """Folders made under ``NODE_ROOT/<lab>/`` on the node, e.g. for local volumes."""
    start_manifests: tuple[Path, ...] = ()
    """Manifests applied in the lab namespace at start (``start/*.yaml``, sorted)."""
    namespaced: bool = True
    """False when the lab needs more than its own namespace (PersistentVolumes,
    StorageClasses, node folders): classroom grading, which confines each
    submission to one namespace, cannot take it."""
    needs: str = ""
    """What beyond the namespace the lab needs, in words (with ``namespaced: false``)."""


@dataclass(frozen=True)
class LabDefinition:
    """One lab of the course."""

    id: str
    """``NN-topic``, the folder's name."""
    title: str
    """The notebook's first heading."""
    folder: Path
    """``labs/NN-topic``."""
    setup: LabSetup = field(default_factory=LabSetup)
    """What starting it prepares."""

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.id}.ipynb"

    @property
    def namespace(self) -> str:
        return lab_namespace(self.id)

    @property
    def grader(self) -> Path:
        return graders_dir() / f"{self.id}.yaml"

    def node_path(self, *parts: str) -> str:
        """A path on the node for this lab, e.g. ``node_path("disk-1")``."""
        return "/".join([NODE_ROOT, self.id, *parts])


def _title(notebook: Path) -> str:
    import json

    try:
        cells = json.loads(notebook.read_text()).get("cells", [])
    except (OSError, ValueError):
        return notebook.stem
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def _setup(folder: Path) -> LabSetup:
    config_path = folder / "lab.yaml"
    config: dict[str, Any] = {}
    if config_path.exists():
        loaded = yaml.safe_load(config_path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise LabError(f"{config_path} is not a mapping", fix="see kklab/labs.py")
        config = loaded
    start = folder / "start"
    manifests = tuple(sorted(start.glob("*.yaml"))) if start.is_dir() else ()
    namespaced = config.get("namespaced", True)
    if not isinstance(namespaced, bool):
        raise LabError(f"{config_path}: namespaced must be true or false", fix="see kklab/labs.py")
    return LabSetup(
        tuple(str(d) for d in config.get("node_directories") or ()),
        manifests,
        namespaced=namespaced and not config.get("node_directories"),
        needs=str(config.get("needs") or ""),
    )


def all_labs() -> list[LabDefinition]:
    """Every lab folder that has its notebook, in order."""
    root = labs_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if _LAB_ID.match(folder.name) and (folder / f"{folder.name}.ipynb").exists():
            notebook = folder / f"{folder.name}.ipynb"
            found.append(LabDefinition(folder.name, _title(notebook), folder, _setup(folder)))
    return found


def find_lab(name: str) -> LabDefinition:
    """The lab named ``07-storage``, ``07`` or ``7``; a LabError listing the labs otherwise."""
    labs = all_labs()
    wanted = name.strip().rstrip("/").split("/")[-1]
    for lab in labs:
        number = lab.id.split("-", 1)[0]
        if wanted in (lab.id, number) or (wanted.isdigit() and int(wanted) == int(number)):
            return lab
    known = ", ".join(lab.id for lab in labs) or "none yet"
    raise LabError(f"there is no lab {name!r}", fix=f"choose one of: {known}")
