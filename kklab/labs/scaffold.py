"""``kklab lab new NN-topic``: a working skeleton of a new lab.

It writes the four files a lab is made of, each already valid, so the author
starts from something that builds, lints, solves and fails the right way:

* ``labs/NN-topic/NN-topic.md``: the source, one exercise with an answer cell;
* ``labs/NN-topic/lab.yaml``: one per-learner parameter, used by the exercise;
* ``graders/NN-topic.yaml``: one check of that exercise;
* ``tests/labs/mutations/NN-topic.yaml``: wrong answers that must fail it,
  and an alternative correct answer that must pass;

then builds ``NN-topic.ipynb``. It never overwrites a file that exists.

Example:
    >>> topic_title("03-probes")
    'Probes'
    >>> topic_title("14-extending-the-api")
    'Extending the api'
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kklab.labs.catalogue import LabError, graders_dir, labs_dir

_LAB_ID = re.compile(r"^[0-9]{2}-[a-z0-9]+(-[a-z0-9]+)*$")


def topic_title(lab: str) -> str:
    """A first title from the folder name (the author will change it)."""
    words = lab.split("-")[1:]
    return " ".join(words).capitalize()


def _source(lab: str, title: str) -> str:
    return f"""---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

# {title}

One paragraph: what the learner will be able to do after this lab, and the small
story its exercises tell. kklab puts the set-up cell (`%lab {lab}`) right after
this first cell.

+++

## Exercise 1: Run the first pod

State the goal, not the manifest: say what must be true, and let the learner
find how. Values that differ between learners are parameters declared in
`lab.yaml`; here, this learner's pod is named **${{{{ pod_name }}}}**.

Create a pod **${{{{ pod_name }}}}** from `busybox:1.35` that keeps running.

```{{code-cell}}
:tags: [answer]

%%apply
apiVersion: v1
kind: Pod
metadata:
  name: ${{{{ pod_name }}}}
spec:
  containers:
    - name: main
      image: busybox:1.35
      command: ["sleep", "3600"]
```

A demo cell the learner runs as it is:

```{{code-cell}}
%kubectl get pod ${{{{ pod_name }}}} -o wide
```
"""


def _lab_yaml() -> str:
    return """# What `kklab lab start` prepares beyond start/, and what differs between learners.
parameters:
  pod_name:
    about: the name of exercise 1's pod
    default: first
    choices: [first, starter, opener, primo]
"""


def _grader(lab: str, title: str) -> str:
    return f"""# yaml-language-server: $schema=../kklab/schemas/grader.schema.json
lab: {lab}
title: {json.dumps(title, ensure_ascii=False)}
timeout_s: 15
exercises:
  - id: "1"
    title: Run the first pod
    checks:
      - id: first-pod-runs
        title: Pod "${{{{ pod_name }}}}" runs busybox:1.35 and is Ready
        points: 2
        success: The pod runs the pinned image and stays up.
        hints:
          - '`%kubectl get pod ${{{{ pod_name }}}}` shows whether it exists and runs.'
          - A container whose command ends stops the pod; `sleep 3600` keeps it up.
        assert:
          apiVersion: v1
          kind: Pod
          metadata: {{name: "${{{{ pod_name }}}}"}}
          spec:
            containers:
              - image: busybox:1.35
          status:
            phase: Running
            conditions:
              - type: Ready
                status: "True"
"""


def _mutations(lab: str) -> str:
    return f"""# Answers to lab {lab} that must fail a named check with a message (says), and
# alternative correct answers (passes: true) that must pass. Harness:
# tests/labs/test_mutations.py. Written for the lab's default values.
lab: {lab}
isolated: false
mutations:
  - exercise: "1"
    name: command-that-exits
    cells:
      - |
        %%apply
        apiVersion: v1
        kind: Pod
        metadata: {{name: first}}
        spec:
          containers: [{{name: main, image: busybox:1.35, command: ["true"]}}]
    fails: first-pod-runs
    says: status
  - exercise: "1"
    name: image-without-a-tag
    cells:
      - |
        %%apply
        apiVersion: v1
        kind: Pod
        metadata: {{name: first}}
        spec:
          containers: [{{name: main, image: busybox, command: [sleep, "3600"]}}]
    fails: first-pod-runs
    says: 'busybox:1.35'
  - exercise: "1"
    name: run-with-kubectl
    passes: true
    cells:
      - "%kubectl run first --image=busybox:1.35 -- sleep 3600"
"""


def new_lab(lab: str, title: str | None = None) -> list[Path]:
    """Write the skeleton of ``lab`` and build its notebook; the files written."""
    if not _LAB_ID.match(lab):
        raise LabError(
            f"{lab!r} is not a lab folder name",
            fix="use NN-topic: two digits, then lower-case words joined by dashes (03-probes)",
        )
    title = title or topic_title(lab)
    folder = labs_dir() / lab
    files = {
        folder / f"{lab}.md": _source(lab, title),
        folder / "lab.yaml": _lab_yaml(),
        graders_dir() / f"{lab}.yaml": _grader(lab, title),
        labs_dir().parent / "tests" / "labs" / "mutations" / f"{lab}.yaml": _mutations(lab),
    }
    existing = [path for path in files if path.exists()]
    if existing:
        raise LabError(
            f"lab {lab} already has {', '.join(str(p) for p in existing)}",
            fix="choose another name, or edit the files that are there",
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    from kklab.labs.catalogue import find_lab
    from kklab.labs.linting import write_built

    definition = find_lab(lab)
    write_built(definition)
    return [*files, definition.notebook]
