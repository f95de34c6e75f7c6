"""Custom checks of lab 07-storage: what its grader cannot say declaratively.

Most checks of the lab are in ``07-storage.yaml`` (partial objects, ``file``, ``k8s_get``,
``whys``). What stays here needs time or several objects' stories: shipper follows a
log as app writes it, backup sees both sites, node affinity against the cluster's
nodes, why a claim is not bound to the local volume, the note on claim "data" (writer,
later reader), the volume of a deleted claim. The lab's PersistentVolume is found by
what it is, not only by its name: the one named ``lab07-local-1``, else a local volume
of this lab on ``disk-1``. Nothing here hard-codes a node name.
"""

from __future__ import annotations

import re
import time
from typing import Any

from kklab.checks import (
    ApiStatusError,
    CheckContext,
    Mismatch,
    Outcome,
    dig,
    events_about,
    final_when_quiet,
    final_when_steady,
    namespace_settling,
    parse_time,
    quantity,
    steady,
)

LAB = "07-storage"
ROOT = f"/var/local/kklab/{LAB}"
HOST_FOLDER = f"{ROOT}/host"
DISK = f"{ROOT}/disk-1"
DISK_2 = f"{ROOT}/disk-2"
VOLUME_NAME = "lab07-local-1"
LOCAL_CLASS = "lab07-local"
NOTE = "written by writer"
ARCHIVED = "archived by archiver"
HOSTNAME = "kubernetes.io/hostname"
Obj = dict[str, Any]


# ---------------------------------------------------------------- helpers


def _name(obj: Any) -> str:
    return str(dig(obj, "metadata", "name") or "?")


def _subject(context: CheckContext, kind: str, name: str) -> str:
    if kind == "PersistentVolume":
        return f"v1 PersistentVolume {name}"
    return f"v1 {kind} {context.namespace}/{name}"


def _container(pod: Obj, name: str) -> Obj | None:
    for container in dig(pod, "spec", "containers") or []:
        if container.get("name") == name:
            return dict(container)
    return None


def _mount_at(pod: Obj, container: str, path: str) -> Obj | None:
    for mount in (_container(pod, container) or {}).get("volumeMounts") or []:
        if str(mount.get("mountPath", "")).rstrip("/") == path:
            return dict(mount)
    return None


def _volume(pod: Obj, name: Any) -> Obj | None:
    for volume in dig(pod, "spec", "volumes") or []:
        if volume.get("name") == name:
            return dict(volume)
    return None


_NOT_SOURCES = {
    "name",
    "capacity",
    "accessModes",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "nodeAffinity",
    "claimRef",
    "volumeMode",
    "mountOptions",
}


def _source(volume: Obj | None) -> str:
    """The volume's type, e.g. ``emptyDir`` or ``hostPath`` (of a pod's volume or a PV spec)."""
    return next((key for key in (volume or {}) if key not in _NOT_SOURCES), "no source")


