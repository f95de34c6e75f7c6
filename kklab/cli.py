"""The ``kklab`` command: parses arguments, calls the library, prints, exits.

Every problem kklab can explain (a ``KklabError``, or a cluster failure that
:func:`kklab.cluster.talking.explain` puts in words) is printed as one line
that says what to do; no traceback reaches the reader. Exit codes:
``EXIT_OK`` (0) done, or every check passed; ``EXIT_FAILED`` (1) a check
failed; ``EXIT_TROUBLE`` (2) kklab could not do what was asked (a cluster it
cannot reach, a lab or exercise that does not exist, a usage error).

Example:
    >>> build_parser().parse_args(["check", "01-pods", "3"]).exercise
    '3'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kklab import doctor
from kklab.cluster import choosing, toolchain
from kklab.cluster.base import Provider
from kklab.cluster.talking import explain, in_words
from kklab.errors import ClusterError

EXIT_OK: Final = 0
"""Done, or every check passed."""
EXIT_FAILED: Final = 1
"""A check failed (a lab's exercise, or a health check of ``status`` and ``doctor``)."""
EXIT_TROUBLE: Final = 2
"""kklab could not do what was asked: a cluster problem, an unknown lab or exercise, usage."""

EXIT_CODES_HELP = """\
exit codes:
  0  done, or every check passed
  1  a check failed (an exercise, or a health check of `status` and `doctor`)
  2  kklab could not do what was asked: the cluster is down, frozen or refused it,
     the lab or exercise does not exist, or the command line is wrong

Every call to the cluster ends within a bound (KKLAB_API_TIMEOUT_S, default 20 s).
"""


def cmd_up(args: argparse.Namespace) -> int:
    name = args.provider
    if name is None and (args.context or args.kubeconfig):
        name = "existing"
    running = choosing.provider_in_use()
    if name is None and running is not None:
        name = running.name
    if name is None:
        choice = choosing.choose()
        print(f"provider: {choice.provider} ({choice.reason})")
        name = choice.provider
    if name != "existing" and (args.context or args.kubeconfig):
        raise ClusterError(
            "--context and --kubeconfig are for the existing provider",
            fix="run `kklab up --provider existing --context NAME`",
        )
    if running is not None and running.name != name:
        raise ClusterError(
            f"a {running.name} cluster is already up",
            fix="run `kklab down` first, or keep using it (`kklab status`)",
        )
    provider = choosing.provider_named(
        name, context=args.context, kubeconfig_path=args.kubeconfig, like=args.like
    )
    if args.fresh:  # the learner's choice: everything in the cluster goes
        provider.down()
    info = provider.up()
    print(f"cluster {info.describe()}")
    print(f"kubeconfig: {info.kubeconfig_path}")
    return 0


def _provider_for(args: argparse.Namespace) -> Provider | None:
    if args.provider:
        return choosing.provider_named(args.provider)
    return choosing.provider_in_use()


def cmd_down(args: argparse.Namespace) -> int:
    # With nothing up, the local provider says there is nothing to stop.
    provider = _provider_for(args) or choosing.provider_named("local")
    provider.down()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    provider = _provider_for(args)
    status = provider.status() if provider is not None else None
    if provider is None or status is None or not status.exists:
        which = f"{provider.name} " if provider is not None else ""
        print(f"no {which}cluster is running; start one with `kklab up`")
        return 1
    print(f"{provider.name} cluster:")
    for component in status.components:
        mark = "✓" if component.healthy else "✗"
        print(f"{mark} {component.name:<24} {component.detail}")
    print("healthy" if status.healthy else "unhealthy: see the ✗ lines above")
    return 0 if status.healthy else 1


def cmd_doctor(_args: argparse.Namespace) -> int:
    checks = doctor.evaluate(doctor.gather())
    for check in checks:
        print(check.render())
    print(doctor.summary(checks))
    return 1 if any(check.status == "fail" for check in checks) else 0


def cmd_toolchain_install(_args: argparse.Namespace) -> int:
    toolchain.install()
    return 0


def cmd_toolchain_status(_args: argparse.Namespace) -> int:
    items = toolchain.check()
    for item in items:
        print(f"{'✓' if item.present else '✗'} {item.name:<28} {item.detail}")
    missing = [item for item in items if not item.present]
    if missing:
        print("run `sudo kklab toolchain install` to get what is missing")
    return 1 if missing else 0


def cmd_check(args: argparse.Namespace) -> int:
    from kklab.grading.commands import check_command

    output = check_command(args.lab, args.exercise, as_json=args.json)
    if output.stdout:  # the result, or with --json the error document, for programs
        print(output.stdout)
    if output.error:  # nothing could be graded: one line for the person at the terminal
        print(output.error, file=sys.stderr)
    return output.exit_code


def cmd_map(args: argparse.Namespace) -> int:
    from kklab.errors import KklabError
    from kklab.mapping import map_lab

    drawn = map_lab(args.lab, draw=bool(args.svg))
    if args.dot:
        print(drawn.dot, end="")
    elif args.svg:
        if not drawn.rendering.svg:
            raise KklabError(drawn.rendering.problem, fix="or run `kklab map` for the text outline")
        args.svg.write_text(drawn.rendering.svg, encoding="utf-8")
        graph = drawn.graph
        print(f"wrote {args.svg}: {len(graph.nodes)} objects, {len(graph.edges)} relations")
    else:
        print(drawn.text())
    return EXIT_OK


def cmd_graders_lint(_args: argparse.Namespace) -> int:
    from kklab.labs.linting import lint_command

    code, text = lint_command()
    print(text)
    return code


def cmd_lab_list(_args: argparse.Namespace) -> int:
    from kklab.labs import all_labs, progress
    from kklab.labs.variants import seed_for

    labs = all_labs()
    if not labs:
        print("no labs found")
        return 1
    for lab in labs:
        spec = lab.load_grader(seed_for(lab.id))
        best = progress.summary(lab.id)
        possible = sum(c.points for e in spec.exercises for c in e.checks)
        earned = sum(item["earned"] for item in best.values())
        done = sum(1 for item in best.values() if item["earned"] == item["possible"])
        print(
            f"{lab.id:<18} {lab.title:<44} {done}/{len(spec.exercises)} exercises, "
            f"{earned}/{possible} points"
        )
    return 0


def cmd_lab_start(args: argparse.Namespace) -> int:
    from kklab.labs import lifecycle

    lifecycle.start(args.lab, args.seed)
    return 0


def cmd_lab_reset(args: argparse.Namespace) -> int:
    from kklab.labs import find_lab, lifecycle, progress

    lifecycle.reset(args.lab, everything=args.all)
    progress.forget(find_lab(args.lab).id)
    print(f"run `kklab lab start {args.lab}` to begin again")
    return 0


def cmd_lab_solve(args: argparse.Namespace) -> int:
    from kklab.labs import lifecycle

    lifecycle.solve(args.lab, args.upto, args.seed)
    return 0


def cmd_lab_build(args: argparse.Namespace) -> int:
    from kklab.labs import all_labs, find_lab
    from kklab.labs.linting import write_built

    labs = [find_lab(name) for name in args.lab] if args.lab else all_labs()
    for lab in labs:
        changed = write_built(lab)
        print(f"{'wrote' if changed else 'unchanged'} {lab.notebook}")
    return 0


def cmd_lab_new(args: argparse.Namespace) -> int:
    from kklab.labs.scaffold import new_lab

    for path in new_lab(args.lab, title=args.title):
        print(f"  wrote {path}")
    print(
        f"✓ lab {args.lab}: edit labs/{args.lab}/{args.lab}.md and graders/{args.lab}.yaml, "
        f"then `kklab lab build {args.lab}` and `kklab graders lint`"
    )
    return 0


def cmd_workspace(args: argparse.Namespace) -> int:
    from kklab.labs import all_labs
    from kklab.labs.session import notebook_root
    from kklab.labs.student import write_workspace

    root = notebook_root()
    if args.path:
        print(root)
        return 0
    written = write_workspace(all_labs(), root, seed=args.seed)
    for path, seed in written:
        print(f"  wrote {path} (variant {seed})")
    print(f"workspace {root}: {len(written)} new notebook(s); your earlier work is kept")
    return 0


def cmd_classroom_init(args: argparse.Namespace) -> int:
    from kklab.classroom.course import init_course

    report = init_course(args.directory, args.lab or [], args.course_id)
    for path in report.written:
        print(f"  wrote {path}")
    for path in report.kept:
        print(f"  kept  {path} (already there)")
    for lab_id, reason in report.skipped.items():
        print(f"  left out {lab_id}: {reason}")
    print(
        f"✓ course {args.directory}: next, `cd {args.directory}` then "
        "`nbgrader generate_assignment LAB` (see the teachers' guide)"
    )
    return 0


def cmd_classroom_autograde(args: argparse.Namespace) -> int:
    from kklab.classroom.autograde import autograde_class
    from kklab.connecting import connect

    connect()  # a clear message now if no cluster is up, not one per submission
    outcomes = autograde_class(args.course, args.lab, jobs=args.jobs, students=args.student or None)
    failed = [o for o in outcomes if not o.ok]
    total = sum(o.seconds for o in outcomes)
    print(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} submission(s) graded"
        f" ({total:.0f} s of grading); scores are in {args.course / 'gradebook.db'}"
    )
    return 1 if failed else 0


