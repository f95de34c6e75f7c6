"""The ``kklab`` command: parses arguments, calls the library, prints, exits.

Every problem kklab can explain (a ``KklabError``) is printed as one line that
says what to do, with a non-zero exit code; no traceback reaches the reader.

Example:
    >>> main(["toolchain", "status", "--help"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from kklab.cluster import toolchain
from kklab.cluster.base import Provider
from kklab.cluster.local import LocalProvider
from kklab.errors import KklabError

PROVIDERS: dict[str, Callable[[], Provider]] = {"local": LocalProvider}


def _provider(name: str) -> Provider:
    return PROVIDERS[name]()


def cmd_up(args: argparse.Namespace) -> int:
    info = _provider(args.provider).up()
    print(f"cluster {info.describe()}")
    print(f"kubeconfig: {info.kubeconfig_path}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    _provider(args.provider).down()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    status = _provider(args.provider).status()
    if not status.exists:
        print(f"no {args.provider} cluster is running; start one with `kklab up`")
        return 1
    for component in status.components:
        mark = "✓" if component.healthy else "✗"
        print(f"{mark} {component.name:<24} {component.detail}")
    print("healthy" if status.healthy else "unhealthy: see the ✗ lines above")
    return 0 if status.healthy else 1


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kklab", description="Hands-on Kubernetes labs, graded on a real cluster."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_provider(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--provider",
            choices=sorted(PROVIDERS),
            default="local",
            help="where the cluster runs (default: %(default)s)",
        )
        return sub

    with_provider(
        commands.add_parser("up", help="start a cluster and wait until it is ready")
    ).set_defaults(func=cmd_up)
    with_provider(
        commands.add_parser("down", help="stop the cluster and clean up after it")
    ).set_defaults(func=cmd_down)
    with_provider(
        commands.add_parser("status", help="show each cluster component's health")
    ).set_defaults(func=cmd_status)

    tools = commands.add_parser("toolchain", help="what the local provider needs on this host")
    tool_commands = tools.add_subparsers(dest="toolchain_command", required=True, metavar="ACTION")
    tool_commands.add_parser(
        "install", help="install packages, build Kubernetes and images (idempotent)"
    ).set_defaults(func=cmd_toolchain_install)
    tool_commands.add_parser(
        "status", help="list what is present and what is missing"
    ).set_defaults(func=cmd_toolchain_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KklabError as err:
        print(f"kklab: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kklab: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
