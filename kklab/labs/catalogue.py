"""The lab catalogue: which labs exist, their notebooks, set-up and exercises.

A lab is a folder ``labs/NN-topic/`` holding:

* ``NN-topic.md``: its source, the one file an author edits (MyST Markdown,
  see :mod:`kklab.labs.model`);
* ``NN-topic.ipynb``: the notebook built from it with the default values
  (:mod:`kklab.labs.building`), committed so JupyterLab and nbgrader open it;
* ``lab.yaml`` (optional): what ``kklab lab start`` prepares and the lab's
  per-learner parameters (see ``LabSetup`` and :mod:`kklab.labs.variants`);
* ``start/`` (optional): manifests applied when the lab starts.

Its grader is ``graders/NN-topic.yaml``; its namespace ``lab-NN-topic``.

Example:
    >>> lab_namespace("07-storage")
    'lab-07-storage'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kklab.errors import KklabError
from kklab.labs.variants import Parameter, draw, parse_parameters, substitute

if TYPE_CHECKING:
    from kklab.grading.spec import Lab as GraderLab
    from kklab.labs.model import LabModel

REPOSITORY = Path(__file__).resolve().parent.parent.parent
NAMESPACE_PREFIX = "lab-"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kklab"}
LAB_LABEL = "kklab.io/lab"
# Paths on the node (the host for `local`, the node container for `kind`) under
# which labs may create folders for hostPath and local PersistentVolumes.
NODE_ROOT = "/var/local/kklab"
_LAB_ID = re.compile(r"^[0-9]{2}-[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


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
    parameters: tuple[Parameter, ...] = ()
    """What differs between learners (``parameters:``); the defaults without a seed."""
    node_labels: tuple[str, ...] = ()
    """Label keys (``kklab.dev/...`` only) an exercise may tempt a learner to put on a
    node (``node_labels:``); ``kklab lab reset`` removes them from every node."""
    map_relations: tuple[str, ...] = ()
    """``Kind relation Kind`` patterns the map of the solved state must show (``map:``),
    e.g. ``Pod mounts PersistentVolumeClaim`` (see ``kklab.mapping.recording``)."""


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
        """The notebook built from the source with the default values (committed)."""
        return self.folder / f"{self.id}.ipynb"

    @property
    def source(self) -> Path:
        """``NN-topic.md``, the lab's source."""
        return self.folder / f"{self.id}.md"

    def values(self, seed: str | None = None) -> dict[str, Any]:
        """The lab's parameter values for ``seed`` (the defaults for None)."""
        return draw(self.setup.parameters, seed, self.id)

    def render(self, text: str, seed: str | None = None) -> str:
        """``text`` (source, manifest, grader) with this variant's values filled in."""
        return substitute(text, self.values(seed))

    def model(self, seed: str | None = None) -> LabModel:
        """The lab's source parsed, for the variant ``seed``."""
        from kklab.labs.model import parse_source

        try:
            text = self.source.read_text(encoding="utf-8")
        except OSError as err:
            raise LabError(
                f"cannot read the lab's source {self.source}: {err.strerror}",
                fix="restore it from the repository",
            ) from err
        return parse_source(self.render(text, seed), self.id, str(self.source))

    def load_grader(self, seed: str | None = None) -> GraderLab:
        """The lab's grader with the variant ``seed``'s values (the defaults for None)."""
        from kklab.grading import load_lab

        return load_lab(self.grader, values=self.values(seed))

    def start_manifests(self, seed: str | None = None) -> list[tuple[Path, str]]:
        """Each ``start/`` manifest and its text for the variant ``seed``."""
        return [(path, self.render(path.read_text(), seed)) for path in self.setup.start_manifests]

    @property
    def namespace(self) -> str:
        return lab_namespace(self.id)

    @property
    def grader(self) -> Path:
        return graders_dir() / f"{self.id}.yaml"

    def node_path(self, *parts: str) -> str:
        """A path on the node for this lab, e.g. ``node_path("disk-1")``."""
        return "/".join([NODE_ROOT, self.id, *parts])


def _title(source: Path) -> str:
    """The source's first ``# `` heading (read without parsing the whole lab)."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError:
        return source.stem
    return next((line[2:].strip() for line in lines if line.startswith("# ")), source.stem)


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
    node_labels = config.get("node_labels") or []
    if not isinstance(node_labels, list) or not all(
        isinstance(key, str) and key.startswith("kklab.dev/") for key in node_labels
    ):
        raise LabError(
            f"{config_path}: node_labels must be a list of label keys under kklab.dev/",
            fix="kklab removes only its own labels from nodes; name them kklab.dev/...",
        )
    return LabSetup(
        tuple(str(d) for d in config.get("node_directories") or ()),
        manifests,
        namespaced=namespaced and not config.get("node_directories"),
        needs=str(config.get("needs") or ""),
        parameters=tuple(parse_parameters(config.get("parameters"), str(config_path))),
        node_labels=tuple(node_labels),
        map_relations=_map_relations(config.get("map"), config_path),
    )


def _map_relations(value: Any, config_path: Path) -> tuple[str, ...]:
    """``map:`` of a lab.yaml: a list of ``Kind relation Kind`` strings."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(item, str) and len(item.split()) >= 3 for item in value
    ):
        raise LabError(
            f"{config_path}: map must be a list of relations such as "
            '"Pod mounts PersistentVolumeClaim"',
            fix="write each as Kind, relation, Kind (the relations `kklab map` prints)",
        )
    return tuple(value)


def all_labs() -> list[LabDefinition]:
    """Every lab folder that has its source, in order."""
    root = labs_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        source = folder / f"{folder.name}.md"
        if _LAB_ID.match(folder.name) and source.exists():
            found.append(LabDefinition(folder.name, _title(source), folder, _setup(folder)))
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