def cmd_classroom_validate(args: argparse.Namespace) -> int:
    from kklab.classroom.validating import validate
    from kklab.connecting import connect

    connect()  # a clear message now if no cluster is up
    course = args.course.resolve()
    passed = True
    for notebook in args.notebook:
        print(f"validating {notebook} in a sandbox namespace of its own...", flush=True)
        ok, verdict = validate(course, course / notebook)
        print(verdict.strip())
        passed = passed and ok
    return 0 if passed else 1


def cmd_classroom_clean(args: argparse.Namespace) -> int:
    from kklab.classroom import sandbox
    from kklab.connecting import connect

    api_client = connect().api_client
    found = sandbox.leftovers(api_client, args.lab)
    for namespace in found:
        gone = sandbox.remove(api_client, namespace)
        print(f"  {'deleted' if gone else 'deleting (still terminating)'} {namespace}")
    print(f"✓ {len(found)} leftover submission sandbox(es) removed")
    return 0


@dataclass(frozen=True)
class Command:
    """One subcommand as the reference page shows it (argparse keeps its list private)."""

    path: tuple[str, ...]
    """The words after ``kklab``, e.g. ``("lab", "start")``."""
    summary: str
    parser: argparse.ArgumentParser


def command_reference() -> tuple[argparse.ArgumentParser, list[Command]]:
    """The parser and every subcommand at any depth, parents before their children.

    Example:
        >>> parser, commands = command_reference()
        >>> [" ".join(c.path) for c in commands][:2]
        ['up', 'down']
        >>> ("lab", "start") in [c.path for c in commands]
        True
    """
    seen: list[Command] = []
    return build_parser(seen), seen


