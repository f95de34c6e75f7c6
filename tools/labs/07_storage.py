"""Writes labs/07-storage/07-storage.ipynb. Edit this file, then run it (a test compares them)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from notebook_cells import answer, autograde, check, code, md, notebook, setup, write


def answer_more(exercise: str, number: int, text: str, *, magic: str | None = None) -> object:
    """A further answer cell of an exercise: grade_id ``ex<N>-answer-<number>``."""
    cell = answer(exercise, text, magic=magic)
    cell.metadata["nbgrader"]["grade_id"] = f"ex{exercise}-answer-{number}"
    return cell


CELLS = [
    md("""
# Volumes and persistent storage

A container's file system lives exactly as long as the container. When the container
restarts, everything it wrote is gone; when its pod is deleted, so is the pod. That is
right for the application's code, and wrong for its data.

A **volume** is a folder that Kubernetes attaches to a pod, declared under
`spec.volumes` and mounted into containers with `volumeMounts`. What backs the folder,
and so how long its files live and who else sees them, depends on the volume's type:

| type | backed by | lives as long as |
|---|---|---|
| `emptyDir` | a fresh folder on the node | the pod |
| `hostPath` | an existing folder of the node | the node's disk |
| `persistentVolumeClaim` | a PersistentVolume: a disk, a share, a folder of a node | the volume, independent of any pod |

You will share files between containers, read a node's files, split one volume into
folders, then make a PersistentVolume, claim it, keep its data across pods and claims,
and let a StorageClass make volumes for you.

Run the next cell first: it prepares the namespace `lab-07-storage` and two folders on
the node under `/var/local/kklab/07-storage/`.
"""),
    setup("07-storage"),
    md("""
## Exercise 1: Share files between containers with emptyDir

Containers of one pod do not see each other's files. An `emptyDir` volume is the
simplest way to share some: the kubelet creates an empty folder on the node when the
pod starts, mounts it into every container that asks for it, and deletes it when the
pod is removed. A container that crashes and restarts finds the folder as it left
it; a new pod gets a new, empty one.

Each container chooses its own mount point: the same files may appear at
`/var/log/app` in one container and at `/logs` in another. A mount can also be
`readOnly`, so a helper that only reads cannot damage the data.

Create a pod **shipping** with one emptyDir volume named **logs** and two containers
from `busybox:1.35`:

* **app** mounts `logs` at `/var/log/app` and appends a line such as
  `<date> GET /cart 200` to `/var/log/app/access.log` every 2 seconds;
* **shipper** mounts `logs` **read-only** at `/logs` and follows the file with
  `tail -F /logs/access.log`, as a log shipper would before sending lines elsewhere.
"""),
    answer(
        "1",
        """
apiVersion: v1
kind: Pod
metadata:
  name: shipping
spec:
  volumes:
    - name: logs
      emptyDir: {}
  containers:
    - name: app
      image: busybox:1.35
      command: ["sh", "-c", "while true; do echo \\"$(date) GET /cart 200\\" >> /var/log/app/access.log; sleep 2; done"]
      volumeMounts:
        - name: logs
          mountPath: /var/log/app
    - name: shipper
      image: busybox:1.35
      command: ["tail", "-F", "/logs/access.log"]
      volumeMounts:
        - name: logs
          mountPath: /logs
          readOnly: true
""",
        magic="%%apply",
    ),
    check("1"),
    autograde("1", 3),
    md("""
What app writes, shipper prints. And shipper really cannot write:
"""),
    code("%kubectl logs shipping -c shipper --tail 3"),
    code("%kubectl exec shipping -c shipper -- touch /logs/forged.log"),
    md("""
An emptyDir is stored on the node's disk by default, and the kubelet evicts a pod whose
emptyDir grows past `sizeLimit`. With `medium: Memory` it is a RAM-backed `tmpfs`:
fast, gone on reboot, and counted against the container's memory limit.

## Exercise 2: Read the node's files with hostPath

A `hostPath` volume mounts a folder that already exists on the **node** into the pod.
Its files belong to the node, not to any pod: they were there before the pod and stay
after it. That makes hostPath look like persistent storage, and it is a trap:

* each node has its own folders. A pod rescheduled onto another node finds that
  node's folder, with none of the data. On a cluster of one node (like this one)
  nothing shows it, which is why hostPath is for single-node clusters and for agents
  that must read the node itself (log collectors, monitoring);
* a pod that can mount any node path can read or change the node's files (its
  kubelet credentials, other pods' data). Clusters usually forbid hostPath for
  ordinary workloads; mount it read-only when reading is all you need.

