"""Per-learner variants: a lab's parameters, the values a seed draws, and ``${{ name }}``.

A lab may declare parameters in its ``lab.yaml`` (names, ports, labels, sizes,
which fault its broken starting state has). Each has a default, and either a
list of ``choices`` or an integer ``range``. A *seed* (a student's id in a
classroom, a random word on a laptop) draws one value per parameter; no seed
means the defaults, which are what the committed notebook shows.

The lab's source, its ``start/`` manifests, its grader and its reference
solutions all name a parameter as ``${{ name }}`` (``${{ fault.image }}``
for a field of a mapping choice), so every one of them reads the same values.

Example:
    >>> port = Parameter("port", 8080, range_=(8000, 8999))
    >>> name = Parameter("pod", "hello", choices=("hello", "greeter", "salute"))
    >>> draw([port, name], None)
    {'port': 8080, 'pod': 'hello'}
    >>> draw([port, name], "ada") == draw([port, name], "ada")
    True
    >>> substitute("name: ${{ pod }}  # port ${{port}}", {"pod": "greeter", "port": 8123})
    'name: greeter  # port 8123'
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kklab.errors import KklabError

PLACEHOLDER = re.compile(r"\$\{\{\s*(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}")
"""``${{ name }}`` or ``${{ name.field }}``: unlikely in shell, YAML, Python or Helm text."""
SEED_VARIABLE = "KKLAB_SEED"
"""An environment variable that overrides the seed (the classroom sets it per student)."""
HUB_USER_VARIABLE = "JUPYTERHUB_USER"
"""Set by JupyterHub in a user's server: on a hub, the user's name is their seed (nbgrader
names students by it too, so what a student sees is what autograde checks)."""
DEFAULT_SEED = "default"
"""The seed word that means the defaults."""


class VariantError(KklabError):
    """A parameter declared wrongly, or a placeholder that names no parameter."""


@dataclass(frozen=True)
class Parameter:
    """One thing that differs between learners."""

    name: str
    """How the lab's files refer to it: ``${{ name }}``."""
    default: Any
    """The value without a seed (the committed notebook's)."""
    choices: tuple[Any, ...] = ()
    """The values a seed chooses from (the default need not be one of them)."""
    range_: tuple[int, int] | None = None
    """An inclusive integer range a seed draws from, instead of ``choices``."""
    about: str = ""
    """What it is, for authors."""

    def draw(self, rng: random.Random) -> Any:
        """One value for this parameter from ``rng``."""
        if self.range_ is not None:
            low, high = self.range_
            return rng.randint(low, high)
        if self.choices:
            return rng.choice(self.choices)
        return self.default


def parse_parameters(raw: Any, source: str = "lab.yaml") -> list[Parameter]:
    """The ``parameters:`` mapping of a ``lab.yaml`` as :class:`Parameter` objects.

    Example:
        >>> parse_parameters({"port": {"default": 80, "range": [80, 90]}})[0].range_
        (80, 90)
    """
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise VariantError(f"{source}: parameters must be a mapping of names", fix=_FORMAT)
    found = []
    for name, spec in raw.items():
        where = f"{source}: parameter {name!r}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise VariantError(f"{where} is not a plain name", fix="use letters, digits and _")
        if not isinstance(spec, Mapping) or "default" not in spec:
            raise VariantError(f"{where} has no default", fix=_FORMAT)
        unknown = set(spec) - {"default", "choices", "range", "about"}
        if unknown:
            raise VariantError(f"{where} has unknown fields {sorted(unknown)}", fix=_FORMAT)
        choices = spec.get("choices") or []
        bounds = spec.get("range")
        if bounds is not None and (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int) for b in bounds)
            or bounds[0] > bounds[1]
        ):
            raise VariantError(f"{where}: range must be [low, high] integers", fix=_FORMAT)
        if bounds is not None and choices:
            raise VariantError(f"{where} has both choices and a range", fix="keep one")
        if not isinstance(choices, list):
            raise VariantError(f"{where}: choices must be a list", fix=_FORMAT)
        found.append(
            Parameter(
                name,
                spec["default"],
                tuple(choices),
                (bounds[0], bounds[1]) if bounds is not None else None,
                str(spec.get("about", "")),
            )
        )
    return found


_FORMAT = (
    "write e.g. `parameters: {port: {default: 8080, range: [8000, 8999]}, "
    "pod: {default: hello, choices: [hello, greeter]}}` in lab.yaml"
)


def draw(parameters: Sequence[Parameter], seed: str | None, lab: str = "") -> dict[str, Any]:
    """The values ``seed`` gives each parameter; the defaults when ``seed`` is None.

    The same lab and seed give the same values on every machine: the random
    generator is seeded from a hash of both, and each parameter gets its own
    generator, so adding a parameter does not change the others' values.
    """
    if seed is None or seed == DEFAULT_SEED:
        return {p.name: p.default for p in parameters}
    values = {}
    for parameter in parameters:
        digest = hashlib.sha256(f"{lab}\0{seed}\0{parameter.name}".encode()).digest()
        values[parameter.name] = parameter.draw(random.Random(digest))
    return values


