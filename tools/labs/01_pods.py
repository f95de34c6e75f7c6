"""Writes labs/01-pods/01-pods.ipynb. Edit this file, then run it (a test checks they agree)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from notebook_cells import answer, autograde, check, code, md, notebook, setup, write

CELLS = [
    md("""
# Pods, labels and the kubectl toolbox

A **pod** is the smallest thing Kubernetes runs. It wraps one or more containers
that are always scheduled together on the same node and share two things: a network
identity (one IP address, one set of ports, `localhost` between them) and any volumes
the pod declares. Kubernetes never runs a bare container: even a single container
lives inside a pod.

In this lab you will create pods from manifests, label and select them, put two
containers in one pod, watch restart policies at work and repair a pod that cannot
start. Every exercise ends with a **Check** button that reads the cluster and tells
you what is right, what is not, and why.

Run the next cell first: it connects to your cluster and prepares the namespace
`lab-01-pods`, where everything in this lab lives.
"""),
    setup("01-pods"),
    md("""
## Looking around

`%kubectl` runs kubectl against your lab namespace. Start with the node your pods
will run on, and the pods already in the namespace (four shop pods and a legacy pod
were created for later exercises).
"""),
    code("%kubectl get nodes -o wide"),
    code("%kubectl get pods"),
    md("""
`kubectl explain` documents every field of every kind, straight from the cluster.
It is the fastest way to recall how a manifest is spelled:
"""),
    code("%kubectl explain pod.spec.containers.imagePullPolicy"),
    md("""
## Exercise 1: Run your first pod

A pod manifest has four top-level fields: `apiVersion` and `kind` say what it is,
`metadata` names it, and `spec` says what should run. The container list needs at
least a `name` and an `image`.

Create a pod named **hello** with one container named **main** that runs the image
`busybox:1.35`, prints `Hello from Kubernetes` and then keeps running (a container
whose command ends makes the pod stop running).

Why `busybox:1.35` and not just `busybox`? An image without a tag means `:latest`,
which points at a different image from one week to the next, and makes Kubernetes
pull the image every time (more on that in exercise 6). Pinned tags make every node
run the same thing.

Write the manifest below `%%apply` and run the cell.
"""),
    answer(
        "1",
        """
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  containers:
    - name: main
      image: busybox:1.35
      command: ["sh", "-c", "echo Hello from Kubernetes; sleep 3600"]
""",
        magic="%%apply",
    ),
    check("1"),
    autograde("1", 3),
    md("""
Now look at your pod in three ways. `get -o wide` shows its phase, its IP address
(every pod gets its own) and its node; `logs` shows what the container printed;
`describe` shows the pod's events, the first place to look when a pod misbehaves.
"""),
    code("%kubectl get pod hello -o wide"),
    code("%kubectl logs hello"),
    code("%kubectl describe pod hello"),
    md("""
`-o yaml` shows the whole object as the cluster stores it: your spec, many
defaults the API server filled in (`restartPolicy: Always`, `imagePullPolicy`, the
ServiceAccount token volume), and a `status` written by the kubelet with the pod's
**phase** (Pending, Running, Succeeded, Failed, Unknown) and its **conditions**
(PodScheduled, Initialized, ContainersReady, Ready).
"""),
    code("%kubectl get pod hello -o jsonpath='{.status.phase} {.status.conditions[*].type}'"),
    md("""
`kubectl exec` runs a command in a running container. Interactive shells
(`kubectl exec -it hello -- sh`) need a terminal: open one from JupyterLab's
launcher and try it there.
"""),
    code("%kubectl exec hello -- sh -c 'hostname; ip addr show eth0 | grep inet'"),
    md("""
## Exercise 2: Labels that describe the application

Labels are key-value pairs on any object. Kubernetes itself never interprets them:
they exist so that *you* and other objects can select groups of pods (a Service
finds its pods by label, a Deployment counts its replicas by label). A key may have
a prefix in DNS form (`app.kubernetes.io/`) and a name of up to 63 characters;
values are short strings, possibly empty.