def build_parser(seen: list[Command] | None = None) -> argparse.ArgumentParser:
    """kklab's argument parser; ``seen`` (when given) collects its subcommands."""
    recorded = seen if seen is not None else []

    def adder(group: Any, *path: str) -> Any:
        def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
            sub: argparse.ArgumentParser = group.add_parser(name, **kwargs)
            recorded.append(Command((*path, name), str(kwargs.get("help") or ""), sub))
            return sub

        return add

    parser = argparse.ArgumentParser(
        prog="kklab",
        description="Hands-on Kubernetes labs, graded on a real cluster.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_command = adder(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))

    def with_provider(sub: argparse.ArgumentParser, what: str) -> argparse.ArgumentParser:
        sub.add_argument(
            "--provider",
            choices=choosing.PROVIDER_NAMES,
            default=None,
            help=what,
        )
        return sub

    up = with_provider(
        add_command("up", help="start a cluster and wait until it is ready"),
        "where the cluster runs (default: kind when Docker and kind are usable, else local)",
    )
    up.add_argument("--context", help="existing provider: the kubeconfig context to use")
    up.add_argument(
        "--kubeconfig",
        type=Path,
        help="existing provider: the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)",
    )
    up.add_argument(
        "--like",
        choices=("kind",),
        help="local provider: give only what that provider gives, named as it names it "
        "(to test that a lab works there); the cluster keeps the profile it was made with",
    )
    up.add_argument(
        "--fresh",
        action="store_true",
        help="delete the cluster and everything in it first, then start a new, empty one "
        "(without it, a cluster that is there but unhealthy restarts with your work kept)",
    )
    up.set_defaults(func=cmd_up)
    with_provider(
        add_command("down", help="stop the cluster and clean up after it"),
        "the provider to stop (default: the one that is up)",
    ).set_defaults(func=cmd_down)
    with_provider(
        add_command("status", help="show each cluster component's health"),
        "the provider to ask (default: the one that is up)",
    ).set_defaults(func=cmd_status)
    add_command(
        "doctor", help="check this machine for the labs; each problem says how to fix it"
    ).set_defaults(func=cmd_doctor)

    check = add_command(
        "check",
        help="grade a lab, or one exercise, on the cluster",
        description="Grade a lab, or one exercise, on the cluster that is up, and record "
        "the points in your progress.",
        epilog="exit status: 0 every check passed; 1 a check failed; 2 a check could not be "
        "carried out (no cluster, API unreachable) or the lab, the exercise or its grader is "
        "wrong. With --json the output is always one JSON document, errors included.",
    )
    check.add_argument("lab", help="the lab, e.g. 01-pods (or 01)")
    check.add_argument("exercise", nargs="?", help="one exercise number (default: all)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(func=cmd_check)

    map_command = add_command(
        "map",
        help="show a lab namespace's objects and how they relate (owners, Services, volumes...)",
        description="Read a lab's namespace and show its objects and their relations: owners "
        "(Deployment → ReplicaSet → Pod), Service → Endpoints → Pod, Pod → claim → volume → "
        "StorageClass, Pod → ConfigMap and Secret (names only), ServiceAccount → RoleBinding → "
        "Role, Ingress → Service, NetworkPolicy → pods. Kinds you may not read are left out.",
    )
    map_command.add_argument(
        "--lab", help="the lab, e.g. 07-storage (default: the namespace `default`)"
    )
    shown = map_command.add_mutually_exclusive_group()
    shown.add_argument(
        "--svg", type=Path, metavar="FILE", help="write the drawing as SVG (needs Graphviz)"
    )
    shown.add_argument("--dot", action="store_true", help="print the Graphviz DOT text")
    map_command.set_defaults(func=cmd_map)

    graders = add_command("graders", help="the grader files of the labs")
    grader_commands = adder(
        graders.add_subparsers(dest="graders_command", required=True, metavar="ACTION"),
        "graders",
    )
    grader_commands(
        "lint", help="validate every grader against its schema and its lab"
    ).set_defaults(func=cmd_graders_lint)

    lab = add_command("lab", help="list, start, reset or skip ahead in a lab")
    lab_commands = adder(
        lab.add_subparsers(dest="lab_command", required=True, metavar="ACTION"), "lab"
    )
    lab_commands("list", help="the labs and your progress").set_defaults(func=cmd_lab_list)
    for action, what, func in (
        ("start", "prepare the lab's namespace and starting state", cmd_lab_start),
        ("reset", "delete everything the lab created, and wait until it is gone", cmd_lab_reset),
        ("solve", "apply the reference solutions (to skip ahead)", cmd_lab_solve),
    ):
        sub = lab_commands(action, help=what)
        sub.add_argument("lab", help="the lab, e.g. 01-pods (or 01)")
        if action == "solve":
            sub.add_argument(
                "--upto",
                metavar="EXERCISE",
                help="solve the exercises up to and including this one",
            )
        if action == "reset":
            sub.add_argument(
                "--all",
                action="store_true",
                help="delete the lab's namespace too (by default it is emptied and kept)",
            )
        if action in ("start", "solve"):
            sub.add_argument(
                "--seed",
                help="the variant to work on (default: the one the lab last used; "
                "`default` for the values the course text shows)",
            )
        sub.set_defaults(func=func)
    build = lab_commands(
        "build", help="authors: rebuild the lab notebooks (NN-topic.ipynb) from their sources"
    )
    build.add_argument("lab", nargs="*", help="the labs to build (default: all)")
    build.set_defaults(func=cmd_lab_build)
    new = lab_commands(
        "new", help="authors: write a working skeleton of a new lab (source, grader, mutations)"
    )
    new.add_argument("lab", help="the new lab's folder name, NN-topic (e.g. 03-probes)")
    new.add_argument("--title", help="the lab's title (default: from its topic)")
    new.set_defaults(func=cmd_lab_new)

    workspace = add_command(
        "workspace", help="write the learner's copies of the lab notebooks (keeps your work)"
    )
    workspace.add_argument("--path", action="store_true", help="only print where it is")
    workspace.add_argument(
        "--seed",
        help="your variant of every lab (default: a random one, kept for each lab; "
        "`default` for the values the course text shows)",
    )
    workspace.set_defaults(func=cmd_workspace)

    classroom = add_command(
        "classroom", help="grade a class with nbgrader, one namespace per submission"
    )
    classroom_commands = adder(
        classroom.add_subparsers(dest="classroom_command", required=True, metavar="ACTION"),
        "classroom",
    )
    init = classroom_commands(
        "init", help="make an nbgrader course directory for the labs (keeps existing files)"
    )
    init.add_argument("directory", type=Path, help="the course directory to create or complete")
    init.add_argument(
        "--lab",
        action="append",
        help="a lab to include (repeatable; default: every lab that can be graded)",
    )
    init.add_argument("--course-id", default="kklab", help="nbgrader's course id (default: kklab)")
    init.set_defaults(func=cmd_classroom_init)
    autograde = classroom_commands(
        "autograde", help="autograde the submissions of a lab on the cluster"
    )
    autograde.add_argument("lab", help="the assignment (lab) name, e.g. 01-pods")
    autograde.add_argument(
        "--course", type=Path, default=Path("."), help="the course directory (default: .)"
    )
    autograde.add_argument(
        "--jobs", type=int, default=1, help="submissions graded at the same time (default: 1)"
    )
    autograde.add_argument(
        "--student", action="append", help="grade only this student (repeatable)"
    )
    autograde.set_defaults(func=cmd_classroom_autograde)
    validate = classroom_commands(
        "validate",
        help="run a notebook's cells and checks in a sandbox namespace of its own, "
        "as nbgrader validate would (your lab namespace is left alone)",
    )
    validate.add_argument(
        "notebook",
        nargs="+",
        help="a notebook, from the course directory, e.g. source/01-pods/01-pods.ipynb",
    )
    validate.add_argument(
        "--course", type=Path, default=Path("."), help="the course directory (default: .)"
    )
    validate.set_defaults(func=cmd_classroom_validate)
    clean = classroom_commands(
        "clean", help="delete submission sandboxes an interrupted autograde left behind"
    )
    clean.add_argument("lab", nargs="?", help="only this lab's (default: every lab's)")
    clean.set_defaults(func=cmd_classroom_clean)

    tools = add_command("toolchain", help="what the local provider needs on this host")
    tool_commands = adder(
        tools.add_subparsers(dest="toolchain_command", required=True, metavar="ACTION"),
        "toolchain",
    )
    tool_commands(
        "install", help="install packages, build Kubernetes and images (idempotent)"
    ).set_defaults(func=cmd_toolchain_install)
    tool_commands("status", help="list what is present and what is missing").set_defaults(
        func=cmd_toolchain_status
    )
    return parser


def report(error: BaseException, *, as_json: bool = False) -> int:
    """Print ``error`` as one line (and as JSON on stdout when asked); return ``EXIT_TROUBLE``.

    A failure that is not kklab's nor the cluster's is a bug: one line says so,
    and ``KKLAB_DEBUG=1`` shows its traceback.

    Example:
        >>> report(ClusterError("no cluster is up", fix="run `kklab up`"))
        2
    """
    explained = in_words(error)
    if as_json:
        print(json.dumps({"error": str(explained)}, ensure_ascii=False))
    print(f"kklab: {explained}", file=sys.stderr)
    return EXIT_TROUBLE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # a usage error exits with 2 (argparse)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("kklab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("KKLAB_DEBUG") == "1" and explain(error) is None:
            raise
        return report(error, as_json=bool(getattr(args, "json", False)))
    return code


if __name__ == "__main__":
    sys.exit(main())
