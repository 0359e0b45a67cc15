"""The JSON Schema from `textcrm schema` accepts every example file and rejects bad ones."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import EXAMPLE

KIND_OF_FOLDER = {
    "opportunities": "opportunity",
    "accounts": "account",
    "contacts": "contact",
    "competitors": "competitor",
}


def as_json_values(value):
    """What an editor's YAML 1.2 support sees: dates are strings."""
    if isinstance(value, dict):
        return {str(k): as_json_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_values(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def front_matter(path: Path):
    text = path.read_text(encoding="utf-8")
    _, front, _ = text.split("---\n", 2)
    return as_json_values(yaml.safe_load(front))


_SCHEMAS: dict[tuple[str, Path], dict] = {}


def schema_for(run, kind: str, root: Path = EXAMPLE) -> dict:
    if (kind, root) in _SCHEMAS:
        return _SCHEMAS[kind, root]
    result = run(["schema", "--kind", kind, "--root", str(root)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(doc)
    _SCHEMAS[kind, root] = doc
    return doc


def example_files():
    for folder, kind in KIND_OF_FOLDER.items():
        for path in sorted((EXAMPLE / folder).glob("*.md")):
            if path.name != "README.md":
                yield kind, path


@pytest.mark.parametrize(
    ("kind", "path"), list(example_files()), ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_every_example_file_validates(run, kind, path):
    jsonschema.Draft202012Validator(schema_for(run, kind)).validate(front_matter(path))


def test_catalog_and_config_validate(run):
    catalog = as_json_values(yaml.safe_load((EXAMPLE / "products.yaml").read_text()))
    jsonschema.Draft202012Validator(schema_for(run, "catalog")).validate(catalog)
    config = as_json_values(yaml.safe_load((EXAMPLE / "textcrm.yaml").read_text()))
    jsonschema.Draft202012Validator(schema_for(run, "config")).validate(config)


@pytest.mark.parametrize(
    "change",
    [
        {"stage": "no-such-stage"},
        {"owner": "mallory"},
        {"probability": 140},
        {"close_date": "19/12/2026"},
        {"title": ""},
        {"amount": -1},
        {"currency": "usd"},
        {"activities": [{"date": "2026-11-01", "type": "lunch"}]},
        {"line_items": [{"sku": "AMR-100", "quantity": 0}]},
    ],
)
def test_bad_files_fail(run, change):
    # (An unknown key fails only where `unknown-field` is an error: tests/test_schema_agreement.py.)
    doc = front_matter(EXAMPLE / "opportunities" / "acme-logistics-amr-fleet.md")
    doc.update(change)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema_for(run, "opportunity")).validate(doc)


def test_missing_required_field_fails(run):
    doc = front_matter(EXAMPLE / "opportunities" / "acme-logistics-amr-fleet.md")
    del doc["account"]
    with pytest.raises(jsonschema.ValidationError, match="'account' is a required property"):
        jsonschema.Draft202012Validator(schema_for(run, "opportunity")).validate(doc)


def test_outside_a_repository_stages_are_free_text(run, tmp_path):
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run(["schema"])
    finally:
        os.chdir(old)
    doc = json.loads(result.output)
    assert doc["properties"]["stage"] == {
        "description": "A stage key from textcrm.yaml.",
        "type": "string",
        "pattern": r"\S",
    }


def test_schema_follows_the_field_definitions(run):
    from textcrm.schema import OPPORTUNITY

    doc = schema_for(run, "opportunity")
    assert list(doc["properties"]) == OPPORTUNITY.names()
    assert doc["required"] == [f.name for f in OPPORTUNITY.fields if f.required]
    assert doc["properties"]["stage"]["enum"] == [
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed-won",
        "closed-lost",
    ]
