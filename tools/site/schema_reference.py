"""The grader-format reference page, generated from ``kklab/schemas/grader.schema.json``.

One section for the file itself and one per object type of ``$defs``, each a
table of its fields: name (nested objects as ``metadata.name``), type (a link
to the section of a referenced type), whether it is required, and the field's
own description from the schema, with its constraints. The schema is the only
source: a field added there appears here.

Example:
    >>> schema = {"title": "t", "description": "d.", "type": "object",
    ...           "properties": {"n": {"type": "integer", "minimum": 1, "description": "N."}}}
    >>> "| `n` | integer | no | N. (at least 1) |" in schema_markdown(schema)
    True
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(node: Schema) -> str:
    if "$ref" in node:
        name = _ref_name(str(node["$ref"]))
        return f"[{name}](#{name.lower()})"
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(str(item) for item in kind)
    if kind == "array":
        return f"list of {_type(node.get('items', {}))}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"mapping of names to {_type(node['additionalProperties'])}"
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    return str(kind)


def _constraints(node: Schema) -> list[str]:
    said = []
    if node.get("minLength") == 1:
        said.append("not empty")
    elif "minLength" in node:
        said.append(f"at least {node['minLength']} characters")
    if node.get("minItems") == 1:
        said.append("at least one")
    elif "minItems" in node:
        said.append(f"at least {node['minItems']} items")
    for key, words in (("minimum", "at least {}"), ("maximum", "at most {}")):
        if key in node:
            said.append(words.format(node[key]))
    if "default" in node:
        said.append(f"default `{node['default']}`")
    if "pattern" in node:
        said.append(f"matches `{node['pattern']}`")
    return said


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(node: Schema, defs: Schema, prefix: str = "") -> list[str]:
    rows = []
    required = set(node.get("required", []))
    for name, field in node.get("properties", {}).items():
        described = field
        if "description" not in field and "$ref" in field:
            described = defs.get(_ref_name(str(field["$ref"])), {})
        description = str(described.get("description", "")).strip()
        constraints = _constraints(field)
        if constraints:
            description += f" ({'; '.join(constraints)})"
        cells = [f"`{prefix}{name}`", _type(field), "yes" if name in required else "no"]
        rows.append("| " + " | ".join(_cell(cell) for cell in [*cells, description]) + " |")
        if field.get("type") == "object" and "properties" in field:
            rows += _rows(field, defs, f"{prefix}{name}.")
    return rows


def _choices(node: Schema) -> list[str]:
    lines = []
    for keyword, words in (("oneOf", "Exactly one"), ("anyOf", "At least one")):
        options = node.get(keyword, [])
        fields = [option["required"][0] for option in options if option.get("required")]
        if fields and len(fields) == len(options):
            listed = ", ".join(f"`{field}`" for field in fields)
            lines += [f"{words} of these fields must be set: {listed}.", ""]
    return lines


def _section(title: str, anchor: str, node: Schema, defs: Schema) -> list[str]:
    lines = [f"## {title} {{#{anchor}}}", "", str(node.get("description", "")).strip(), ""]
    lines += _choices(node)
    rows = _rows(node, defs)
    if rows:
        lines += ["| field | type | required | what it is |", "|---|---|---|---|", *rows, ""]
    elif node.get("type") != "object":
        said = "; ".join(_constraints(node))
        lines += [f"A {node.get('type', 'value')}" + (f": {said}." if said else "."), ""]
    if node.get("additionalProperties") is False and rows:
        lines += ["No other fields are allowed.", ""]
    return lines


def schema_markdown(schema: Schema) -> str:
    """The reference page of a JSON schema whose object types live in ``$defs``."""
    lines = [
        "# Grader format",
        "",
        "<!-- Generated from kklab/schemas/grader.schema.json at build time; do not edit. -->",
        "",
        "A grader is a YAML file, `graders/NN-topic.yaml`, one per lab. This page lists "
        "every field the schema allows; `kklab graders lint` checks the files against it. "
        "Start each file with the line below, and editors with the YAML language server "
        "validate it and show these descriptions as you type:",
        "",
        "```yaml",
        "# yaml-language-server: $schema=../kklab/schemas/grader.schema.json",
        "```",
        "",
    ]
    defs = schema.get("$defs", {})
    lines += _section(f"The file: {schema.get('title', 'schema')}", "file", schema, defs)
    for name, node in defs.items():
        lines += _section(name, name.lower(), node, defs)
    return "\n".join(lines).rstrip() + "\n"
