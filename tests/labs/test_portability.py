"""Every lab works the same on kind, on an existing cluster and offline.

The rule (site/authors.md): a lab creates what it needs, labelled for its
reset, and relies on nothing a provider may lack or add. Checked here on every
lab's starting manifests and reference solutions, without a cluster:

* a StorageClass named by a claim or volume is ``standard`` (every provider's
  default, like kind's) or one the lab's own start creates;
* an image is one kklab puts on every provider's node (``COURSE_IMAGES``),
  unless the container says ``imagePullPolicy: Never`` (a state broken on
  purpose, the same everywhere); nothing relies on a pull (``Always``).

On a cluster the last test checks what every provider gives; started with
``--like kind`` (CI's second run, ``KKLAB_PROFILE=kind``), that the profile is
in effect.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from kklab.cluster.toolchain import COURSE_IMAGES
from kklab.labs import LabDefinition, all_labs

LABS = all_labs()
PORTABLE_CLASSES = {"", "standard"}


def _documents(text: str) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _manifests(lab: LabDefinition) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for each object of the start manifests and ``%%apply`` solutions."""
    for path, text in lab.start_manifests():
        for document in _documents(text):
            yield f"start/{path.name}", document
    for answer in lab.model().answers():
        if answer.magic == "%%apply":
            for document in _documents(answer.body):
                yield f"exercise {answer.exercise}", document


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _normal(image: str) -> str:
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        image = image.removeprefix(prefix)
    return image


def _classes_made(lab: LabDefinition) -> set[str]:
    return {
        str(document["metadata"]["name"])
        for _where, document in _manifests(lab)
        if document.get("kind") == "StorageClass"
    }


@pytest.mark.parametrize("lab", LABS, ids=[lab.id for lab in LABS])
def test_storage_classes_are_standard_or_the_labs_own(lab: LabDefinition) -> None:
    allowed = PORTABLE_CLASSES | _classes_made(lab)
    named = [
        (where, str(node["storageClassName"]))
        for where, document in _manifests(lab)
        for node in _walk(document)
        if "storageClassName" in node
    ]
    strangers = [(where, name) for where, name in named if name not in allowed]
    assert strangers == [], f"classes a provider may lack (create them in start/): {strangers}"


@pytest.mark.parametrize("lab", LABS, ids=[lab.id for lab in LABS])
def test_images_are_on_every_node_or_never_pulled(lab: LabDefinition) -> None:
    course = {_normal(image) for image in COURSE_IMAGES}
    problems = []
    for where, document in _manifests(lab):
        for node in _walk(document):
            if "image" not in node or "name" not in node:
                continue
            image, policy = str(node["image"]), node.get("imagePullPolicy")
            if policy == "Always":
                problems.append(f"{where}: {node['name']} relies on a pull (Always)")
            elif _normal(image) not in course and policy != "Never":
                problems.append(f"{where}: {node['name']} needs {image}, not on every node")
    for answer in lab.model().answers():
        for image in re.findall(r"--image[= ](\S+)", answer.source):
            if _normal(image.strip("'\"")) not in course:
                problems.append(f"exercise {answer.exercise}: kubectl --image {image}")
    assert problems == []


@pytest.mark.cluster
def test_the_cluster_gives_what_its_profile_promises(cluster: Any) -> None:
    """Every provider has a default class ``standard``; ``--like kind`` has nothing more."""
    from kubernetes import client

    classes = client.StorageV1Api(cluster.api_client).list_storage_class().items
    providers = {
        c.metadata.name for c in classes if "kklab.io/lab" not in (c.metadata.labels or {})
    }
    assert "standard" in providers
    if os.environ.get("KKLAB_PROFILE") == "kind":  # CI's second run: `kklab up --like kind`
        nodes = client.CoreV1Api(cluster.api_client).list_node().items
        assert [n.metadata.name for n in nodes] == ["kklab-control-plane"]
        assert "node-role.kubernetes.io/control-plane" in (nodes[0].metadata.labels or {})
        assert providers == {"standard"}
