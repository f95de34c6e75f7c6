"""Labs: the catalogue, the lab model and its source, variants, and a lab's lifecycle.

* :mod:`kklab.labs.catalogue`: which labs exist, their folders, namespaces, labels;
* :mod:`kklab.labs.model`: a lab's source parsed once into cells and exercises;
* :mod:`kklab.labs.building`: the notebook built from the source;
* :mod:`kklab.labs.variants`: per-learner parameters and seeds;
* :mod:`kklab.labs.linting`: a lab checked against its grader and built notebook;
* :mod:`kklab.labs.session`, :mod:`kklab.labs.lifecycle`: working in a lab on a cluster;
* :mod:`kklab.labs.progress`, :mod:`kklab.labs.student`: the learner's side;
* :mod:`kklab.labs.scaffold`: ``kklab lab new``.

The catalogue's names are importable from here.
"""

from kklab.labs.catalogue import (
    LAB_LABEL,
    MANAGED_BY,
    NAMESPACE_PREFIX,
    NODE_ROOT,
    REPOSITORY,
    LabDefinition,
    LabError,
    LabSetup,
    all_labs,
    find_lab,
    graders_dir,
    lab_labels,
    lab_namespace,
    labs_dir,
)

__all__ = [
    "LAB_LABEL",
    "MANAGED_BY",
    "NAMESPACE_PREFIX",
    "NODE_ROOT",
    "REPOSITORY",
    "LabDefinition",
    "LabError",
    "LabSetup",
    "all_labs",
    "find_lab",
    "graders_dir",
    "lab_labels",
    "lab_namespace",
    "labs_dir",
]