`type` makes the kubelet check the path before it starts the pod: `Directory` (must
exist), `DirectoryOrCreate` (made empty if missing), `File`, `Socket`, and others.
Without a type nothing is checked.

The pod **night-shift** ran earlier today and left a note in the node folder
`/var/local/kklab/07-storage/host`. Look at how it did it:
"""),
    code("%kubectl get pod night-shift"),
    code("%kubectl get pod night-shift -o jsonpath='{.spec.volumes}'"),
    md("""
Create a pod **visitor** with one container **main** (`busybox:1.35`, command
`sleep 3600`) that mounts that node folder **read-only** at `/node`, with hostPath
`type: Directory` so that a typo in the path stops the pod instead of giving it an
empty folder.
"""),
    answer(
        "2",
        """
apiVersion: v1
kind: Pod
metadata:
  name: visitor
spec:
  volumes:
    - name: node-folder
      hostPath:
        path: /var/local/kklab/07-storage/host
        type: Directory
  containers:
    - name: main
      image: busybox:1.35
      command: ["sleep", "3600"]
      volumeMounts:
        - name: node-folder
          mountPath: /node
          readOnly: true
""",
        magic="%%apply",
    ),
    check("2"),
    autograde("2", 3),
    code("%kubectl exec visitor -- cat /node/welcome.txt"),
    md("""
## Exercise 3: Two sites on one volume with subPath

A volume mount shows the whole volume at `mountPath`. With `subPath`, it shows only one
folder inside the volume (the kubelet creates the folder if it is missing). One volume
can then serve several containers, each in its own folder, while another container
that mounts the whole volume sees all of them, for a backup for example.

`subPath` also mounts one file into a folder that already has others, for example a
single configuration file from a ConfigMap (lab 04). Keep one limit in mind: a
subPath mount of a ConfigMap or Secret is not updated when the object changes.

Create a pod **sites** with one emptyDir volume **disk** and three containers from
`busybox:1.35`:

* **blog** mounts `disk` at `/www` with `subPath: blog` and runs
  `echo blog > /www/index.html; sleep 3600`;
* **shop** mounts `disk` at `/www` with `subPath: shop` and runs
  `echo shop > /www/index.html; sleep 3600`;
* **backup** mounts the whole of `disk` at `/backup` and runs `sleep 3600`.

Both sites write `/www/index.html`, yet neither overwrites the other.
"""),
    answer(
        "3",
        """
apiVersion: v1
kind: Pod
metadata:
  name: sites
spec:
  volumes:
    - name: disk
      emptyDir: {}
  containers:
    - name: blog
      image: busybox:1.35
      command: ["sh", "-c", "echo blog > /www/index.html; sleep 3600"]
      volumeMounts:
        - name: disk
          mountPath: /www
          subPath: blog
    - name: shop
      image: busybox:1.35
      command: ["sh", "-c", "echo shop > /www/index.html; sleep 3600"]
      volumeMounts:
        - name: disk
          mountPath: /www
          subPath: shop
    - name: backup
      image: busybox:1.35
      command: ["sleep", "3600"]
      volumeMounts:
        - name: disk
          mountPath: /backup
""",
        magic="%%apply",
    ),
    check("3"),
    autograde("3", 3),
    code("%kubectl exec sites -c backup -- find /backup -type f"),
    md("""
## PersistentVolumes and claims

Everything so far dies with its pod or is tied to one node's folders. Real data needs
storage whose life is independent of pods, and Kubernetes splits it in two objects so
that two different people can do their part:

* a **PersistentVolume** (PV) is a piece of storage in the cluster: a network disk, an
  NFS share, a disk in one node. An administrator creates it (**static
  provisioning**) or a provisioner does on demand (**dynamic provisioning**). PVs
  belong to no namespace;
* a **PersistentVolumeClaim** (PVC) is a request for storage in a namespace: "500Mi,
  mounted read-write by one node, of class local-storage". A pod mounts the claim,
  never the PV directly, so the application's manifests say nothing about where the
  storage comes from.

Kubernetes **binds** a claim to one PV that satisfies it, one to one: same
`storageClassName`, every access mode the claim asks for, and a capacity at least as
large as the request (a claim for 500Mi may get a 1Gi volume, and then has all of it).
The binding holds until the claim is deleted.

