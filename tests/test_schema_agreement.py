"""The JSON Schema (`textcrm schema`) agrees with `textcrm check` on every field's values.

For every field of every record kind (nested ones included) and a set of values drawn to the
edges of its type, the file is checked by textcrm and validated against the schema as an editor
sees it (YAML 1.2: `2026-12-01` and `yes` are text, `2.2e4` is a number). Both must accept it or
both must refuse it. Only what the schema can know is compared: the form of each value, the
required keys, unknown keys (by their configured severity), the stage and owner names.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from conftest import TODAY, write_files
from textcrm import schema as sc
from textcrm.loader import DiskReader, load, load_config
from textcrm.schema import to_json_schema

CONFIG = """\
currency: USD
owners: [alice, bob]
stages:
  - {key: prospecting, name: Prospecting, probability: 10, forecast: pipeline}
  - {key: proposal, name: Proposal, probability: 60, forecast: best_case}
  - {key: closed-won, name: Won, probability: 100, forecast: closed, outcome: won}
"""

BASE: dict[str, dict[str, str]] = {
    "opportunity": {
        "title": "Acme - scanners",
        "account": "acme-corp",
        "owner": "alice",
        "stage": "prospecting",
        "close_date": "2026-12-19",
        "amount": "48000",
        "activities": "[{date: 2026-11-27, type: call}]",
    },
    "account": {"name": "Acme Corp"},
    "contact": {"name": "Jane Doe", "account": "acme-corp"},
    "competitor": {"name": "Initech"},
}
FOLDER = {"opportunity": "opportunities", "account": "accounts", "contact": "contacts",
          "competitor": "competitors"}  # fmt: skip

# What the schema can know: the form of values, required and unknown keys, names it lists.
COMPARED = {"invalid-value", "missing-field", "unknown-field", "yaml-syntax", "unquoted-comma",
            "unknown-stage", "unknown-owner"}  # fmt: skip

CANDIDATES: dict[str, list[str]] = {
    "string": ["Plain text", "2027", "12.5", "true", "''", "'   '", "null", "[a, b]", "{a: 1}"],
    "date": [
        "2026-12-01",
        "'2026-12-01'",
        "2026-13-01",
        "2026-02-30",
        "2024-02-29",
        "2023-02-29",
        "20261201",
        "2026-1-5",
        "1899-12-31",
        "1900-01-01",
        "2200-12-31",
        "2201-01-01",
        "null",
        "[2026-12-01]",
    ],
    "money": [
        "48000",
        "1249.99",
        "'48000'",
        "1_000",
        "2.2e4",
        "-5",
        "0",
        "abc",
        "12.345",
        ".5",
        "'1,000'",
        "1e400",
        "123456789012345678901234567",
        "null",
        "true",
    ],
    "quantity": ["1", "0.5", "0", "-1", "2.5e1", "'3'", "null"],
    "percent": [
        "60",
        "60%",
        "'60 %'",
        "150%",
        "150",
        "-1",
        "100",
        "100.0",
        "'100.0%'",
        "100.5",
        "0",
        "0%",
        "'5.5%'",
        "abc",
        "null",
    ],
    "discount": ["5%", "50", "150%", "-5", "'5 %'", "100%", "0", "null"],
    "integer": ["7", "0", "1", "-1", "1.5", "7.0", "'7'", "3650", "3651", "99999999", "null"],
    "bool": ["true", "false", "True", "yes", "'true'", "1", "null"],
    "currency": ["USD", "usd", "XXX", "EUR", "'EUR'", "null"],
    "stage": ["proposal", "nope", "null"],
    "owner": ["alice", "nobody", "null"],
    "list": ["[a, b]", "a", "[]", "null"],
}


def candidates(f: sc.Field) -> list[str]:
    t = f.type
    if t.kind in ("string", "text", "ref", "timezone", "edit_url", "locale"):
        return CANDIDATES["string"]
    if t.kind == "enum":
        return [t.choices[0], "nope", "null"]
    return CANDIDATES.get(t.kind, [])


def value_yaml(f: sc.Field) -> str:
    """A valid value of a field, as YAML text."""
    t = f.type
    if f.example is not None and not isinstance(f.example, (list, dict)):
        return (
            f"'{f.example}'" if isinstance(f.example, str) and ":" in f.example else str(f.example)
        )
    return {"date": "2026-12-01", "bool": "true", "enum": t.choices[0] if t.choices else "x"}.get(
        t.kind, "x"
    )


def nested_item(record: sc.Record, name: str, text: str) -> str:
    """A flow mapping with the record's required fields and `name: text`."""
    parts = [f"{f.name}: {value_yaml(f)}" for f in record.fields if f.required and f.name != name]
    parts.append(f"{name}: {text}")
    return "{" + ", ".join(parts) + "}"


