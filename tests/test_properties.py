"""Property-based: whatever text or YAML a file holds, loading and checking yields problems,
never an exception."""

from __future__ import annotations

from datetime import date

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textcrm.parse import parse_catalog, parse_config, parse_record

TODAY = date(2026, 11, 28)
KINDS = ("opportunity", "account", "contact", "competitor")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.dates().map(str),
    st.sampled_from(["NO", "on", "12:30", "5%", "-1", "0.1", "1e3", "~", "", "2026-02-30"]),
)
keys = st.one_of(
    st.sampled_from(
        [
            "title",
            "account",
            "owner",
            "stage",
            "close_date",
            "probability",
            "amount",
            "currency",
            "created",
            "follow_up",
            "tags",
            "contacts",
            "competitors",
            "decision_issues",
            "line_items",
            "activities",
            "quote",
            "lost_reason",
            "name",
            "sku",
            "quantity",
            "unit_price",
            "discount",
            "date",
            "type",
            "contact",
            "number",
            "valid_until",
            "tax_rate",
            "products",
            "stages",
            "key",
            "forecast",
            "outcome",
            "requires",
            "rules",
            "rates",
        ]
    ),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=6)
    ),
    max_leaves=25,
)


def _check_all(data: bytes) -> None:
    for kind in KINDS:
        _record, diagnostics = parse_record(kind, "x.md", "x", data)
        assert isinstance(diagnostics, list)
    parse_catalog("products.yaml", data)
    parse_config("textcrm.yaml", data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text(text):
    _check_all(text.encode("utf-8", "surrogatepass"))
    _check_all(("---\n" + text + "\n---\n").encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    _check_all(data)
    _check_all(b"---\n" + data + b"\n---\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, values, max_size=12), st.sampled_from([None, True, False]))
def test_arbitrary_yaml_values_through_loader_and_checks(tmp_path_factory, doc, flow):
    from conftest import DEFAULT_CONFIG, DEFAULT_FILES, write_files
    from textcrm.loader import load

    front = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    root = tmp_path_factory.mktemp("crm")
    write_files(
        root,
        {
            "textcrm.yaml": DEFAULT_CONFIG,
            **DEFAULT_FILES,
            "opportunities/x.md": "---\n" + front + "---\nbody\n",
            "accounts/y.md": "---\n" + front + "---\n",
            "contacts/z.md": "---\n" + front + "---\n",
        },
    )
    result = load(root, TODAY, use_cache=False)
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1 and d.severity in ("error", "warning")
    for opp in result.repository.opportunities.values():
        result.repository.figures(opp)