Access modes say how many **nodes** may mount the volume at once: `ReadWriteOnce`
(RWO, one node read-write; several pods on that node may share it), `ReadOnlyMany`
(ROX), `ReadWriteMany` (RWX, needs a network file system). Newer clusters add
`ReadWriteOncePod` (one pod only; stable since Kubernetes 1.29, CSI volumes only).

A PV goes through these phases: `Available` (free), `Bound` (to a claim), `Released`
(its claim was deleted) and `Failed` (reclaiming it failed). What happens on release
is its **reclaim policy**: `Delete` removes the volume and its data, `Retain` keeps
both until an administrator acts. (`Recycle`, which wiped files for reuse, is
deprecated.)

A **StorageClass** names a kind of storage: which provisioner makes its volumes, the
reclaim policy they get, and when to bind (`volumeBindingMode`). This cluster has two:
"""),
    code("%kubectl get storageclass"),
    md("""
`standard` is the default (marked `(default)`): a claim without `storageClassName`
gets it. Its provisioner makes a folder on the node per claim. `local-storage` has the
provisioner `kubernetes.io/no-provisioner`: it makes nothing, and only hands out PVs
that an administrator created. Both bind `WaitForFirstConsumer`, which exercise 5
explains.

## Exercise 4: A local PersistentVolume

A **local** PersistentVolume is a disk (or a folder) of one node, used through a
claim like any other volume. Unlike hostPath, the PV says which node holds it, in its
`nodeAffinity`, and the scheduler reads it: every pod that uses the volume is placed
on that node, and the data is always where the pod runs. The API server refuses a
local PV without `nodeAffinity`.

Nodes carry the label `kubernetes.io/hostname`, usually equal to their name. Find the
value for your node:
"""),
    code("%kubectl get nodes -L kubernetes.io/hostname"),
    md("""
kklab made the folder `/var/local/kklab/07-storage/disk-1` on that node to play the
disk. Create a PersistentVolume **lab07-local-1**:

* `capacity` 1Gi, access mode `ReadWriteOnce`, `storageClassName: local-storage`;
* reclaim policy `Retain` (`spec.persistentVolumeReclaimPolicy`): nothing could
  delete a local disk's data for you, and you will want it back in exercise 8;
* `local.path: /var/local/kklab/07-storage/disk-1`;
* `nodeAffinity.required.nodeSelectorTerms`: one term whose `matchExpressions`
  require `kubernetes.io/hostname` `In` your node's value.

Write it in the next cell under `%%apply`, with your node's name typed in. (The
reference solution is Python: it looks the node up, so it works on any cluster.
`session`, defined here, is your lab session; `session.apply(yaml)` does what
`%%apply` does.)
"""),
    code("""
from kklab.notebook import current_session

session = current_session()
"""),
    answer(
        "4",
        """
# Look the node's hostname label up, then apply the volume with it.
node = session.kubectl(["get", "nodes", "-o",
                        "jsonpath={.items[0].metadata.labels.kubernetes\\\\.io/hostname}"])
volume = f\"\"\"
apiVersion: v1
kind: PersistentVolume
metadata:
  name: lab07-local-1
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-storage
  local:
    path: /var/local/kklab/07-storage/disk-1
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/hostname
              operator: In
              values: [{node}]
\"\"\"
for applied in session.apply(volume):
    print(applied.describe())
""",
    ),
    check("4"),
    autograde("4", 5),
    code("%kubectl get pv"),
    md("""
The volume is `Available`. Kubernetes does not measure the folder: for local volumes,
`capacity` is what the administrator promises, used only to match claims.

## Exercise 5: A claim waits for its first consumer

Why does `local-storage` bind `WaitForFirstConsumer` rather than `Immediate`? With
`Immediate`, a claim is bound as soon as it is created, to any matching volume. For a
local volume, binding picks the node: if the pod that later uses the claim cannot run
there (not enough CPU, a `nodeSelector`, a taint), it can never start. Waiting for the
first pod that uses the claim lets the scheduler choose a node for the pod and a
volume on that node **together**. Until then the claim stays `Pending`, which is
normal and not an error.

Create a claim **data** asking for `500Mi`, `ReadWriteOnce`, class `local-storage`,
and look at it:
"""),
    answer(
        "5",
        """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  storageClassName: local-storage
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 500Mi
""",
        magic="%%apply",
    ),
    code("%kubectl get pvc data"),
    code("%kubectl describe pvc data"),
    md("""
Now its first consumer. Create a pod **writer** (`busybox:1.35`) that mounts claim
`data` at `/data` and runs
`echo "written by writer on $(date)" > /data/notes.txt; sleep 3600`.