Kubernetes recommends a common set of `app.kubernetes.io/*` labels so that tools
can understand any application. Create a pod **web** that serves HTTP with
busybox's `httpd` and carries:

| label | value |
|---|---|
| `app.kubernetes.io/name` | `web` |
| `app.kubernetes.io/component` | `frontend` |
| `app.kubernetes.io/part-of` | `shop` |

Its container listens on port 8080: declare it as a container port named `http`.
Declaring a port does not open it (the process does that); it documents the port
and gives it a name that Services and probes can refer to.
"""),
    answer(
        "2",
        """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    app.kubernetes.io/component: frontend
    app.kubernetes.io/part-of: shop
spec:
  containers:
    - name: web
      image: busybox:1.35
      command: ["sh", "-c", "mkdir -p /www && echo shop > /www/index.html && httpd -f -p 8080 -h /www"]
      ports:
        - name: http
          containerPort: 8080
""",
        magic="%%apply",
    ),
    check("2"),
    autograde("2", 3),
    md("""
`--show-labels` and `-L` display labels; `-l` filters by them:
"""),
    code("%kubectl get pods --show-labels"),
    code("%kubectl get pods -l app.kubernetes.io/part-of=shop -L app.kubernetes.io/component"),
    md("""
To reach the web server from your own machine without any Service, forward a local
port to the pod: run `kubectl port-forward pod/web 8080:8080` in a terminal, then
open http://localhost:8080. The forward lasts as long as the command runs.

## Exercise 3: Select pods by label

Selectors come in two flavours:

* **equality-based**: `tier=backend`, `tier!=frontend`;
* **set-based**: `env in (prod,staging)`, `env notin (test)`, `release` (the key
  exists), `!release` (it does not).

Commas mean AND. Note that `env notin (test)` also matches pods that have no `env`
label at all.

**Field selectors** filter on fields of the object instead of labels, for example
`--field-selector status.phase=Running`. Try both:
"""),
    code("%kubectl get pods -l 'tier=backend' --show-labels"),
    code("%kubectl get pods --field-selector status.phase!=Running"),
    md("""
The shop team wants to mark its stable backends. Add the label `release=stable` to
every pod with `tier=backend` that is **not** in the `test` environment, using a
single `kubectl label` command with a selector. Leave every other pod unchanged.
"""),
    answer(
        "3",
        """
%kubectl label pods -l 'tier=backend,env notin (test)' release=stable
""",
    ),
    check("3"),
    autograde("3", 4),
    md("""
## Exercise 4: Two containers, one pod

Containers in a pod share the pod's network namespace: they reach each other on
`localhost`, and two of them cannot listen on the same port. They do not share a
file system, except through volumes the pod declares. An `emptyDir` volume is
created empty when the pod starts and deleted with the pod: a scratch space for the
pod's containers.

A common pattern is a helper container beside the main one (a *sidecar*). Create a
pod **duo** with:

* a volume `content` of type `emptyDir`;
* a container **server** running `httpd -f -p 8080 -h /www`, with the volume
  mounted at `/www`;
* a container **writer** that writes the current date to `/www/index.html` every
  five seconds, with the same volume mounted at `/www`.

The check runs `wget http://localhost:8080/` *inside the writer container*: it
only works because both containers share the network and the files.
"""),
    answer(
        "4",
        """
apiVersion: v1
kind: Pod
metadata:
  name: duo
spec:
  volumes:
    - name: content
      emptyDir: {}
  containers:
    - name: server
      image: busybox:1.35
      command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
      volumeMounts:
        - name: content
          mountPath: /www
    - name: writer
      image: busybox:1.35
      command: ["sh", "-c", "while true; do date > /www/index.html; sleep 5; done"]
      volumeMounts:
        - name: content
          mountPath: /www
""",
        magic="%%apply",
    ),
    check("4"),
    autograde("4", 4),
    md("""
With more than one container, `logs` and `exec` need `-c` to say which one:
"""),
    code("%kubectl exec duo -c server -- ls -l /www"),
    md("""
## Exercise 5: Restart policies and pod phases

