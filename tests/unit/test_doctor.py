"""`kklab doctor`'s verdicts and fixes, judged from facts alone (no machine needed)."""

from __future__ import annotations

from dataclasses import replace

from kklab import doctor
from kklab.cluster.choosing import Facts as ChoiceFacts
from kklab.doctor import Check, Facts, Tool, evaluate, summary

KIND_MACHINE = ChoiceFacts(
    docker_answers=True,
    kind_on_path=True,
    kind_downloadable=False,
    local_toolchain_ready=False,
    is_root=False,
    is_debian=False,
)
HEALTHY = Facts(
    docker_version="27.0.3",
    kind=Tool("/usr/local/bin/kind", "v0.23.0"),
    kubectl=Tool("/usr/local/bin/kubectl", "v1.30.2"),
    helm=Tool("/usr/local/bin/helm", "v3.15.1"),
    graphviz=Tool("/usr/bin/dot", "2.43.0"),
    provider_up="kind",
    server_version="v1.30.0",
    matching_kubectl=None,
    architecture="x86_64",
    memory_available_mib=8000,
    disk_free_mib=50_000,
    disk_path="/home/learner/.kklab",
    inotify_watches=524288,
    inotify_instances=512,
    is_root=False,
    choice=KIND_MACHINE,
)
LOCAL_MACHINE = replace(
    HEALTHY,
    docker_version="20.10.24",
    kind=Tool(None, None),
    kubectl=Tool("/usr/bin/kubectl", "v1.32.4"),
    provider_up="local",
    server_version="v1.20.2",
    matching_kubectl="/root/.cache/kklab/kubernetes/v1.20.2/bin/kubectl",
    inotify_watches=192536,
    inotify_instances=128,
    is_root=True,
    choice=replace(KIND_MACHINE, kind_on_path=False, local_toolchain_ready=True, is_root=True),
)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_a_healthy_kind_machine_passes_every_check() -> None:
    checks = evaluate(HEALTHY)
    assert [c.status for c in checks if c.status not in ("ok", "skip")] == []
    assert summary(checks) == "all checks passed"
    assert by_name(checks)["provider"].detail == "kind is up"
    assert by_name(checks)["root"].status == "skip"


def test_version_skew_beyond_one_minor_fails_and_names_the_matching_kubectl() -> None:
    check = by_name(evaluate(LOCAL_MACHINE))["version skew"]
    assert check.status == "fail"
    assert check.detail == (
        "kubectl v1.32.4 is 12 minor versions from the server v1.20.2 (at most 1 is supported)"
    )
    assert "export PATH=/root/.cache/kklab/kubernetes/v1.20.2/bin:$PATH" in check.fix


def test_version_skew_of_one_minor_is_fine_and_none_without_a_cluster() -> None:
    one_off = replace(HEALTHY, kubectl=Tool("/k", "v1.31.0"))
    assert by_name(evaluate(one_off))["version skew"].status == "ok"
    no_cluster = replace(HEALTHY, provider_up=None, server_version=None)
    skew = by_name(evaluate(no_cluster))["version skew"]
    assert (skew.status, skew.detail) == ("skip", "no cluster is up: not checked")


def test_skew_on_another_provider_says_which_kubectl_to_install() -> None:
    old_server = replace(HEALTHY, server_version="v1.27.3")
    check = by_name(evaluate(old_server))["version skew"]
    assert check.status == "fail"
    assert check.fix.startswith("install kubectl v1.27")


def test_missing_kind_is_a_warning_where_the_local_provider_works() -> None:
    checks = by_name(evaluate(LOCAL_MACHINE))
    assert checks["kind"].status == "warn"
    assert checks["kind"].fix == "not needed: the local provider works here"
    assert checks["inotify"].status == "warn", "low inotify limits matter for kind only"
    assert checks["inotify"].fix.startswith("needed for kind: sudo sysctl")


def test_missing_kind_is_a_warning_when_it_can_be_downloaded() -> None:
    facts = replace(
        HEALTHY,
        kind=Tool(None, None),
        choice=replace(KIND_MACHINE, kind_on_path=False, kind_downloadable=True),
    )
    check = by_name(evaluate(facts))["kind"]
    assert (check.status, check.fix) == ("warn", "kklab downloads its pinned kind when needed")