Give it `terminationGracePeriodSeconds: 1`: `sleep` ignores the polite stop signal,
so without it deleting the pod would wait the default 30 seconds (lab 02 explains
termination).
"""),
    answer_more(
        "5",
        2,
        """
apiVersion: v1
kind: Pod
metadata:
  name: writer
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data
  containers:
    - name: main
      image: busybox:1.35
      command: ["sh", "-c", "echo \\"written by writer on $(date)\\" > /data/notes.txt; sleep 3600"]
      volumeMounts:
        - name: data
          mountPath: /data
""",
        magic="%%apply",
    ),
    check("5"),
    autograde("5", 4),
    md("""
The claim is `Bound` to `lab07-local-1` and shows its full 1Gi. The file is on the node
in the volume's folder:
"""),
    code("%kubectl get pvc data"),
    code("%kubectl get pod writer -o wide"),
    md("""
## Exercise 6: Data outlives the pod

Delete **writer**, then create a pod **reader** (`busybox:1.35`, command
`sleep 3600`, `terminationGracePeriodSeconds: 1`) that mounts the same claim `data` at
`/data`. The claim and its volume do not care which pod uses them; reader lands on the
volume's node because the scheduler reads the PV's node affinity.

(`ReadWriteOnce` limits nodes, not pods: reader could even have run next to writer on
the same node.)
"""),
    answer(
        "6",
        """
%kubectl wait --for=condition=Ready pod/writer --timeout=90s
%kubectl exec writer -- cat /data/notes.txt
%kubectl delete pod writer
""",
    ),
    answer_more(
        "6",
        2,
        """
apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data
  containers:
    - name: main
      image: busybox:1.35
      command: ["sleep", "3600"]
      volumeMounts:
        - name: data
          mountPath: /data
""",
        magic="%%apply",
    ),
    check("6"),
    autograde("6", 3),
    code("%kubectl exec reader -- cat /data/notes.txt"),
    md("""
## Exercise 7: Dynamic provisioning from the default StorageClass

Writing one PV per disk by hand does not scale. With **dynamic provisioning**, a
claim names a StorageClass and the class's provisioner creates a PV that fits it,
named `pvc-<uid of the claim>`. The PV takes its reclaim policy from the class:
`Delete` for `standard`, so the volume and its data go when the claim goes, which
suits disposable data such as a cache.

Leaving `storageClassName` out gives the claim the default class. Writing
`storageClassName: ""` is different: it means "no class", binds only PVs without a
class, and never triggers a provisioner.

Create a claim **cache** of `100Mi`, `ReadWriteOnce`, without `storageClassName`,
and a pod **cache-user** (`busybox:1.35`, `sleep 3600`,
`terminationGracePeriodSeconds: 1`) that mounts it at `/cache`.
"""),
    answer(
        "7",
        """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: cache
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 100Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: cache-user
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - name: cache
      persistentVolumeClaim:
        claimName: cache
  containers:
    - name: main
      image: busybox:1.35
      command: ["sleep", "3600"]
      volumeMounts:
        - name: cache
          mountPath: /cache
""",
        magic="%%apply",
    ),
    check("7"),
    autograde("7", 4),
    md("""
The new PV's `RECLAIM POLICY` is `Delete`, and its annotation
`pv.kubernetes.io/provisioned-by` names the provisioner that made it:
"""),
    code("%kubectl get pv"),
    code("%kubectl get pvc cache -o jsonpath='{.spec.storageClassName} {.spec.volumeName}'"),
    md("""
## Exercise 8: Release and reclaim a retained volume

When a claim is deleted, its PV is **released**. With `Delete`, it and its data go.
With `Retain`, the PV stays, with its data, in phase `Released`, and its
`spec.claimRef` still names the deleted claim: no new claim may bind it, because the
old data might belong to someone else. Deciding what happens to that data is an
administrator's job: wipe it and delete the PV, or hand it to a new claim by removing
the `claimRef`, which makes the PV `Available` again.

This exercise uses a second local disk, so that `data` keeps its volume.

1. Create a PV **lab07-local-2** like lab07-local-1 (copy your exercise 4 answer),
   on the folder `/var/local/kklab/07-storage/disk-2`.
"""),
    answer(
        "8",
        """
# As in exercise 4: look the node up, then apply the second volume.
node = session.kubectl(["get", "nodes", "-o",
                        "jsonpath={.items[0].metadata.labels.kubernetes\\\\.io/hostname}"])
