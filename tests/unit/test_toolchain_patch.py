"""The kubelet OOM-score patch, on a miniature source tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from kklab.cluster import toolchain


def test_the_oom_patch_applies_once_and_refuses_a_foreign_tree(tmp_path: Path) -> None:
    sandbox = tmp_path / "pkg/kubelet/dockershim/docker_sandbox.go"
    policy = tmp_path / "pkg/kubelet/qos/policy.go"
    sandbox.parent.mkdir(parents=True)
    policy.parent.mkdir(parents=True)
    sandbox.write_text("const (\n\tdefaultSandboxOOMAdj int = -998\n)\n")
    policy.write_text("\t\treturn guaranteedOOMScoreAdj\n\t\treturn guaranteedOOMScoreAdj\n")
    toolchain.patch_oom_scores(tmp_path)
    toolchain.patch_oom_scores(tmp_path)  # a second time changes nothing
    assert "defaultSandboxOOMAdj int = 0" in sandbox.read_text()
    assert policy.read_text() == "\t\treturn 0\n\t\treturn 0\n"
    policy.write_text("something else entirely\n")
    with pytest.raises(toolchain.ToolchainError, match="cannot apply the kubelet OOM patch"):
        toolchain.patch_oom_scores(tmp_path)