def test_no_usable_provider_fails_kind_docker_and_provider() -> None:
    facts = replace(
        HEALTHY,
        docker_version=None,
        kind=Tool(None, None),
        provider_up=None,
        server_version=None,
        choice=replace(KIND_MACHINE, docker_answers=False, kind_on_path=False),
    )
    checks = by_name(evaluate(facts))
    assert checks["docker"].status == "fail"
    assert "sudo systemctl start docker" in checks["docker"].fix
    assert checks["kind"].status == "fail"
    assert checks["kind"].fix.startswith("install kind: https://kind.sigs.k8s.io")
    assert checks["provider"].status == "fail"
    assert summary(list(checks.values())).startswith("3 checks failed (docker, kind, provider)")


def test_docker_down_is_only_a_warning_for_root_with_the_local_toolchain() -> None:
    facts = replace(LOCAL_MACHINE, docker_version=None)
    check = by_name(evaluate(facts))["docker"]
    assert (check.status, check.fix) == (
        "warn",
        "the local provider starts dockerd itself; kind needs it running",
    )


def test_low_inotify_limits_fail_where_kind_is_used() -> None:
    facts = replace(HEALTHY, inotify_watches=8192, inotify_instances=128)
    check = by_name(evaluate(facts))["inotify"]
    assert check.status == "fail"
    assert "kind recommends 524288 and 512" in check.detail
    assert check.fix.startswith(
        "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512"
    )
    mac = by_name(evaluate(replace(HEALTHY, inotify_watches=None)))["inotify"]
    assert mac.status == "skip"


def test_the_local_provider_without_root_fails_with_the_fix() -> None:
    facts = replace(LOCAL_MACHINE, is_root=False)
    check = by_name(evaluate(facts))["root"]
    assert check.status == "fail"
    assert check.fix == "run kklab as root (sudo), or use kind on a machine with Docker"


def test_memory_disk_cpu_and_tools() -> None:
    facts = replace(
        HEALTHY,
        memory_available_mib=1500,
        disk_free_mib=2000,
        architecture="aarch64",
        kubectl=Tool(None, None),
        helm=Tool(None, None),
        graphviz=Tool(None, None),
    )
    checks = by_name(evaluate(facts))
    assert checks["memory"].status == "fail"
    assert checks["memory"].detail == "1500 MiB available, the cluster needs about 2048 MiB"
    assert checks["disk"].status == "fail"
    assert "docker system prune" in checks["disk"].fix
    assert checks["cpu"].status == "warn"
    assert "brew install kind kubectl" in checks["cpu"].fix
    assert checks["kubectl"].status == "fail"
    assert "kklab toolchain install" in checks["kubectl"].fix
    assert checks["helm"].status == "warn"
    assert checks["graphviz"].status == "warn"
    assert "apt install graphviz" in checks["graphviz"].fix
    assert by_name(evaluate(replace(HEALTHY, architecture="riscv64")))["cpu"].status == "fail"
    assert by_name(evaluate(replace(HEALTHY, memory_available_mib=3000)))["memory"].status == "warn"


def test_a_failing_line_carries_its_fix_and_warnings_are_named_as_such() -> None:
    failing = Check("kubectl", "fail", "not on PATH", "install it")
    assert failing.render() == "✗ kubectl          not on PATH: install it"
    assert Check("cpu", "ok", "x86_64", "").render() == "✓ cpu              x86_64"
    text = summary([Check("kind", "warn", "x", "y"), Check("cpu", "ok", "x86_64")])
    assert text == "all checks passed; 1 warning (kind) (warnings are not failures)"


def test_version_minor_reads_what_the_tools_print() -> None:
    assert doctor.version_minor("v1.32.4-dispatcher") == (1, 32)
    assert doctor.version_minor("kind v0.17.0 go1.19.2 linux/amd64") == (0, 17)
    assert doctor.version_minor(None) is None
