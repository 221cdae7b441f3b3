"""Static checks of the Moodle plugin tree (moodle_plugin/): what Moodle's own tooling would catch.

- every PHP file passes ``php -l``;
- every language string the PHP, the AMD modules and the templates use exists in
  lang/en/assignsubmission_s3video.php, every string there is used, and the file is in
  Moodle's order (alphabetical);
- every source file carries the GPL licence and its frankenstyle package.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = REPO / "moodle_plugin"
COMPONENT = "assignsubmission_s3video"
LANG_FILE = PLUGIN / "lang" / "en" / f"{COMPONENT}.php"

# Strings Moodle itself asks for: the plugin's name, and the enable checkbox and its help that
# mod_assign adds to the assignment settings form for every submission plugin.
REQUIRED_BY_MOODLE = {"pluginname", "enabled", "enabled_help"}

# Identifiers by their prefix: any quoted literal of this shape in PHP is a lang string reference
# (sidecar_exception's table, privacy metadata, ...).
PREFIXED = re.compile(r"""['"]((?:error|upload|player|privacy|settings|task):[A-Za-z0-9:_]+)['"]""")
PHP_CALLS = [
    re.compile(rf"""get_string\(\s*'([^']+)'\s*,\s*'{COMPONENT}'"""),
    re.compile(rf"""new lang_string\(\s*'([^']+)'\s*,\s*'{COMPONENT}'"""),
    re.compile(rf"""moodle_exception\(\s*'([^']+)'\s*,\s*'{COMPONENT}'"""),
]
HELP_BUTTON = re.compile(rf"""addHelpButton\([^,]+,\s*'([^']+)'\s*,\s*'{COMPONENT}'""")
JS_REQUEST = re.compile(r"""\{key:\s*'([^']+)',\s*component:\s*COMPONENT\}""")
JS_USE = re.compile(r"""strings\[\s*'([^']+)'\s*\]""")
# {{#str}} key, component {{/str}}, or with its parameter: {{#str}} key, component, {{value}} {{/str}}
TEMPLATE_STR = re.compile(
    rf"""\{{\{{#str\}}\}}\s*([^,\s]+)\s*,\s*{COMPONENT}\s*"""
    rf"""(?:,[^{{]*(?:\{{\{{[^}}]*\}}\}}[^{{]*)?)?\{{\{{/str\}}\}}"""
)


def php_files():
    return sorted(PLUGIN.rglob("*.php")) + sorted((REPO / "tests" / "php").rglob("*.php"))


def own_sources(pattern):
    """The plugin's code: not the lang file, nor the upload engine (the JS tooling's, checked there)."""
    return [
        p
        for p in sorted(PLUGIN.rglob(pattern))
        if p.name != "upload_engine.js" and "build" not in p.parts and "lang" not in p.parts
    ]


def lang_strings() -> dict[str, str]:
    """Identifier -> text, read by PHP itself (the file is PHP, not a format to parse by hand)."""
    script = (
        "define('MOODLE_INTERNAL', 1); $string = []; require($argv[1]);"
        'foreach ($string as $k => $v) { echo $k, "\\t", str_replace(["\\n", "\\t"], \' \', $v), "\\n"; }'
    )
    out = subprocess.run(["php", "-r", script, str(LANG_FILE)], capture_output=True, text=True, check=True).stdout
    return dict(line.split("\t", 1) for line in out.splitlines())


@pytest.fixture(scope="module")
def strings():
    if shutil.which("php") is None:
        pytest.fail("php is not installed (Debian package: php-cli)")
    return lang_strings()


def used_identifiers() -> dict[str, set[pathlib.Path]]:
    used: dict[str, set[pathlib.Path]] = {}

    def add(identifier, path):
        used.setdefault(identifier, set()).add(path.relative_to(REPO))

    for path in own_sources("*.php"):
        text = path.read_text()
        for pattern in [*PHP_CALLS, PREFIXED]:
            for identifier in pattern.findall(text):
                add(identifier, path)
        for identifier in HELP_BUTTON.findall(text):
            add(identifier, path)
            add(f"{identifier}_help", path)
    for path in own_sources("*.js"):
        for identifier in JS_REQUEST.findall(path.read_text()):
            add(identifier, path)
    for path in own_sources("*.mustache"):
        for identifier in TEMPLATE_STR.findall(path.read_text()):
            add(identifier, path)
    return used


@pytest.mark.parametrize("path", php_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_php_lint(path):
    result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_used_string_exists(strings):
    used = used_identifiers()
    assert len(used) > 50, "the scan found too few strings to be looking in the right place"
    missing = {identifier: sorted(map(str, paths)) for identifier, paths in used.items() if identifier not in strings}
    assert not missing, f"lang strings used but not defined in {LANG_FILE.name}: {missing}"


def test_every_string_is_used(strings):
    used = set(used_identifiers()) | REQUIRED_BY_MOODLE
    # A help string is used when its string has a help button.
    unused = sorted(k for k in strings if k not in used and not (k.endswith("_help") and k[:-5] in used))
    assert not unused, f"lang strings nobody uses: {unused}"


def test_js_uses_only_strings_it_fetched():
    for path in own_sources("*.js"):
        text = path.read_text()
        fetched = set(JS_REQUEST.findall(text))
        shown = set(JS_USE.findall(text))
        assert shown <= fetched, f"{path.name} shows strings it never fetched: {sorted(shown - fetched)}"


def test_lang_file_is_in_moodle_order(strings):
    keys = list(strings)
    assert keys == sorted(keys), "Moodle keeps lang strings in alphabetical order"


def test_placeholders_are_moodle_placeholders(strings):
    for identifier, text in strings.items():
        for placeholder in re.findall(r"\{[^}]*\}", text):
            assert re.fullmatch(r"\{\$a(->[a-z]+)?\}", placeholder), f"{identifier}: {placeholder}"


@pytest.mark.parametrize(
    "path",
    [*own_sources("*.php"), LANG_FILE, *own_sources("*.js"), *own_sources("*.mustache")],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_licence_and_package(path):
    text = path.read_text()
    assert "GNU General Public License" in text, "missing the GPL boilerplate"
    if path.suffix == ".php" and "lang" not in path.parts:
        assert f"@package    {COMPONENT}" in text, "missing @package"
    if path.suffix == ".js":
        # Moodle names an AMD module by its path under amd/src: local/upload/checksums.js is
        # assignsubmission_s3video/local/upload/checksums.
        module = path.relative_to(PLUGIN / "amd" / "src").with_suffix("").as_posix()
        assert f"@module     {COMPONENT}/{module}" in text, "missing @module"
    if path.suffix == ".mustache":
        assert f"@template {COMPONENT}/{path.stem}" in text, "missing @template"
