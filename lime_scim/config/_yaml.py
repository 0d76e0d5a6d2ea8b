"""Private: the YAML reader of the config loader.

It differs from ``yaml.safe_load`` in two ways, both so that a mistake in the file is reported
instead of silently changing a setting:

* Only ``true`` and ``false`` are booleans, as in YAML 1.2. PyYAML follows YAML 1.1, where
  ``yes``, ``no``, ``on`` and ``off`` are booleans too.
* A key that appears twice in one mapping is an error. PyYAML keeps the last value.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import ConfigError

_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_YAML_12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    def __init__(self, key: object, mark: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=mark)
        self.key = key


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Checked before the base class flattens merge keys (<<), because a key that
        # overrides a merged value is a legitimate repeat.
        seen: set[object] = set()
        for key_node, _value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise _DuplicateKeyError(key, key_node.start_mark)
            seen.add(key)

        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first_char: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL_TAG]
    for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_BOOL_TAG, _YAML_12_BOOL, list("tTfF"))


def _describe_yaml_error(error: yaml.YAMLError, source: str) -> str:
    if isinstance(error, _DuplicateKeyError) and error.problem_mark is not None:
        line = error.problem_mark.line + 1
        return (
            f"{source}: line {line}: the key {error.key!r} appears twice in the same mapping. "
            "Remove or rename one of them."
        )

    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        problem = error.problem or "syntax error"
        if error.context:
            problem = f"{problem} ({error.context})"
        return (
            f"{source}: invalid YAML at line {mark.line + 1}, column {mark.column + 1}: "
            f"{problem}. Correct the syntax at that line."
        )

    # Only the first line: the rest of PyYAML's text quotes the file, which may
    # contain secrets.
    summary = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"{source}: invalid YAML: {summary}. Correct the syntax of the file."


def read_documents(text: str, source: str) -> list[object]:
    """Parse every YAML document in ``text``.

    Raises ConfigError with the line number when the text is not valid YAML.
    """
    try:
        return list(yaml.load_all(text, Loader=_StrictLoader))
    except yaml.YAMLError as error:
        raise ConfigError(_describe_yaml_error(error, source), source=source) from None
