"""The command-line reference page, generated from ``kklab.cli.build_parser()``.

Every subcommand (at any depth) gets a section with its help, its usage and a
table of its arguments, so a command added to the parser appears on the site
without anyone writing about it. The usage lines are formatted at a fixed width,
whatever the terminal, so the page is the same on every build.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> _ = parser.add_argument("--fast", action="store_true", help="go fast")
    >>> "`--fast`" in cli_markdown(parser)
    True
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

USAGE_WIDTH = 88


@contextmanager
def _fixed_width(columns: int) -> Iterator[None]:
    """argparse wraps usage at the terminal's width; pin it for a stable page."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _subcommands(
    parser: argparse.ArgumentParser,
) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of each direct subcommand, in the parser's order."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((name, helps.get(name, ""), sub))
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    if "%" in text:
        text = text % {"default": action.default, "prog": "", "choices": action.choices}
    return text


def _argument_name(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(f"`{option}`" for option in action.option_strings)
        if action.nargs == 0:
            return names
        metavar = action.metavar or (action.dest.upper() if not action.choices else None)
        if action.choices:
            metavar = "{" + ",".join(str(choice) for choice in action.choices) + "}"
        return f"{names} `{metavar}`"
    return f"`{action.metavar or action.dest}`"


def _arguments_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        what = _help(action)
        if action.choices and not action.option_strings:
            what += " (one of: " + ", ".join(f"`{choice}`" for choice in action.choices) + ")"
        if not action.option_strings and action.nargs == "?":
            what += " (optional)"
        rows.append(f"| {_cell(_argument_name(action))} | {_cell(what)} |")
    if not rows:
        return []
    return ["| argument | what it does |", "|---|---|", *rows, ""]


def _section(
    path: list[str], summary: str, parser: argparse.ArgumentParser, level: int
) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {' '.join(path)}", ""]
    if summary:
        lines += [summary[0].upper() + summary[1:] + ".", ""]
    with _fixed_width(USAGE_WIDTH):
        usage = parser.format_usage().strip()
    lines += ["```text", usage, "```", ""]
    lines += _arguments_table(parser)
    for name, help_text, sub in _subcommands(parser):
        lines += _section([*path, name], help_text, sub, level + 1)
    return lines


def cli_markdown(parser: argparse.ArgumentParser) -> str:
    """The reference page of ``parser`` and all its subcommands, as Markdown."""
    lines = [
        "# Command line",
        "",
        "<!-- Generated from kklab.cli.build_parser() at build time; do not edit. -->",
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
    for name, help_text, sub in _subcommands(parser):
        lines += _section([parser.prog, name], help_text, sub, 2)
    return "\n".join(lines).rstrip() + "\n"
