"""Walk an API answer for datetimes: every one must carry the +08:00 offset (design.md §6)."""

import re
from typing import Any

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def datetimes(value: Any, path: str = "$") -> list[tuple[str, str]]:
    """(path, text) of every ISO 8601 datetime string in a JSON value."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in datetimes(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [pair for i, item in enumerate(value) for pair in datetimes(item, f"{path}[{i}]")]
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return [(path, value)]
    return []


def assert_all_local(answer: Any, *expected_paths: str) -> None:
    found = datetimes(answer)
    paths = {path for path, _text in found}
    assert set(expected_paths) <= paths, paths
    wrong = [(path, text) for path, text in found if not text.endswith("+08:00")]
    assert not wrong, wrong