def cases() -> list[tuple[str, str, str, str]]:
    """(kind, label, key, value) for every field of every kind, nested fields included."""
    out = []
    for kind in BASE:
        for f in sc.KINDS[kind].fields:
            if f.type.kind in ("records", "record"):
                rec = f.type.record
                assert rec is not None
                for sub in rec.fields:
                    for text in candidates(sub):
                        item = nested_item(rec, sub.name, text)
                        value = f"[{item}]" if f.type.kind == "records" else item
                        out.append((kind, f"{f.name}.{sub.name}={text}", f.name, value))
            else:
                for text in candidates(f):
                    out.append((kind, f"{f.name}={text}", f.name, text))
        out.append((kind, "unknown key", "colour", "blue"))
        out.append((kind, "own key", "x-colour", "blue"))
    return out


class Yaml12(yaml.SafeLoader):
    """YAML 1.2 core schema, as editors read YAML: no dates, no `yes`, no `1_000`."""


Yaml12.yaml_implicit_resolvers = {}
for tag, pattern, first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$",
        list("-+0123456789."),
    ),
):
    Yaml12.add_implicit_resolver(tag, re.compile(pattern), first)


def editor_view(text: str) -> Any:
    return yaml.load(text, Loader=Yaml12)


def front(kind: str, key: str, value: str) -> str:
    fields = dict(BASE[kind])
    fields[key] = value
    return "".join(f"{k}: {v}\n" for k, v in fields.items())


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agreement") / "crm"
    write_files(
        root,
        {
            "textcrm.yaml": CONFIG,
            "products.yaml": "products:\n  - {sku: SCN-200, name: Scanner, unit_price: 1100}\n",
            "accounts/acme-corp.md": "---\nname: Acme Corp\n---\n",
        },
    )
    return root


def verdicts(root: Path, severity: str) -> list[str]:
    """Every case where check and the schema disagree, described."""
    config_text = CONFIG + (f"rules: {{unknown-field: {severity}}}\n" if severity else "")
    (root / "textcrm.yaml").write_text(config_text)
    config = load_config(DiskReader(root))[0]
    validators = {
        kind: jsonschema.Draft202012Validator(
            to_json_schema(kind, config), format_checker=jsonschema.FormatChecker()
        )
        for kind in BASE
    }
    disagreements = []
    for n, (kind, label, key, value) in enumerate(cases()):
        text = front(kind, key, value)
        rel = f"{FOLDER[kind]}/case-{n}.md"
        if kind == "account":
            rel = f"accounts/case-{n}.md"
        (root / FOLDER[kind]).mkdir(exist_ok=True)
        (root / rel).write_text(f"---\n{text}---\n")
        try:
            found = load(root, date.fromisoformat(TODAY), paths=[rel], use_cache=False)
        finally:
            (root / rel).unlink()
        problems = [
            d for d in found.diagnostics
            if d.path == rel and d.severity == "error" and d.code in COMPARED
        ]  # fmt: skip
        check_ok = not problems
        try:
            data = editor_view(text)
        except yaml.YAMLError:
            data = None
        schema_ok = data is not None and validators[kind].is_valid(data)
        if check_ok != schema_ok:
            said = "; ".join(f"{d.code}: {d.message}" for d in problems) or "accepted"
            disagreements.append(
                f"{kind} {label}: check {'accepts' if check_ok else 'refuses'} ({said}), "
                f"the schema {'accepts' if schema_ok else 'refuses'}"
            )
    return disagreements


@pytest.mark.parametrize("severity", ["", "error", "off"])
def test_the_schema_and_check_agree_on_every_value(repo: Path, severity: str) -> None:
    assert verdicts(repo, severity) == []
