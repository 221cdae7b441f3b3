"""The plugin's AMD modules under Node's test runner (tests/php/amd/), and the parameter names
they send checked against the PHP external functions that receive them.

The Node tests load moodle_plugin/amd/src/ as ES modules, with Moodle's core/* modules replaced by
small fakes (tests/php/amd/fakes/) and the real upload engine; the fake Moodle refuses any call
whose parameters differ from tests/php/amd/external_parameters.json, which the second test here
compares with each class's execute_parameters().
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).parent
EXTERNAL = REPO / "moodle_plugin" / "classes" / "external"


def test_amd_modules_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the JS build needs it too)")
    result = subprocess.run(
        [node, "--import", str(HERE / "amd" / "register.mjs"), "--test", str(HERE / "amd")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    assert re.search(r"^# pass [1-9]", result.stdout, re.M), result.stdout
    assert re.search(r"^# fail 0$", result.stdout, re.M), result.stdout


def method_body(source: str, name: str) -> str:
    start = source.index(f"function {name}(")
    return source[start : source.index("\n    }\n", start)]


def top_level_keys(code: str) -> set[str]:
    """The ``'key' =>`` entries of the outermost array literal in ``code`` (strings skipped)."""
    keys, depth, i = [], 0, 0
    while i < len(code):
        char = code[i]
        if char in "'\"":
            end = i + 1
            while code[end] != char:
                end += 2 if code[end] == "\\" else 1
            literal = code[i + 1 : end]
            if re.match(r"\s*=>", code[end + 1 :]):
                keys.append((depth, literal))
            i = end + 1
            continue
        depth += (char in "([" and 1) or (-1 if char in ")]" else 0)
        i += 1
    if not keys:
        return set()
    outer = min(level for level, _ in keys)
    return {key for level, key in keys if level == outer}


def php_parameters(name: str) -> set[str]:
    base = (EXTERNAL / "base.php").read_text()
    body = method_body((EXTERNAL / f"{name}.php").read_text(), "execute_parameters")
    names = top_level_keys(body)
    for helper in re.findall(r"self::(\w+_parameters)\(", body):
        names |= top_level_keys(method_body(base, helper))
    return names


def test_parameters_sent_by_the_modules_are_the_php_ones():
    expected = json.loads((HERE / "amd" / "external_parameters.json").read_text())
    services = {path.stem for path in EXTERNAL.glob("*.php")} - {"base"}
    assert set(expected) == services
    for name, parameters in expected.items():
        assert php_parameters(name) == set(parameters), name