`restartPolicy` (for all containers of the pod) tells the kubelet what to do when a
container exits:

* `Always` (the default): restart it, whatever its exit code; right for servers;
* `OnFailure`: restart it only if it failed (non-zero exit code); right for batch work;
* `Never`: leave it; the pod ends `Succeeded` if every container exited 0, else `Failed`.

Restarts back off exponentially (10 s, 20 s, 40 s, ... up to 5 minutes): that is the
`CrashLoopBackOff` status you will meet again in troubleshooting.

Create two pods from `busybox:1.35`:

* **once**, with `restartPolicy: Never`, whose command prints `finished` and exits 0;
* **retry**, with `restartPolicy: OnFailure`, whose command prints `trying` and exits 1.
"""),
    answer(
        "5",
        """
apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox:1.35
      command: ["sh", "-c", "echo finished"]
---
apiVersion: v1
kind: Pod
metadata:
  name: retry
spec:
  restartPolicy: OnFailure
  containers:
    - name: main
      image: busybox:1.35
      command: ["sh", "-c", "echo trying; exit 1"]
""",
        magic="%%apply",
    ),
    check("5"),
    autograde("5", 4),
    md("""
After a restart, `logs` shows the current run; `--previous` shows the one that
failed before it, which is usually the one you need:
"""),
    code("%kubectl get pods once retry"),
    code("%kubectl logs retry --previous"),
    md("""
## Exercise 6: A pod that cannot pull its image

The pod **legacy** was created with `imagePullPolicy: Always`. With that policy the
kubelet contacts the image registry every time a container starts, even when the
node already has the image. This cluster may have no registry within reach, and
even where it has one, a registry outage would stop the pod from starting.

`IfNotPresent` uses the node's copy when there is one and pulls only otherwise. It
is the default for images with a tag other than `latest`; `Always` is the default
for `:latest` or no tag (one more reason to pin tags). `Never` never pulls.

Look at the pod, then make it run with `imagePullPolicy: IfNotPresent`, keeping its
name, image and command. Most of a pod's spec cannot be changed once it exists, so
you will have to replace it: delete it, then create it again.

A pod stuck pulling its image never started a container, so nothing can be lost by
removing it at once with `--grace-period=0 --force`. Keep that for such cases: on a
pod that may still be running, `--force` only deletes the API object while the
containers may go on running on the node (lab 08 shows why that is dangerous for
StatefulSets).
"""),
    code("%kubectl get pod legacy"),
    code("%kubectl describe pod legacy"),
    answer(
        "6",
        """
%kubectl delete pod legacy --grace-period=0 --force
%kubectl run legacy --image=busybox:1.35 --image-pull-policy=IfNotPresent --labels=app=legacy --command -- sh -c "echo legacy service up; sleep 86400"
""",
    ),
    check("6"),
    autograde("6", 3),
    md("""
## Namespaces and your current context

Everything in this lab went to the namespace `lab-01-pods`, because kklab set it as
your kubeconfig context's namespace. A namespace scopes names (two pods may both be
called `web` in different namespaces) and is the unit of access control and quota.
Some objects, such as nodes and PersistentVolumes, belong to no namespace.
"""),
    code("%kubectl get namespaces"),
    code("%kubectl config view --minify -o jsonpath='{..namespace}'"),
    code("%kubectl api-resources --namespaced=false | head"),
    md("""
## Deleting pods

`kubectl delete pod NAME` asks the kubelet to stop the pod's containers gracefully:
each receives SIGTERM and has `terminationGracePeriodSeconds` (30 by default) to exit
before SIGKILL. A pod is a one-off: once deleted it is gone, and nothing recreates
it. Controllers such as Deployments (lab 05) create pods from a **pod template**, the
same spec you wrote here, and replace them when they disappear.

When you are done, `kklab lab reset 01-pods` removes everything this lab created.
"""),
]


def main() -> None:
    target = Path(__file__).resolve().parents[2] / "labs" / "01-pods" / "01-pods.ipynb"
    write(notebook(CELLS), str(target))


if __name__ == "__main__":
    main()
