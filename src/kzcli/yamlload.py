"""Safe, strict YAML loading for hand-edited knowledge-base files.

The only module that imports yaml. It refuses what PyYAML would otherwise let
through quietly: duplicate keys (last one wins), aliases (alias-expansion bombs),
YAML 1.1 booleans and dates in text fields ("no" -> False, 2022-01-05 -> date),
and octal or sexagesimal integers. Every mapping remembers its line numbers so
schema errors can point at `file:line`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LoadError(Exception):
    """A file could not be read as knowledge-base YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LineDict(dict[str, Any]):
    """A mapping that knows where it and each of its keys stand in the file."""

    line: int = 0
    key_lines: dict[str, int]


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """Plain scalars resolve only to null, decimal int, decimal float or str."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        self.flatten_mapping(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise LoadError(line, f"mapping key {key!r} is not text")
            if key in mapping:
                first = mapping.key_lines[key]
                raise LoadError(line, f"duplicate key {key!r} (first at line {first})")
            mapping.key_lines[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _construct_map(loader: _StrictLoader, node: yaml.MappingNode) -> Any:
    data = LineDict()
    yield data
    built = loader.construct_mapping(node)
    data.update(built)
    data.line, data.key_lines = built.line, built.key_lines


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^-?(?:0|[1-9][0-9]*)\.[0-9]+$"), list("-0123456789")
)


def _reject_aliases(root: yaml.Node) -> None:
    """Each node may be reached once; a second visit means an alias was used."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise LoadError(node.start_mark.line + 1, "anchors and aliases (&name, *name) are not allowed")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def load_yaml(text: str) -> Any:
    """Parse one YAML document strictly; raise LoadError with a 1-based line."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _reject_aliases(root)
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise LoadError(line, " ".join(str(exc.problem or exc.context or exc).split())) from None
    except yaml.YAMLError as exc:
        raise LoadError(1, " ".join(str(exc).split())) from None
    finally:
        loader.dispose()