def _lookup(values: Mapping[str, Any], path: str) -> Any:
    head, *rest = path.split(".")
    if head not in values:
        known = ", ".join(sorted(values)) or "none"
        raise VariantError(
            f"${{{{ {path} }}}} names no parameter of this lab (it has: {known})",
            fix="declare it under parameters: in the lab's lab.yaml, or fix the spelling",
        )
    value = values[head]
    for part in rest:
        if not isinstance(value, Mapping) or part not in value:
            raise VariantError(
                f"${{{{ {path} }}}}: the value of {head} has no field {part!r}",
                fix="give every choice of that parameter the same fields",
            )
        value = value[part]
    return value


def substitute(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each ``${{ name }}`` replaced by its value (a VariantError if unknown)."""

    def replace(found: re.Match[str]) -> str:
        value = _lookup(values, found.group("path"))
        return value if isinstance(value, str) else json.dumps(value)

    return PLACEHOLDER.sub(replace, text)


def placeholders(text: str) -> list[str]:
    """The parameter names ``text`` refers to, in order of first use.

    Example:
        >>> placeholders("${{ a }} ${{ b.x }} ${{ a }}")
        ['a', 'b']
    """
    names: list[str] = []
    for found in PLACEHOLDER.finditer(text):
        name = found.group("path").split(".")[0]
        if name not in names:
            names.append(name)
    return names


# --- which seed a learner has ------------------------------------------------------


def _store(path: Path | None) -> Path:
    from kklab.paths import state_dir

    return path or state_dir() / "variants.json"


def recorded_seeds(path: Path | None = None) -> dict[str, str]:
    """The seed each lab was last started or written with on this machine."""
    try:
        data = json.loads(_store(path).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_seed(lab: str, seed: str, path: Path | None = None) -> None:
    """Remember ``seed`` as the lab's, so the CLI grades the variant the notebook shows."""
    target = _store(path)
    data = recorded_seeds(target)
    data[lab] = seed
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    partial.replace(target)


def seed_for(lab: str, explicit: str | None = None, path: Path | None = None) -> str:
    """The seed to use for ``lab``: given, else ``KKLAB_SEED``, else recorded, else the
    JupyterHub user's name, else the default.

    Example:
        >>> import tempfile, pathlib
        >>> store = pathlib.Path(tempfile.mkdtemp()) / "variants.json"
        >>> quiet = not {SEED_VARIABLE, HUB_USER_VARIABLE} & set(os.environ)
        >>> seed_for("01-pods", path=store) if quiet else "default"
        'default'
        >>> record_seed("01-pods", "ada", path=store)
        >>> seed_for("01-pods", path=store) if SEED_VARIABLE not in os.environ else "ada"
        'ada'
    """
    if explicit:
        return explicit
    configured = os.environ.get(SEED_VARIABLE)
    if configured:
        return configured
    recorded = recorded_seeds(path).get(lab)
    if recorded:
        return recorded
    return os.environ.get(HUB_USER_VARIABLE) or DEFAULT_SEED


def new_seed() -> str:
    """A random seed for a learner on a laptop (short, so it can be read aloud)."""
    return secrets.token_hex(3)


def variant_notice(
    parameters: Sequence[Parameter], seed: str, own: Mapping[str, Any], shown: Mapping[str, Any]
) -> str | None:
    """What to tell a learner whose variant ``seed`` is not the one the notebook's text shows.

    ``shown`` are the values in the text (the defaults of a released notebook), ``own``
    the learner's. Only plain values are listed (a mapping, such as the fault a
    broken start has, is for the learner to find). None when nothing differs.

    Example:
        >>> port = Parameter("web_port", 8080, range_=(8000, 8999), about="the port web serves")
        >>> print(variant_notice([port], "ada", {"web_port": 8123}, {"web_port": 8080}))
        Your variant is "ada". Where this notebook's text says the value on the left, use yours:
        - the port web serves: 8080 → 8123
        >>> variant_notice([port], "ada", {"web_port": 8080}, {"web_port": 8080}) is None
        True
    """
    lines = []
    for parameter in parameters:
        mine, theirs = own.get(parameter.name), shown.get(parameter.name)
        if isinstance(mine, Mapping) or isinstance(theirs, Mapping) or mine == theirs:
            continue
        lines.append(f"- {parameter.about or parameter.name}: {theirs} → {mine}")
    if not lines:
        return None
    head = (
        f'Your variant is "{seed}". Where this notebook\'s text says the value on the left, '
        "use yours:"
    )
    return "\n".join([head, *lines])
