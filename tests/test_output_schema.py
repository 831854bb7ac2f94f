"""``--output-format json`` against its JSON Schema (docs/schema), and the README's field list (issue 23, item 10)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rnnlint.cli import main

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "schema" / "rnnlint-output.schema.json").read_text())
# Code, a notebook, configs, fixes with edits: every shape of object the format writes.
TARGETS = ["fixtures/sentiment", "fixtures/notebook_sentiment", "fixtures/configs_own_schema", "fixtures/amp_misplaced"]


@pytest.fixture(scope="module")
def items() -> list[dict[str, object]]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([*(str(ROOT / t) for t in TARGETS), "--isolated", "--no-cache", "--output-format", "json"])
    return list(json.loads(out.getvalue()))


def test_json_output_validates(items: list[dict[str, object]]) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(items)
    assert any(i.get("fix") for i in items) and any("cell" in i for i in items)  # the optional parts were exercised
    assert any(str(i["path"]).endswith(".yaml") for i in items)


def test_json_lines_objects_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(ROOT / "fixtures/sentiment"), "--isolated", "--no-cache", "--output-format", "json-lines"])
    one = {"$ref": "#/$defs/diagnostic", "$defs": SCHEMA["$defs"]}
    lines = capsys.readouterr().out.splitlines()
    assert lines
    for line in lines:
        jsonschema.Draft202012Validator(one).validate(json.loads(line))


def test_the_schema_refuses_what_the_format_does_not_write(items: list[dict[str, object]]) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    first = dict(items[0])
    for broken in ({**first, "extra": 1}, {k: v for k, v in first.items() if k != "url"}, {**first, "line": 0}):
        assert not validator.is_valid([broken])


def test_readme_lists_every_field() -> None:
    readme = (ROOT / "README.md").read_text()
    listing = readme.split("`json` (a list of objects with", 1)[1].split("and `github`", 1)[0]
    listed = set(re.findall(r"`([a-z_]+)`", listing))
    assert set(SCHEMA["$defs"]["diagnostic"]["properties"]) <= listed
    assert "docs/schema/rnnlint-output.schema.json" in listing
