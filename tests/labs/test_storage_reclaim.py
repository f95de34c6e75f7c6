"""07-storage, exercise 8: a retained volume whose claimRef was left in place.

The mutation corpus runs each wrong answer in a scratch namespace, where the
lab's fixed volume and disk names are shared with other mutations; this one
needs the lab's own namespace and disk. The student does everything but the
administrator's step (removing ``spec.claimRef``): the new claim stays
Pending, and the check must say why in those words.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kklab.grading import grade
from kklab.labs import lifecycle
from kklab.labs.session import LabSession
from tests.conftest import RunningCluster
from tests.helpers import wait_for

pytestmark = pytest.mark.cluster
LAB = "07-storage"


@pytest.fixture
def session(cluster: RunningCluster) -> Iterator[LabSession]:
    lifecycle.reset(LAB)
    yield lifecycle.start(LAB)
    lifecycle.reset(LAB)


def _volume_manifest(python_cell: str, node: str) -> str:
    """The PersistentVolume of the reference solution's Python cell, for ``node``."""
    return python_cell.split('volume = f"""')[1].split('"""')[0].replace("{node}", node)


def test_claim_ref_left_in_place_is_named_as_the_reason(session: LabSession) -> None:
    cells = [answer.source for answer in session.model().exercise("8").answers]
    python_cell, archive, _release, archive_again, _fix = cells
    node = session.kubectl(
        ["get", "nodes", "-o", "jsonpath={.items[0].metadata.labels.kubernetes\\.io/hostname}"]
    ).strip()
    session.apply(_volume_manifest(python_cell, node))
    session.apply(archive.removeprefix("%%apply\n"))
    session.kubectl(["wait", "--for=condition=Ready", "pod/archiver", "--timeout=120s"])
    session.kubectl(["delete", "pod", "archiver"])
    session.kubectl(["delete", "pvc", "archive"])
    # The claimRef is not removed: the volume stays Released.
    wait_for(
        lambda: "Released" in session.kubectl(["get", "pv", "lab07-local-2"]),
        "volume lab07-local-2 to be Released",
    )
    session.apply(archive_again.removeprefix("%%apply\n"))
    result = grade(session.api_client, session.namespace, session.grader(), "8", timeout_s=0)
    checks = {check.check_id: check for check in result.exercises[0].checks}
    assert checks["archive-was-released"].status == "passed"
    bound = checks["archive-again-is-bound-to-the-retained-volume"]
    assert bound.status == "failed"
    assert bound.why is not None
    assert "its claimRef still names the deleted claim" in bound.why
    assert "remove spec.claimRef" in bound.why
