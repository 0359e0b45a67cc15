"""`textcrm export`: stable columns, exact money, CSV a spreadsheet opens as is, and JSON."""

from __future__ import annotations

import csv
import io
import json

from test_reports import REPORT_FILES

ACCOUNT = """\
---
name: Müller & Söhne, GmbH
industry: "=HYPERLINK(\\"http://evil\\")"
address: "Hauptstraße 1\\n10115 Berlin"
phone: "+49 30 1234"
employees: 250
tags: [dach, key]
---
"""


def export(run, root, *args):
    result = run(["export", "--root", str(root), "--today", "2026-11-28", *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def rows(data):
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: spreadsheets read accents
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_opportunities_csv(run, make_repo):
    root = make_repo(REPORT_FILES)
    table = rows(export(run, root))
    assert table[0] == [
        "id",
        "title",
        "account",
        "owner",
        "stage",
        "status",
        "close_date",
        "probability",
        "amount",
        "currency",
        "expected",
        "weighted",
        "forecast",
        "created",
        "next_step",
        "follow_up",
        "last_activity",
        "tags",
        "contacts",
        "competitors",
        "quote_number",
        "quote_date",
        "quote_valid_until",
        "lost_reason",
        "path",
    ]
    assert [r[0] for r in table[1:]] == [
        "acme-lost",
        "acme-renewal",
        "acme-scanners",
        "globex-service",
        "globex-won",
        "old-deal",
    ]
    by_id = {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert by_id["acme-scanners"] == {
        "id": "acme-scanners",
        "title": "Acme Corp - warehouse scanners",
        "account": "acme-corp",
        "owner": "alice",
        "stage": "proposal",
        "status": "open",
        "close_date": "2026-12-19",
        "probability": "60",
        "amount": "",
        "currency": "USD",
        "expected": "12350.00",
        "weighted": "7410.00",
        "forecast": "best_case",
        "created": "",
        "next_step": "Send quote",
        "follow_up": "2026-11-28",
        "last_activity": "2026-11-24",
        "tags": "hardware",
        "contacts": "jane-doe",
        "competitors": "",
        "quote_number": "Q-2",
        "quote_date": "2026-11-26",
        "quote_valid_until": "2026-12-03",
        "lost_reason": "",
        "path": "opportunities/acme-scanners.md",
    }
    assert (by_id["acme-renewal"]["amount"], by_id["acme-renewal"]["weighted"]) == (
        "5000.50",
        "1250.13",
    )
    assert by_id["acme-lost"]["lost_reason"] == "Price"


def test_line_items_csv_exact_rows(run, make_repo):
    root = make_repo(REPORT_FILES)
    data = export(run, root, "--kind", "line-items", "--no-bom")
    assert data.decode("utf-8").split("\r\n") == [
        "opportunity,position,sku,name,description,quantity,unit,unit_price,discount,gross,"
        "discount_amount,total,currency",
        "acme-scanners,1,SCN-200,Handheld scanner,,10,each,1100.00,5%,11000.00,550.00,10450.00,USD",
        "acme-scanners,2,SVC-DAY,Service day,,2,day,950.00,,1900.00,0.00,1900.00,USD",
        "",
    ]


def test_activities_csv(run, make_repo):
    root = make_repo(REPORT_FILES)
    table = rows(export(run, root, "--kind", "activities"))
    assert table == [
        ["opportunity", "position", "date", "type", "contact", "owner", "summary"],
        ["acme-renewal", "1", "2026-11-10", "email", "", "alice", "Asked for renewal terms"],
        ["acme-scanners", "1", "2026-11-24", "call", "jane-doe", "alice", "Walked through pricing"],
        ["globex-service", "1", "2026-11-20", "meeting", "john-roe", "bob", "Terms"],
        ["old-deal", "1", "2026-11-27", "call", "", "bob", "Still interested"],
    ]


def test_accounts_csv_quotes_newlines_and_defuses_formulas(run, make_repo):
    root = make_repo({"accounts/mueller.md": ACCOUNT})
    data = export(run, root, "--kind", "accounts")
    # A newline inside a field stays inside its quotes; rows end with CRLF.
    assert '"Hauptstraße 1\n10115 Berlin"'.encode() in data
    table = rows(data)
    assert table[0] == [
        "id",
        "name",
        "industry",
        "website",
        "owner",
        "address",
        "phone",
        "email",
        "parent",
        "employees",
        "tags",
        "path",
    ]
    mueller = dict(zip(table[0], table[3], strict=True))
    assert mueller["name"] == "Müller & Söhne, GmbH"
    assert mueller["industry"] == '\'=HYPERLINK("http://evil")'
    assert mueller["phone"] == "'+49 30 1234"
    assert (mueller["employees"], mueller["tags"]) == ("250", "dach;key")
    assert mueller["address"] == "Hauptstraße 1\n10115 Berlin"


def test_contacts_json(run, make_repo):
    root = make_repo()
    doc = json.loads(export(run, root, "--kind", "contacts", "--format", "json"))
    assert doc["version"] == 1 and doc["kind"] == "contacts"
    assert doc["columns"] == ["id", "name", "account", "title", "email", "phone", "tags", "path"]
    assert doc["records"] == [
        {
            "id": "jane-doe",
            "name": "Jane Doe",
            "account": "acme-corp",
            "title": None,
            "email": None,
            "phone": None,
            "tags": [],
            "path": "contacts/jane-doe.md",
        },
        {
            "id": "john-roe",
            "name": "John Roe",
            "account": "globex-inc",
            "title": None,
            "email": None,
            "phone": None,
            "tags": [],
            "path": "contacts/john-roe.md",
        },
    ]


def test_json_records_have_exactly_the_columns(run, make_repo):
    root = make_repo(REPORT_FILES)
    for kind in ("opportunities", "accounts", "contacts", "line-items", "activities"):
        doc = json.loads(export(run, root, "--kind", kind, "--format", "json"))
        assert all(list(r) == doc["columns"] for r in doc["records"]), kind
    doc = json.loads(export(run, root, "--format", "json"))
    scanners = next(r for r in doc["records"] if r["id"] == "acme-scanners")
    assert (scanners["expected"], scanners["tags"], scanners["amount"]) == (
        "12350.00",
        ["hardware"],
        None,
    )


def test_output_file(run, make_repo, tmp_path):
    root = make_repo(REPORT_FILES)
    out = tmp_path / "opps.csv"
    result = run(["export", "--root", str(root), "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_bytes() == export(run, root)
