"""The command-line reference page, generated from ``kklab.cli.command_reference()``.

Every subcommand (at any depth) gets a section with its summary and the help
``kklab ... --help`` prints, so a command added to the parser appears on the site
without anyone writing about it. Only argparse's public API is used: the parser
and its subcommands come from :func:`kklab.cli.command_reference`, their text from
``format_help()``, formatted at a fixed width whatever the terminal, so the page is
the same on every build.

Example:
    >>> import argparse
    >>> from kklab.cli import Command
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> sub = argparse.ArgumentParser(prog="demo go")
    >>> _ = sub.add_argument("--fast", action="store_true", help="go fast")
    >>> page = cli_markdown(parser, [Command(("go",), "start going", sub)])
    >>> "## demo go" in page and "--fast" in page and "Start going." in page
    True
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from kklab.cli import Command

USAGE_WIDTH = 88


@contextmanager
def _fixed_width(columns: int) -> Iterator[None]:
    """argparse wraps its help at the terminal's width; pin it for a stable page."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _section(prog: str, command: Command) -> list[str]:
    level = min(1 + len(command.path), 6)
    lines = [f"{'#' * level} {' '.join((prog, *command.path))}", ""]
    if command.summary:
        lines += [command.summary[0].upper() + command.summary[1:] + ".", ""]
    with _fixed_width(USAGE_WIDTH):
        text = command.parser.format_help().strip()
    return [*lines, "```text", text, "```", ""]


def cli_markdown(parser: argparse.ArgumentParser, commands: Sequence[Command]) -> str:
    """The reference page of ``parser`` and its ``commands`` (parents first), as Markdown."""
    lines = [
        "# Command line",
        "",
        "<!-- Generated from kklab.cli.command_reference() at build time; do not edit. -->",
        "",
        (parser.description or "").strip(),
        "",
        "Every command prints one line per problem, saying what to do about it, never a "
        "traceback. `kklab COMMAND --help` prints the same help as this page.",
        "",
    ]
    if parser.epilog:
        # The exit codes and the time bound, as `kklab --help` ends with them.
        lines += ["## Exit codes and time bounds", "", "```text", parser.epilog.strip(), "```", ""]
    for command in commands:
        lines += _section(parser.prog, command)
    return "\n".join(lines).rstrip() + "\n"