def _unschedulable(pod: Obj) -> str | None:
    for condition in dig(pod, "status", "conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return str(condition.get("message") or condition.get("reason") or "")
    return None


def _events_about(context: CheckContext, obj: Obj) -> list[str]:
    """Messages of the events about ``obj`` itself (its UID), oldest first."""
    try:
        events = context.list("v1", "Event")
    except ApiStatusError:
        return []
    return [str(e.get("message") or "").strip() for e in events_about(obj, events)]


def _run(context: CheckContext, pod: str, container: str, script: str) -> tuple[int | None, str]:
    """Run ``sh -c script`` in a running container: (exit code, stdout + stderr)."""
    timeout_s = min(10.0, max(1.0, context.remaining_s()))
    output = context.transport.exec(
        context.namespace, pod, container, ["sh", "-c", script], timeout_s
    )
    return output.exit_code, (output.stdout + output.stderr).strip()


def _not_running(context: CheckContext, pod: Obj, subject: str) -> Outcome | None:
    """A failing outcome when ``pod`` is not running yet, with what holds it back."""
    phase = dig(pod, "status", "phase")
    if phase == "Running":
        return None
    reason = _unschedulable(pod)
    message = f'Pod "{_name(pod)}" is {phase or "not running"}' + (f": {reason}" if reason else ".")
    mount_failures = [
        m for m in _events_about(context, pod) if "MountVolume" in m or "mount" in m.lower()
    ]
    evidence = tuple(mount_failures[-2:])
    return Outcome(
        False,
        message,
        subject,
        (Mismatch("status.phase", "Running", phase, "differs"),),
        evidence=evidence,
        subject_object=pod,
    )


def _read_file(
    context: CheckContext, pod: Obj, container: str, path: str, subject: str
) -> tuple[str | None, Outcome | None]:
    """The file's text, or a failing outcome (pod not running, file missing)."""
    waiting = _not_running(context, pod, subject)
    if waiting is not None:
        return None, waiting
    try:
        code, text = _run(context, _name(pod), container, f"cat {path}")
    except ApiStatusError as error:
        return None, Outcome(False, f"The command could not run: {error.message}", subject)
    if code != 0:
        return None, Outcome(
            False,
            f'{path} cannot be read in container "{container}": {text}',
            subject,
            (Mismatch(path, "a file", None, "missing"),),
        )
    return text, None


# ------------------------------------------------------- exercise 1: emptyDir


@final_when_steady
def shipper_reads_the_app_log(context: CheckContext) -> Outcome:
    """The shipper container reads the log app writes, through one shared emptyDir."""
    subject = _subject(context, "Pod", "shipping")
    pod = context.get("v1", "Pod", "shipping")
    if pod is None:
        return Outcome(False, 'There is no pod "shipping" yet.', subject)
    mount = str(context.params.get("shipper_mount", "/logs"))
    app = _mount_at(pod, "app", "/var/log/app")
    shipper = _mount_at(pod, "shipper", mount)
    if app is None or shipper is None:
        where = (
            'container "app" at /var/log/app' if app is None else f'container "shipper" at {mount}'
        )
        return Outcome(False, f"No volume is mounted in {where}.", subject, subject_object=pod)
    if app.get("name") != shipper.get("name"):
        return Outcome(
            False,
            f'app mounts volume "{app.get("name")}", shipper mounts "{shipper.get("name")}".',
            subject,
            (
                Mismatch(
                    f"shipper volumeMounts[{mount}].name",
                    app.get("name"),
                    shipper.get("name"),
                    "differs",
                ),
            ),
            why="each volume of a pod is a folder of its own: two emptyDir volumes are two "
            "separate empty folders. Declare one volume and mount it in both containers.",
        )
    shared = _source(_volume(pod, app.get("name")))
    if shared != "emptyDir":
        return Outcome(
            False,
            f'The shared volume "{app.get("name")}" is {shared}, not emptyDir.',
            subject,
            (Mismatch(f"volumes[{app.get('name')}]", "emptyDir", shared, "differs"),),
            why="the exercise is about emptyDir: a scratch folder that lives as long as the pod "
            "and needs nothing from the node or the cluster.",
        )
    text, failed = _read_file(context, pod, "shipper", f"{mount}/access.log", subject)
    if failed is not None:
        return Outcome(
            False,
            failed.message,
            subject,
            failed.mismatches,
            evidence=failed.evidence,
            subject_object=failed.subject_object,
            why=None
            if failed.subject_object is not None
            else "the shared volume holds no access.log: app must append its lines to "
            "/var/log/app/access.log. A file written anywhere else stays in app's own file "
            "system, which no other container sees.",
        )
    if not _REQUEST.search(str(text)):
        return Outcome(
            False, 'access.log holds no request line yet (such as "GET /cart 200").', subject
        )
    return _shipper_follows(context, pod, mount, subject)


_REQUEST = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+/")


def _shipper_output(context: CheckContext) -> str:
    path = f"/api/v1/namespaces/{context.namespace}/pods/shipping/log"
    timeout_s = min(5.0, max(1.0, context.remaining_s()))
    try:
        return str(
            context.transport.request(
                "GET",
                path,
                query=(("container", "shipper"), ("tailLines", "50")),
                timeout_s=timeout_s,
                text=True,
            )
        )
    except ApiStatusError:
        return ""


def _started_s(pod: Obj, container: str) -> float | None:
    """When ``container`` of ``pod`` last started, in seconds since the epoch."""
    for status in dig(pod, "status", "containerStatuses") or []:
        if status.get("name") == container:
            started = parse_time(dig(status, "state", "running", "startedAt"))
            return None if started is None else started.timestamp()
    return None


def _shipper_follows(context: CheckContext, pod: Obj, mount: str, subject: str) -> Outcome:
    """shipper prints a line app added after shipper started.

    When both containers have run a while (``steady``) the log's last change tells at
    once: a line app wrote after shipper started must be in shipper's output within a
    second or two (busybox ``tail -F`` looks once a second). Otherwise the check waits
    for app's next line and looks for it.
    """
    log = f"{mount}/access.log"
    _code, seen = _run(
        context, "shipping", "shipper", f"date +%s; stat -c %Y {log}; tail -n 1 {log}"
    )
    clock, changed, latest = ([*seen.split("\n", 2), "", "", ""])[:3]
    shipper_started = _started_s(pod, "shipper")
    if (
        steady(pod, "app")
        and steady(pod, "shipper")
        and clock.isdigit()
        and changed.isdigit()
        and shipper_started is not None
    ):
        quiet_s = int(clock) - int(changed)
        if quiet_s > 8:
            return Outcome(
                False,
                f"app has added no line to access.log for {quiet_s} seconds.",
                subject,
                (Mismatch("access.log", "a new line every few seconds", latest[:60], "differs"),),
            )
        if int(changed) > shipper_started + 1:  # written after shipper began to read
            for attempt in range(2):
                if attempt:
                    time.sleep(1.5)
                if latest in _shipper_output(context):
                    return Outcome(True, subject=subject)
            return _not_followed(context, pod, mount, latest, subject)
    _code, first = _run(context, "shipping", "shipper", f"tail -n 1 {log}")
    latest = first
    for _wait in range(8):  # a line app adds from now on, which shipper cannot have read yet
        time.sleep(1)
        _code, latest = _run(context, "shipping", "shipper", f"tail -n 1 {log}")
        if latest != first:
            break
    else:
        return Outcome(
            False,
            f"app added no line to access.log in 8 seconds (the last is {first[:60]!r}).",
            subject,
            (Mismatch("access.log", "a new line every few seconds", first[:60], "differs"),),
        )
    for attempt in range(4):  # busybox `tail -F` looks for new lines once a second
        if attempt:
            time.sleep(1)
        if latest in _shipper_output(context):
            return Outcome(True, subject=subject)
    return _not_followed(context, pod, mount, latest, subject)


def _not_followed(
    context: CheckContext, pod: Obj, mount: str, latest: str, subject: str
) -> Outcome:
    """Why shipper's output lacks app's latest line."""
    output = _shipper_output(context)
    if not output.strip():
        return Outcome(
            False,
            'Container "shipper" has printed nothing.',
            subject,
            (Mismatch("shipper output", "the lines of access.log", None, "missing"),),
            why=f"a log shipper prints (or sends) each line of {mount}/access.log as app appends "
            "it: follow the file, as `tail -F` does.",
            subject_object=pod,
        )
    return Outcome(
        False,
        f"shipper's output does not show app's latest line ({latest[:60]!r}).",
        subject,
        (Mismatch("shipper output", latest[:60], output.strip().splitlines()[-1][:60], "differs"),),
        why="shipper printed something, but not the lines app keeps adding: it must follow "
        f"{mount}/access.log (as `tail -F` does), not read it once.",
    )


# ------------------------------------------------------- exercise 3: subPath


@final_when_steady
def backup_sees_both_sites(context: CheckContext) -> Outcome:
    """Container backup sees blog/ and shop/ in the volume, each with its own index.html."""
    subject = _subject(context, "Pod", "sites")
    pod = context.get("v1", "Pod", "sites")
    if pod is None:
        return Outcome(False, 'There is no pod "sites" yet.', subject)
    sub = {name: (_mount_at(pod, name, "/www") or {}).get("subPath") for name in ("blog", "shop")}
    for name, path in sub.items():
        if not path:
            return Outcome(
                False,
                f'Container "{name}" mounts the volume at /www without subPath.',
                subject,
                (Mismatch(f"{name} volumeMounts[/www].subPath", name, None, "missing"),),
                why=f'without subPath, "{name}" sees the whole volume: its index.html lands at '
                f"the root of the volume, not in a folder {name}/ of its own.",
            )
    if sub["blog"] == sub["shop"]:
        return Outcome(
            False,
            f'blog and shop both use subPath "{sub["blog"]}".',
            subject,
            why="the same subPath is the same folder of the volume: both containers write one "
            "index.html and the last one wins. Give each container its own subfolder.",
        )
    volumes = {
        name: (_mount_at(pod, name, path) or {}).get("name")
        for name, path in (("blog", "/www"), ("shop", "/www"), ("backup", "/backup"))
    }
    odd = [name for name in ("blog", "shop") if volumes[name] != volumes["backup"]]
    if odd:
        return Outcome(
            False,
            f'{odd[0]} mounts volume "{volumes[odd[0]]}", backup mounts "{volumes["backup"]}".',
            subject,
            (
                Mismatch(
                    f"{odd[0]} volumeMounts[/www].name",
                    volumes["backup"],
                    volumes[odd[0]],
                    "differs",
                ),
            ),
            why="backup sees only the volume it mounts: the point is one volume, with a "
            "subfolder for each site, that backup sees whole.",
        )
    waiting = _not_running(context, pod, subject)
    if waiting is not None:
        return waiting
    script = "cd /backup && for s in blog shop; do printf '%s=' $s; cat $s/index.html; done"
    code, text = _run(context, "sites", "backup", script)
    if code != 0 or "blog=blog" not in text.replace(" ", "") or "shop=shop" not in text:
        return Outcome(
            False,
            f"In /backup, blog/index.html and shop/index.html read: {text[-160:]!r}.",
            subject,
            why="container backup must mount the whole volume (no subPath) at /backup; "
            "each site must write its own name into index.html in its subfolder.",
        )
    return Outcome(True, subject=subject)


# ------------------------------------------ exercise 4: a local PersistentVolume


def _lab_volumes(context: CheckContext) -> list[Obj]:
    """This lab's PersistentVolumes not used by another namespace, best candidates first."""
    volumes = []
    for pv in context.list("v1", "PersistentVolume"):
        labelled = dig(pv, "metadata", "labels", "kklab.io/lab") == LAB
        local = str(dig(pv, "spec", "local", "path") or "").startswith(ROOT)
        claim_namespace = dig(pv, "spec", "claimRef", "namespace")
        if (labelled or local) and claim_namespace in (None, context.namespace):
            volumes.append(pv)

    def rank(pv: Obj) -> tuple[bool, bool, bool]:
        return (
            _name(pv) != VOLUME_NAME,
            dig(pv, "spec", "local", "path") is None,
            dig(pv, "spec", "claimRef", "namespace") is None,
        )

    return sorted(volumes, key=rank)


def _local_volume(context: CheckContext) -> tuple[Obj | None, Outcome | None]:
    volumes = _lab_volumes(context)
    if volumes:
        return volumes[0], None
    return None, Outcome(
        False,
        f'There is no local PersistentVolume of this lab yet (name it "{VOLUME_NAME}"). '
        "If your cell printed an error, read it: for instance, the API server refuses a local "
        "volume without nodeAffinity.",
        _subject(context, "PersistentVolume", VOLUME_NAME),
        (Mismatch("", f"PersistentVolume {VOLUME_NAME}", None, "not-found"),),
    )


def _hostnames(context: CheckContext) -> list[str]:
    nodes = context.list("v1", "Node")
    return sorted(
        str(dig(n, "metadata", "labels", "kubernetes.io/hostname") or _name(n)) for n in nodes
    )


@final_when_quiet
def local_volume_is_pinned_to_the_node(context: CheckContext) -> Outcome:
    """nodeAffinity: kubernetes.io/hostname In [a node of this cluster]."""
    pv, missing = _local_volume(context)
    if pv is None:
        return missing  # type: ignore[return-value]
    subject = _subject(context, "PersistentVolume", _name(pv))
    hostnames = _hostnames(context)
    terms = dig(pv, "spec", "nodeAffinity", "required", "nodeSelectorTerms") or []
    expressions = [e for t in terms for e in (t.get("matchExpressions") or [])]
    pinned = [
        e
        for e in expressions
        if e.get("key") == "kubernetes.io/hostname" and e.get("operator") == "In"
    ]
    if not pinned:
        keys = ", ".join(f"{e.get('key')} {e.get('operator')}" for e in expressions) or "nothing"
        return Outcome(
            False,
            f"nodeAffinity selects on {keys}.",
            subject,
            (
                Mismatch(
                    "spec.nodeAffinity", "kubernetes.io/hostname In [your node]", keys, "differs"
                ),
            ),
            why="the disk is in one node: the affinity must name that node by its "
            "kubernetes.io/hostname label, so the scheduler runs the volume's pods there.",
        )
    values = [str(v) for e in pinned for v in (e.get("values") or [])]
    unknown = [v for v in values if v not in hostnames]
    if unknown or not values:
        return Outcome(
            False,
            f"nodeAffinity names {', '.join(values) or 'no node'}.",
            subject,
            (Mismatch("kubernetes.io/hostname values", hostnames, values, "differs"),),
            why=f"no node has kubernetes.io/hostname={', '.join(unknown) or '(empty)'}; this "
            f"cluster's nodes are: {', '.join(hostnames)}. A pod using this volume could never "
            "be scheduled. `kubectl get nodes -L kubernetes.io/hostname` shows the value.",
        )
    nodes = {
        str(dig(n, "metadata", "labels", HOSTNAME) or _name(n)): n
        for n in context.list("v1", "Node")
    }
    for index, term in enumerate(terms):
        where = f"spec.nodeAffinity.required.nodeSelectorTerms[{index}]"
        named = _term_hostnames(term)
        if not named:
            return Outcome(
                False,
                f"nodeSelectorTerms[{index}] does not name a node.",
                subject,
                (Mismatch(where, f"{HOSTNAME} In [your node]", term, "differs"),),
                why="the terms of nodeSelectorTerms are ORed: a pod may run on any node that "
                f"matches one of them, and term {index} matches nodes the disk is not in. Put "
                f"the {HOSTNAME} requirement in every term (one term is enough).",
            )
        if len(named) > 1:
            return Outcome(
                False,
                f"nodeSelectorTerms[{index}] names several nodes: {', '.join(named)}.",
                subject,
                (Mismatch(f"{where} {HOSTNAME} values", values[:1], named, "differs"),),
                why="the disk is in one node: name only that one.",
            )
        node = nodes.get(named[0])
        failed = _unmet(term, node) if node is not None else None
        if failed:
            return Outcome(
                False,
                f"nodeSelectorTerms[{index}] also requires {failed}, which node "
                f"{named[0]} does not meet.",
                subject,
                (Mismatch(where, f"requirements node {named[0]} meets", failed, "differs"),),
                why="every requirement of a term must hold on the node: no node matches this "
                "one, so no pod could ever use the volume.",
            )
    return Outcome(True, subject=subject)


def _term_hostnames(term: Obj) -> list[str]:
    """The nodes a nodeSelectorTerm pins to, by hostname label (or by metadata.name field)."""
    found: set[str] = set()
    for key, requirements in (
        ("kubernetes.io/hostname", term.get("matchExpressions")),
        ("metadata.name", term.get("matchFields")),
    ):
        for requirement in requirements or []:
            if requirement.get("key") == key and requirement.get("operator") == "In":
                found |= {str(v) for v in requirement.get("values") or []}
    return sorted(found)


def _unmet(term: Obj, node: Obj) -> str | None:
    """The first requirement of ``term`` that ``node`` does not meet, in words; None if all hold."""
    labels = dig(node, "metadata", "labels") or {}
    fields = {"metadata.name": _name(node)}
    for requirements, values in (
        (term.get("matchExpressions"), labels),
        (term.get("matchFields"), fields),
    ):
        for requirement in requirements or []:
            key, operator = requirement.get("key"), requirement.get("operator")
            wanted = [str(v) for v in requirement.get("values") or []]
            found = values.get(key)
            holds = {
                "In": found is not None and str(found) in wanted,
                "NotIn": found is None or str(found) not in wanted,
                "Exists": found is not None,
                "DoesNotExist": found is None,
            }.get(str(operator))
            if holds is None and operator in ("Gt", "Lt") and wanted:
                try:
                    number, limit = int(str(found)), int(wanted[0])
                    holds = number > limit if operator == "Gt" else number < limit
                except ValueError:
                    holds = False
            if not holds:
                return f"{key} {operator} {wanted}" if wanted else f"{key} {operator}"
    return None


# --------------------------------------------------- claims and their binding


def _pods_using(context: CheckContext, claim: str) -> list[Obj]:
    return [
        p
        for p in context.list("v1", "Pod")
        if any(
            dig(v, "persistentVolumeClaim", "claimName") == claim
            for v in dig(p, "spec", "volumes") or []
        )
    ]


def _volume_on(context: CheckContext, disk: str) -> Obj | None:
    """This lab's local volume on the folder ``disk``."""
    return next(
        (
            pv
            for pv in _lab_volumes(context)
            if str(dig(pv, "spec", "local", "path") or "").rstrip("/") == disk
        ),
        None,
    )


def _why_not_the_local_volume(context: CheckContext, claim: Obj, disk: str) -> str | None:
    """Why ``claim`` cannot bind the lab's local volume on ``disk``, from their two specs."""
    spec = claim.get("spec") or {}
    class_name = spec.get("storageClassName")
    if class_name != LOCAL_CLASS:
        return (
            f'the claim asks for storageClassName "{class_name}", but the local volume is of '
            f'class "{LOCAL_CLASS}": a claim only binds volumes of its own class.'
        )
    pv = _volume_on(context, disk)
    if pv is None:
        return f"there is no local volume on {disk} to bind yet."
    wanted = spec.get("volumeName")
    if wanted and wanted != _name(pv):
        return f'the claim names volume "{wanted}" (spec.volumeName), not {_name(pv)} on {disk}.'
    pv_spec = pv.get("spec") or {}
    extra = sorted(set(spec.get("accessModes") or []) - set(pv_spec.get("accessModes") or []))
    if extra:
        return (
            f"the claim asks for {', '.join(extra)}, which the local volume does not offer "
            f"(it offers {', '.join(pv_spec.get('accessModes') or []) or 'nothing'})."
        )
    requested = dig(spec, "resources", "requests", "storage")
    offered = dig(pv_spec, "capacity", "storage")
    if (quantity(requested) or 0) > (quantity(offered) or 0):
        return (
            f"the claim requests {requested} but the local volume holds only {offered}: a "
            "volume must be at least as large as the request."
        )
    ref = pv_spec.get("claimRef") or {}
    if ref and ref.get("name") != _name(claim):
        state = dig(pv, "status", "phase")
        if state == "Released":
            return (
                f"the local volume is Released: its claimRef still names the deleted claim "
                f'"{ref.get("name")}", so no other claim may bind it. With Retain, an '
                "administrator decides: remove spec.claimRef to make it Available again."
            )
        return f'the local volume is already bound to claim "{ref.get("name")}".'
    return None


def _bound_to_local_volume(context: CheckContext, claim_name: str, disk: str) -> Outcome:
    """The claim is Bound to this lab's local volume on ``disk``, or why not."""
    subject = _subject(context, "PersistentVolumeClaim", claim_name)
    claim = context.get("v1", "PersistentVolumeClaim", claim_name)
    if claim is None:
        return Outcome(False, f'There is no claim "{claim_name}" yet.', subject)
    phase = dig(claim, "status", "phase")
    if phase != "Bound":
        mismatch = (Mismatch("status.phase", "Bound", phase, "differs"),)
        users = _pods_using(context, claim_name)
        if not users:
            why = (
                _why_not_the_local_volume(context, claim, disk)
                if dig(claim, "spec", "storageClassName") != LOCAL_CLASS
                else None
            )
            return Outcome(
                False, subject=subject, mismatches=mismatch, subject_object=claim, why=why
            )  # no why: the catalogue explains WaitForFirstConsumer
        blocked = next((m for m in map(_unschedulable, users) if m), None)
        why = _why_not_the_local_volume(context, claim, disk)
        if why is None and blocked and "affinity" in blocked:
            why = (
                "the pod and the volume disagree on the node: check the volume's nodeAffinity "
                "and any nodeSelector of the pod."
            )
        evidence = (f'pod "{_name(users[0])}": {blocked}',) if blocked else ()
        return Outcome(False, subject=subject, mismatches=mismatch, why=why, evidence=evidence)
    volume_name = dig(claim, "spec", "volumeName")
    pv = context.get("v1", "PersistentVolume", str(volume_name))
    path = dig(pv, "spec", "local", "path")
    if str(path or "").rstrip("/") != disk:
        dynamic = dig(pv, "metadata", "annotations", "pv.kubernetes.io/provisioned-by")
        how = (
            f'class "{dig(claim, "spec", "storageClassName")}" made a new, empty volume for '
            f"it ({dynamic})"
            if dynamic
            else "it is a different volume"
        )
        return Outcome(
            False,
            f'"{claim_name}" is bound to volume {volume_name}, not to the local volume.',
            subject,
            (Mismatch("spec.volumeName", f"the local volume on {disk}", volume_name, "differs"),),
            why=f"{how}: dynamic provisioning answers a claim of a class that has a provisioner. "
            f'Only claims of class "{LOCAL_CLASS}" get the local volume on {disk}.'
            if dynamic
            else f"{how}: the claim must be bound to the local volume on {disk}.",
        )
    return Outcome(True, subject=subject)


# ----------------------------------------------- exercise 5: claim and consumer


@final_when_quiet
def data_is_bound_to_the_local_volume(context: CheckContext) -> Outcome:
    return _bound_to_local_volume(context, "data", DISK)


@final_when_steady
def note_is_on_the_claim(context: CheckContext) -> Outcome:
    """A running pod that mounts claim data (writer, later reader) finds the note."""
    subject = _subject(context, "PersistentVolumeClaim", "data")
    users = _pods_using(context, "data")
    named = [p for p in users if _name(p) in ("writer", "reader")]
    if not named:
        if users:
            others = ", ".join(f'"{_name(p)}"' for p in users)
            return Outcome(
                False,
                f'Claim "data" is mounted by pod {others}, not by a pod named "writer".',
                subject,
                (Mismatch("pod name", "writer", _name(users[0]), "differs"),),
            )
        writer = context.get("v1", "Pod", "writer")
        if writer is None:
            return Outcome(
                False, 'There is no pod "writer" yet.', _subject(context, "Pod", "writer")
            )
        return _reads_note(context, "writer", "data", NOTE)
    running = [p for p in named if dig(p, "status", "phase") == "Running"] or named
    return _reads_note(context, _name(running[0]), "data", NOTE)


# ------------------------------------------------ the note on a claim (exercises 5, 6)


def _reads_note(context: CheckContext, pod_name: str, claim: str, note: str) -> Outcome:
    subject = _subject(context, "Pod", pod_name)
    pod = context.get("v1", "Pod", pod_name)
    if pod is None:
        return Outcome(False, f'There is no pod "{pod_name}" yet.', subject)
    containers = dig(pod, "spec", "containers") or [{}]
    container = str(containers[0].get("name"))
    mount = _mount_at(pod, container, "/data")
    if mount is None:
        paths = [
            m.get("mountPath")
            for m in containers[0].get("volumeMounts") or []
            if not str(m.get("mountPath", "")).startswith("/var/run/secrets")
        ]
        return Outcome(
            False,
            f"Nothing is mounted at /data (mounts: {', '.join(map(str, paths)) or 'none'}).",
            subject,
            (Mismatch("volumeMounts.mountPath", "/data", paths, "not-in-list"),),
            why="the check reads /data/notes.txt: mount the claim at /data, where "
            f"{'writer' if note == NOTE else 'archiver'} wrote.",
        )
    volume = _volume(pod, mount.get("name"))
    claim_name = dig(volume, "persistentVolumeClaim", "claimName")
    if claim_name != claim:
        found = f'claim "{claim_name}"' if claim_name else f"a {_source(volume)} volume"
        if claim_name:
            why = (
                f'the note is on the volume bound to claim "{claim}". Another claim is '
                "another request for storage, bound (if ever) to another volume."
            )
        elif _source(volume) == "emptyDir":
            why = (
                "an emptyDir volume is created empty with each pod and dies with it. Data "
                "that must outlive a pod lives in a PersistentVolume, reached through its "
                "claim."
            )
        else:
            why = f'mount the claim "{claim}": the note is on the volume bound to it.'

        return Outcome(
            False,
            f'/data is {found}, not claim "{claim}".',
            subject,
            (
                Mismatch(
                    "volumes[/data].persistentVolumeClaim.claimName", claim, claim_name, "differs"
                ),
            ),
            why=why,
        )
    text, failed = _read_file(context, pod, container, "/data/notes.txt", subject)
    if failed is not None:
        return failed
    if note not in str(text):
        return Outcome(False, f'notes.txt says {str(text)[:60]!r}, not "{note}".', subject)
    return Outcome(True, subject=subject)


# ----------------------------------------------- exercise 7: dynamic provisioning


_PROVISIONED = "ProvisioningSucceeded"


def old_cache_volume_is_gone(context: CheckContext) -> Outcome:
    """An earlier claim "cache" was provisioned a volume, and that volume no longer exists.

    Its trace is in the claim's events (kept about an hour): a dynamically provisioned
    volume is named ``pvc-<uid of the claim>``. With reclaim policy Delete the volume
    object goes only after its provisioner deleted the storage, data included.
    """
    subject = _subject(context, "PersistentVolumeClaim", "cache")
    claim = context.get("v1", "PersistentVolumeClaim", "cache")
    current = dig(claim, "metadata", "uid")
    earlier = sorted(
        {
            str(dig(e, "involvedObject", "uid"))
            for e in context.list("v1", "Event")
            if e.get("reason") == _PROVISIONED
            and dig(e, "involvedObject", "kind") == "PersistentVolumeClaim"
            and dig(e, "involvedObject", "name") == "cache"
            and dig(e, "involvedObject", "uid") not in (None, current)
        }
    )
    quiet = not namespace_settling(context.fetcher, context.namespace)
    if not earlier:
        return Outcome(
            False,
            'No earlier claim "cache" had a volume provisioned in the last hour.',
            subject,
            (Mismatch("", "an earlier claim cache, deleted", None, "missing"),),
            why="throw the first cache away: delete pod cache-user and claim cache (events, "
            "which show it, are kept about an hour), then create both again.",
            settled=quiet,
        )
    for uid in earlier:
        old = context.get("v1", "PersistentVolume", f"pvc-{uid}")
        if old is None:
            continue
        phase = dig(old, "status", "phase")
        policy = dig(old, "spec", "persistentVolumeReclaimPolicy")
        # a Released volume with Delete is on its way out: its provisioner is at work
        going = (policy == "Delete" and phase != "Failed") or dig(
            old, "metadata", "deletionTimestamp"
        )
        return Outcome(
            False,
            f"Volume {_name(old)} of the deleted claim still exists ({phase}, reclaim "
            f"policy {policy}).",
            _subject(context, "PersistentVolume", _name(old)),
            (Mismatch("", f"no PersistentVolume {_name(old)}", phase, "exists"),),
            subject_object=old,
            why="with Retain, a released volume and its data stay until an administrator acts."
            if policy == "Retain"
            else None,
            settled=quiet and not going,
        )
    return Outcome(True, f"pvc-{earlier[0][:8]}… went with its claim, data and all.", subject)


# ----------------------------------------------- exercise 8: release and reclaim


@final_when_quiet
def archive_again_is_bound_to_the_retained_volume(context: CheckContext) -> Outcome:
    return _bound_to_local_volume(context, "archive-again", DISK_2)