volume = f\"\"\"
apiVersion: v1
kind: PersistentVolume
metadata:
  name: lab07-local-2
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-storage
  local:
    path: /var/local/kklab/07-storage/disk-2
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/hostname
              operator: In
              values: [{node}]
\"\"\"
for applied in session.apply(volume):
    print(applied.describe())
""",
    ),
    md("""
2. Create a claim **archive** (500Mi, RWO, `local-storage`) that asks for that very
   volume with `spec.volumeName: lab07-local-2`: a claim may name the PV it wants
   (**pre-binding**), which is how you give a known volume back to an application.
   Add a pod **archiver** like writer, mounting `archive` at `/data` and running
   `echo "archived by archiver on $(date)" > /data/notes.txt; sleep 3600`.
"""),
    answer_more(
        "8",
        2,
        """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: archive
spec:
  storageClassName: local-storage
  volumeName: lab07-local-2
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 500Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: archiver
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: archive
  containers:
    - name: main
      image: busybox:1.35
      command: ["sh", "-c", "echo \\"archived by archiver on $(date)\\" > /data/notes.txt; sleep 3600"]
      volumeMounts:
        - name: data
          mountPath: /data
""",
        magic="%%apply",
    ),
    md("""
3. Once archiver runs, delete pod **archiver**, then claim **archive** (a claim in use
   by a pod is only deleted after the pod goes: `kubernetes.io/pvc-protection`). Look
   at the PV: `Released`, and its CLAIM column still names `archive`.
4. Create a claim **archive-again** like `archive` (same `volumeName`) and a pod
   **restore** like archiver but running only `sleep 3600`, mounting `archive-again`
   at `/data`. Both stay `Pending`: `%kubectl describe pvc archive-again` says why.
5. As the administrator, remove the PV's `claimRef`:
   `%kubectl patch pv lab07-local-2 --type json -p '[{"op": "remove", "path": "/spec/claimRef"}]'`.
   The claim binds, restore starts, and archiver's note is still there.
"""),
    answer_more(
        "8",
        3,
        """
%kubectl wait --for=condition=Ready pod/archiver --timeout=90s
%kubectl delete pod archiver
%kubectl delete pvc archive
%kubectl get pv lab07-local-2
%kubectl patch pv lab07-local-2 --type json -p '[{"op": "remove", "path": "/spec/claimRef"}]'
""",
    ),
    answer_more(
        "8",
        4,
        """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: archive-again
spec:
  storageClassName: local-storage
  volumeName: lab07-local-2
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 500Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: restore
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: archive-again
  containers:
    - name: main
      image: busybox:1.35
      command: ["sleep", "3600"]
      volumeMounts:
        - name: data
          mountPath: /data
""",
        magic="%%apply",
    ),
    check("8"),
    autograde("8", 4),
    code("%kubectl exec restore -- cat /data/notes.txt"),
    md("""
## The price of local volumes

Local volumes are as fast as the node's disk and need no storage system, but the data
lives in one machine, and Kubernetes cannot move it:

* **node loss**: if the node fails or is removed, its pods cannot run anywhere else,
  since their claims are bound to a volume only that node has. They stay `Pending` (or
  `Unknown` while the node is unreachable), and the data is as safe as that disk;
* **manual recovery**: to move such a pod, someone must decide the data is lost or
  copied elsewhere, delete the claim (and the PV), and let the pod get a new volume
  on another node. Nothing does it automatically, which is why local volumes suit
  applications that replicate their own data (databases with replicas, Kafka,
  Cassandra), and why nodes that hold them are drained and upgraded with care;
* **no dynamic provisioning** with `kubernetes.io/no-provisioner`: an administrator (or
  the sig-storage local static provisioner, which watches for disks) creates one PV
  per disk; give each volume a disk or partition of its own, since `capacity` is
  not enforced.

Compare with `Delete`: remove cache-user and cache, and the dynamically provisioned PV
disappears with its data, while `lab07-local-2` outlived its claim. (This
undoes exercise 7: its checks fail afterwards.)
"""),
    code("""
%kubectl delete pod cache-user
%kubectl delete pvc cache
%kubectl get pv
"""),
    md("""
When you are done, `kklab lab reset 07-storage` deletes the namespace, this lab's
PersistentVolumes and its folders on the node.
"""),
]


def main() -> None:
    target = Path(__file__).resolve().parents[2] / "labs" / "07-storage" / "07-storage.ipynb"
    write(notebook(CELLS), str(target))


if __name__ == "__main__":
    main()
