"""No Secret value of a lab reaches a learner: not in a check's report, hint, evidence or
log excerpt (every report of the mutation corpus, whole), and not on the lab's pages.

The values are read from the corpus itself: the Secrets its answers write (YAML
``data`` and ``stringData``, ``kubectl create secret ... --from-literal=KEY=VALUE``,
``--docker-password=``) and the Secrets of the labs' start manifests.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import shlex
from typing import Any

import pytest
import yaml

from kklab.labs import all_labs, find_lab
from tests.conftest import RunningCluster
from tests.labs.harness import corpus
from tests.labs.test_mutations import MUTATIONS, REPORTS, outcome

SHORTEST = 6
"""Shorter values (`ci`, `3`) are also ordinary words of a report."""
_LITERAL = re.compile(r"^--(?:from-literal=[^=]+=|docker-password=)(.+)$")
_EXPANDED = re.compile(r"\$\{?[A-Za-z_]\w*\}?")
"""``$name`` or ``${name}``: IPython puts a Python variable's value there."""


def _manifest_values(text: str) -> set[str]:
    values: set[str] = set()
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return values
    for document in documents:
        if not isinstance(document, dict) or document.get("kind") != "Secret":
            continue
        for encoded in (document.get("data") or {}).values():
            with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
                values.add(base64.b64decode(str(encoded), validate=True).decode())
            values.add(str(encoded))
        values.update(str(v) for v in (document.get("stringData") or {}).values())
    return values


def secret_values(cell: str) -> set[str]:
    """The Secret values an answer cell writes (a ``$name`` is a Python variable the
    notebook expands, not a value written on the page).

    Example:
        >>> sorted(secret_values("%kubectl create secret generic s --from-literal=pw=hunter22"))
        ['hunter22']
        >>> sorted(secret_values("%kubectl create secret generic s --from-literal=pw=$pw"))
        []
        >>> sorted(secret_values("%%apply\\nkind: Secret\\nstringData: {pw: hunter22}"))
        ['hunter22']
    """
    if cell.startswith("%%apply"):
        return _manifest_values(cell.split("\n", 1)[1] if "\n" in cell else "")
    values: set[str] = set()
    for line in cell.splitlines():
        if line.startswith("%kubectl") and " secret" in line:
            for word in shlex.split(line[len("%kubectl") :]):
                found = _LITERAL.match(word)
                if found and not _EXPANDED.fullmatch(found.group(1)):
                    values.add(found.group(1))
    return values


def lab_secret_values(lab_id: str) -> set[str]:
    """Every Secret value of a lab's corpus and start manifests, long enough to grep."""
    values: set[str] = set()
    for lab, _isolated, mutation in CORPUS:
        if lab == lab_id:
            for cell in mutation["cells"]:
                values |= secret_values(cell)
    for _path, manifest in find_lab(lab_id).start_manifests(None):
        values |= _manifest_values(manifest)
    return {value.strip() for value in values if len(value.strip()) >= SHORTEST}


CORPUS = corpus()
LABS_WITH_SECRETS = sorted({lab for lab, _i, _m in CORPUS if lab_secret_values(lab)})


def test_the_config_lab_has_secret_values_to_look_for() -> None:
    assert "04-config" in LABS_WITH_SECRETS
    assert len(lab_secret_values("04-config")) >= 10


@pytest.mark.parametrize("lab_id", LABS_WITH_SECRETS)
def test_no_secret_value_on_the_labs_pages(lab_id: str) -> None:
    lab = find_lab(lab_id)
    pages = lab.source.read_text(encoding="utf-8") + lab.notebook.read_text(encoding="utf-8")
    assert [v for v in lab_secret_values(lab_id) if v in pages] == []


def test_reference_solutions_write_no_literal_secret_value() -> None:
    """The site shows the solutions: a Secret they write must take its value from
    somewhere else than the page (a file, a generator)."""
    found = {
        lab.id: sorted(secret_values(answer.source))
        for lab in all_labs()
        for answer in lab.model().answers()
        if secret_values(answer.source)
    }
    assert found == {}


def _mutations_of(lab_id: str) -> list[dict[str, Any]]:
    return [m for lab, _i, m in MUTATIONS if lab == lab_id]


RUN_HERE = [lab_id for lab_id in LABS_WITH_SECRETS if _mutations_of(lab_id)]
"""The labs whose corpora run on this run's cluster profile (see test_mutations): on CI's
kind-like pass none does, and the test below is not collected there at all."""


if RUN_HERE:

    @pytest.mark.cluster
    @pytest.mark.parametrize("lab_id", RUN_HERE)
    def test_no_secret_value_in_any_report_of_the_corpus(
        cluster: RunningCluster, lab_id: str
    ) -> None:
        values = lab_secret_values(lab_id)
        leaks = []
        for mutation in _mutations_of(lab_id):
            # runs the lab's batch once, shared with test_mutations
            outcome(cluster, lab_id, mutation)
            report = REPORTS.get((lab_id, mutation["name"]), "")
            assert report, f"{mutation['name']}: no report recorded"
            leaks += [f"{mutation['name']}: {v}" for v in values if v in report]
        assert leaks == []
