"""`textcrm import csv`: each source's exports, the mapping file, re-import, bad rows, dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TODAY, write_files
from textcrm.loader import load

CONFIG = """\
currency: USD
stages:
  - {key: prospecting,   name: Prospecting,   probability: 10,  forecast: pipeline}
  - {key: qualification, name: Qualification, probability: 25,  forecast: pipeline}
  - {key: proposal,      name: Proposal,      probability: 60,  forecast: best_case}
  - {key: negotiation,   name: Negotiation,   probability: 80,  forecast: commit}
  - {key: closed-won,    name: Closed Won,    probability: 100, forecast: closed,  outcome: won}
  - {key: closed-lost,   name: Closed Lost,   probability: 0,   forecast: omitted, outcome: lost}
"""

SF_ACCOUNTS = (
    "\ufeffId,IsDeleted,Name,Type,ParentId,Phone,Website,Industry,NumberOfEmployees,Description\n"
    "001A,,Acme Corp,Customer,,+1 555 0100,https://acme.example,Logistics,250,"
    '"Long-time customer,\ntwo sites"\n'
    "001B,,Gekko & Co,Prospect,001A,,,Retail,,\n"
)
SF_CONTACTS = (
    "\ufeffId,IsDeleted,AccountId,LastName,FirstName,Name,Email,Title,Phone\n"
    "003A,,001A,Doe,Jane,Jane Doe,jane@acme.example,CFO,\n"
)
SF_OPPORTUNITIES = (
    "\ufeffId,IsDeleted,AccountId,Name,Description,StageName,Amount,Probability,ExpectedRevenue,"
    "CloseDate,Type,NextStep,OwnerId,CreatedDate,LastActivityDate\n"
    "006A,,001A,Warehouse scanners,Needs CFO sign-off.,Negotiation/Review,48000,90,43200,"
    "2026-12-19,New Customer,Send revised quote,005X,2026-10-02T09:09:33.000+0000,2026-11-24\n"
    "006B,,001B,Gekko & Co - Pilot,,Closed Won,1249.50,100,1249.5,2026-11-02,,,005X,"
    "2026-09-01T10:00:00.000+0000,\n"
)


def crm(make_repo, config: str = CONFIG) -> Path:
    return make_repo(config=config, defaults=False)


def exports(tmp_path: Path, files: dict[str, str]) -> list[str]:
    where = tmp_path / "export"
    write_files(where, files)
    return [str(where / name) for name in files]


def read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def import_(run, root: Path, files: list[str], *args: str):
    return run(["import", "csv", *files, "--root", str(root), "--today", TODAY, *args])


def check_codes(root: Path) -> list[str]:
    result = load(root, __import__("datetime").date.fromisoformat(TODAY), use_cache=False)
    return sorted({d.code for d in result.diagnostics})


# --- Salesforce --------------------------------------------------------------------------


def test_salesforce_export_becomes_records(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(
        tmp_path,
        {
            "Opportunity.csv": SF_OPPORTUNITIES,
            "Account.csv": SF_ACCOUNTS,
            "Contact.csv": SF_CONTACTS,
        },
    )
    result = import_(
        run,
        root,
        files,
        "--from",
        "salesforce",
        "--mapping",
        _mapping(tmp_path, "owners: {005X: alice}\n"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:4] == [
        "imported from salesforce: Account.csv (accounts, 2 rows), Contact.csv (contacts, 1 row), "
        "Opportunity.csv (opportunities, 2 rows)",
        "accounts: 2 created, 0 updated, 0 unchanged",
        "contacts: 1 created, 0 updated, 0 unchanged",
        "opportunities: 2 created, 0 updated, 0 unchanged",
    ]
    assert read(root, "opportunities/acme-corp-warehouse-scanners.md") == (
        "---\n"
        "title: Warehouse scanners\n"
        "account: acme-corp\n"
        "owner: alice\n"
        "stage: negotiation\n"
        "close_date: 2026-12-19\n"
        "probability: 90\n"
        "amount: 48000\n"
        "created: 2026-10-02\n"
        "next_step: Send revised quote\n"
        "tags: [New Customer]\n"
        "activities:\n"
        "  - {date: 2026-11-24, type: note, summary: Last activity recorded in Salesforce}\n"
        "source_id: 006A\n"
        "---\n"
        "Needs CFO sign-off.\n"
    )
    # The title already starts with the account's name: no prefix twice; Closed Won's
    # probability is the stage's, so it is not repeated.
    assert read(root, "opportunities/gekko-co-pilot.md") == (
        "---\ntitle: Gekko & Co - Pilot\naccount: gekko-co\nowner: alice\nstage: closed-won\n"
        "close_date: 2026-11-02\namount: 1249.5\ncreated: 2026-09-01\nsource_id: 006B\n---\n"
    )
    assert read(root, "accounts/acme-corp.md") == (
        "---\nname: Acme Corp\nindustry: Logistics\nwebsite: https://acme.example\n"
        "phone: +1 555 0100\nemployees: 250\ntags: [Customer]\nsource_id: 001A\n---\n"
        "Long-time customer,\ntwo sites\n"
    )
    assert "parent: acme-corp\n" in read(root, "accounts/gekko-co.md")
    assert read(root, "contacts/jane-doe.md") == (
        "---\nname: Jane Doe\naccount: acme-corp\ntitle: CFO\nemail: jane@acme.example\n"
        "source_id: 003A\n---\n"
    )
    assert check_codes(root) == []


def _mapping(tmp_path: Path, text: str, name: str = "mapping.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- HubSpot -----------------------------------------------------------------------------

HS_COMPANIES = (
    "Record ID,Company name,Company Domain Name,Industry,Number of Employees\n"
    "9001,Initech,initech.example,COMPUTER_SOFTWARE,120\n"
)
HS_CONTACTS = (
    "Record ID,First Name,Last Name,Email,Job Title,Associated Company IDs\n"
    "501,Peter,Gibbons,peter@initech.example,Engineer,9001\n"
)
HS_DEALS = (
    "Record ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal owner,"
    "Associated Company IDs\n"
    "7001,Initech - TPS reports,Presentation Scheduled,Sales Pipeline,12000,2026-12-31,"
    "2026-11-25 10:15,bob,9001\n"
    "7002,Initech - Printers,closedlost,Sales Pipeline,3000,2026-10-15,2026-09-01 08:00,bob,9001\n"
)


def test_hubspot_export_maps_labels_and_internal_stage_values(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(
        tmp_path,
        {"deals.csv": HS_DEALS, "companies.csv": HS_COMPANIES, "contacts.csv": HS_CONTACTS},
    )
    result = import_(run, root, files, "--from", "hubspot")
    assert result.exit_code == 0, result.output
    assert read(root, "opportunities/initech-tps-reports.md") == (
        "---\ntitle: Initech - TPS reports\naccount: initech\nowner: bob\nstage: proposal\n"
        'close_date: 2026-12-31\namount: 12000\ncreated: 2026-11-25\nsource_id: "7001"\n---\n'
    )
    assert "stage: closed-lost\n" in read(root, "opportunities/initech-printers.md")
    assert read(root, "contacts/peter-gibbons.md") == (
        "---\nname: Peter Gibbons\naccount: initech\ntitle: Engineer\n"
        'email: peter@initech.example\nsource_id: "501"\n---\n'
    )
    assert "website: initech.example\n" in read(root, "accounts/initech.md")
    assert check_codes(root) == []


# --- Pipedrive ---------------------------------------------------------------------------

PD_ORGS = (
    "Organization - ID,Organization - Name,Organization - Address\n12,Umbrella Corp,Raccoon City\n"
)
PD_PEOPLE = (
    "Person - ID,Person - Name,Person - Organization,Person - Email - Work\n"
    "40,Alice Abernathy,Umbrella Corp,alice@umbrella.example\n"
)
PD_DEALS = (
    "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Organization,"
    "Deal - Contact person,Deal - Owner,Deal - Stage,Deal - Status,Deal - Expected close date,"
    "Deal - Won time,Deal - Deal created,Deal - Next activity date\n"
    '301,Umbrella lab kit,"15,000",EUR,Umbrella Corp,Alice Abernathy,Carol,Proposal Made,open,'
    "2026-12-15,,2026-11-01 09:00:00,2026-12-01\n"
    "302,Umbrella service,2500,USD,Umbrella Corp,,Carol,Negotiations Started,won,2026-11-30,"
    "2026-11-20 16:00:00,2026-10-01 09:00:00,\n"
)


def test_pipedrive_status_decides_won_and_names_resolve(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(
        tmp_path, {"deals.csv": PD_DEALS, "organizations.csv": PD_ORGS, "people.csv": PD_PEOPLE}
    )
    result = import_(run, root, files, "--from", "pipedrive")
    assert result.exit_code == 0, result.output
    assert read(root, "opportunities/umbrella-corp-umbrella-lab-kit.md") == (
        "---\ntitle: Umbrella lab kit\naccount: umbrella-corp\nowner: Carol\nstage: proposal\n"
        "close_date: 2026-12-15\namount: 15000\ncurrency: EUR\ncreated: 2026-11-01\n"
        "follow_up: 2026-12-01\ncontacts:\n  - {contact: alice-abernathy, primary: true}\n"
        'source_id: "301"\n---\n'
    )
    won = read(root, "opportunities/umbrella-corp-umbrella-service.md")
    assert "stage: closed-won\nclose_date: 2026-11-20\n" in won
    assert read(root, "accounts/umbrella-corp.md") == (
        '---\nname: Umbrella Corp\naddress: Raccoon City\nsource_id: "12"\n---\n'
    )
    assert check_codes(root) == []


def test_pipedrive_deals_alone_create_their_organizations(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(tmp_path, {"deals.csv": PD_DEALS})
    result = import_(run, root, files, "--from", "pipedrive")
    assert result.exit_code == 0, result.output
    assert read(root, "accounts/umbrella-corp.md") == (
        "---\nname: Umbrella Corp\nsource_id: Umbrella Corp\n---\n"
    )
    assert "deals.csv: account `Umbrella Corp` created for rows that name it" in result.output
    assert "deals.csv: contact `Alice Abernathy` not found; left out on 1 row (line 2)" in (
        result.output
    )


# --- Generic with a mapping file ---------------------------------------------------------

SHEET = (
    "Deal,Company,Rep,Phase,Value,Expected,Product,Qty\n"
    'D-1,Acme Corp,alice,Hot,"$1,200.00",12/19/2026,Scanner,2\n'
    "D-2,,bob,Cold,300,01/15/2027,scanner (old name),1\n"
)
SHEET_MAPPING = """\
date_formats: ["%m/%d/%Y"]
stages: {Hot: proposal, Cold: prospecting}
products:
  file: catalog.csv
  columns: {code: sku, label: name, price: unit_price}
opportunities:
  file: pipeline*.csv
  columns:
    Deal: source_id
    Company: account
    Rep: owner
    Phase: stage
    Value: amount
    Expected: close_date
  templates:
    title: "{Company} - {Product}"
  line_items:
    - {sku: "{Product}", quantity: "{Qty}"}
  defaults: {Company: House account}
  aliases:
    Product: {scanner (old name): Scanner}
"""


def test_generic_mapping_with_formats_defaults_and_aliases(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(
        tmp_path,
        {
            "pipeline-2026.csv": SHEET,
            "catalog.csv": "code,label,price\nScanner,Handheld scanner,600\n",
        },
    )
    result = import_(
        run, root, files, "--from", "generic", "--mapping", _mapping(tmp_path, SHEET_MAPPING)
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[4:] == [
        "pipeline-2026.csv: Product `scanner (old name)` read as `Scanner` (alias) on 1 row "
        "(line 3)",
        "pipeline-2026.csv: empty Company set to `House account` (default) on 1 row (line 3)",
        "pipeline-2026.csv: account `Acme Corp` created for rows that name it",
        "pipeline-2026.csv: account `House account` created for the mapping's default",
        "`textcrm check` will report what the data lacks: amount-mismatch 1, stale 2",
    ]
    assert read(root, "opportunities/acme-corp-scanner.md") == (
        "---\ntitle: Acme Corp - Scanner\naccount: acme-corp\nowner: alice\nstage: proposal\n"
        "close_date: 2026-12-19\namount: 1200\nline_items:\n  - {sku: Scanner, quantity: 2}\n"
        "source_id: D-1\n---\n"
    )
    assert read(root, "products.yaml") == (
        "products:\n  - {sku: Scanner, name: Handheld scanner, unit_price: 600}\n"
    )
    assert "account: house-account\n" in read(root, "opportunities/house-account-scanner.md")
    assert check_codes(root) == ["amount-mismatch", "stale"]


def test_unmapped_stage_stops_with_a_snippet(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(tmp_path, {"pipeline.csv": SHEET})
    mapping = SHEET_MAPPING.replace("stages: {Hot: proposal, Cold: prospecting}\n", "").replace(
        '  line_items:\n    - {sku: "{Product}", quantity: "{Qty}"}\n', ""
    )
    result = import_(
        run, root, files, "--from", "generic", "--mapping", _mapping(tmp_path, mapping)
    )
    assert result.exit_code == 2
    assert result.output == (
        "textcrm: error: these stage values have no stage in textcrm.yaml: `Cold` (1 row), "
        "`Hot` (1 row).\nAdd them to your mapping file (--mapping), with one of: prospecting, "
        "qualification, proposal, negotiation, closed-won, closed-lost\n\n"
        "stages:\n  Cold: prospecting\n  Hot: prospecting\n"
    )
    assert not (root / "opportunities").exists()


def test_unknown_owner_stops_when_the_team_is_listed(make_repo, run, tmp_path):
    root = crm(make_repo, CONFIG + "owners: [alice, {key: bob, name: Bob Okafor}]\n")
    files = exports(tmp_path, {"Opportunity.csv": SF_OPPORTUNITIES, "Account.csv": SF_ACCOUNTS})
    result = import_(run, root, files, "--from", "salesforce")
    assert result.exit_code == 2
    assert "these owner values are not owners in textcrm.yaml: `005X` (2 rows)" in result.output
    assert "owners:\n  005X: alice\n" in result.output
    assert not (root / "accounts").exists()


def test_mapping_file_typos_are_usage_errors(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(tmp_path, {"pipeline.csv": SHEET})
    result = import_(
        run,
        root,
        files,
        "--from",
        "generic",
        "--mapping",
        _mapping(tmp_path, "opportunities:\n  columns: {Deal: source_id, Expected: close_dat}\n"),
    )
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: {tmp_path / 'mapping.yaml'}: opportunities.columns.Expected: "
        "`close_dat` is not a field textcrm imports here; did you mean `close_date`?\n"
    )
    result = import_(
        run,
        root,
        files,
        "--from",
        "generic",
        "--mapping",
        _mapping(tmp_path, "opportunities:\n  columns: {Deal: source_id, Closing: close_date}\n"),
    )
    assert result.exit_code == 2
    assert "the mapping reads column(s) the file does not have: `Closing`" in result.output


# --- Bad rows, dry run -------------------------------------------------------------------

BAD_ROWS = (
    "Deal,Company,Rep,Phase,Value,Expected,Product,Qty\n"
    "D-1,Acme Corp,alice,Hot,100,2026-12-19,,\n"
    "D-2,Acme Corp,alice,Hot,100,2026-13-40,,\n"
    "D-3,Acme Corp,alice,Hot,one hundred,2026-12-19,,\n"
    "D-4,,alice,Hot,100,2026-12-19,,\n"
    "D-1,Acme Corp,alice,Hot,100,2026-12-19,,\n"
)
BAD_MAPPING = """\
stages: {Hot: proposal}
opportunities:
  columns: {Deal: source_id, Company: account, Rep: owner, Phase: stage, Value: amount,
            Expected: close_date, Product: title}
"""


def test_bad_rows_are_refused_with_file_and_line(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(tmp_path, {"deals.csv": BAD_ROWS.replace(",,\n", ",Scanner,\n")})
    result = import_(
        run, root, files, "--from", "generic", "--mapping", _mapping(tmp_path, BAD_MAPPING)
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [x for x in lines if "refused" in x] == [
        "deals.csv:3: refused: `Expected`: `2026-13-40` is not a valid date",
        "deals.csv:4: refused: `Value`: `one hundred` is not an amount",
        "deals.csv:5: refused: no account (`Company` is empty)",
        "deals.csv:6: refused: duplicate record id `D-1` (first on deals.csv:2)",
        "4 rows refused; fix them in the export (or the mapping file) and import again",
    ]
    assert sorted(p.name for p in (root / "opportunities").iterdir()) == ["acme-corp-scanner.md"]


def test_dry_run_shows_and_writes_nothing(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(tmp_path, {"deals.csv": BAD_ROWS.replace(",,\n", ",Scanner,\n")})
    result = import_(
        run,
        root,
        files,
        "--from",
        "generic",
        "--mapping",
        _mapping(tmp_path, BAD_MAPPING),
        "--dry-run",
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:4] == [
        "dry run: nothing was written from generic: deals.csv (opportunities, 5 rows)",
        "  create accounts/acme-corp.md",
        "  create opportunities/acme-corp-scanner.md",
        "accounts: 1 would create, 0 would update, 0 unchanged",
    ]
    assert "deals.csv:3: refused: `Expected`: `2026-13-40` is not a valid date" in lines
    assert sorted(p.name for p in root.iterdir()) == ["textcrm.yaml"]


def test_json_report_lists_every_row(make_repo, run, tmp_path):
    root = crm(make_repo)
    files = exports(tmp_path, {"deals.csv": BAD_ROWS.replace(",,\n", ",Scanner,\n")})
    result = import_(
        run,
        root,
        files,
        "--from",
        "generic",
        "--mapping",
        _mapping(tmp_path, BAD_MAPPING),
        "--dry-run",
        "--format",
        "json",
    )
    doc = json.loads(result.output)
    assert doc["dry_run"] is True
    assert [(r["file"], r["line"]) for r in doc["refused"]] == [
        ("deals.csv", 3),
        ("deals.csv", 4),
        ("deals.csv", 5),
        ("deals.csv", 6),
    ]
    assert doc["actions"][1] == {
        "action": "create",
        "kind": "opportunity",
        "path": "opportunities/acme-corp-scanner.md",
        "source_id": "D-1",
    }


# --- Re-import ---------------------------------------------------------------------------


def test_reimport_updates_in_place_and_keeps_user_edits(make_repo, run, tmp_path):
    root = crm(make_repo)
    mapping = _mapping(tmp_path, "owners: {005X: alice}\n")
    files = exports(tmp_path, {"Opportunity.csv": SF_OPPORTUNITIES, "Account.csv": SF_ACCOUNTS})
    assert import_(run, root, files, "--from", "salesforce", "--mapping", mapping).exit_code == 0
    path = root / "opportunities/acme-corp-warehouse-scanners.md"
    before = {p: p.read_bytes() for p in root.rglob("*.md")}

    again = import_(run, root, files, "--from", "salesforce", "--mapping", mapping)
    assert "opportunities: 0 created, 0 updated, 2 unchanged" in again.output
    assert {p: p.read_bytes() for p in root.rglob("*.md")} == before

    # The user edits a field, adds one of their own and writes notes.
    edited = path.read_text().replace(
        "next_step: Send revised quote\n", "next_step: Call the CFO  # my note\n"
    )
    edited = edited.replace("source_id: 006A\n", "source_id: 006A\nfollow_up: 2026-12-02\n")
    edited += "\nMy own notes,\r\nkept as they are.\n"
    path.write_bytes(edited.encode())
    # The source changes the amount, the stage and the next step.
    changed = exports(
        tmp_path,
        {
            "Opportunity.csv": SF_OPPORTUNITIES.replace(
                "Negotiation/Review,48000,90", "Closed Won,50000,100"
            ).replace("Send revised quote", "Sign"),
            "Account.csv": SF_ACCOUNTS,
        },
    )
    third = import_(run, root, changed, "--from", "salesforce", "--mapping", mapping)
    assert third.exit_code == 0, third.output
    assert "opportunities: 0 created, 1 updated, 1 unchanged" in third.output
    assert (
        "Opportunity.csv: kept your edit of `next_step` in "
        "opportunities/acme-corp-warehouse-scanners.md (--overwrite replaces it) on 1 row "
        "(line 2)"
    ) in third.output
    text = path.read_bytes().decode()
    assert text == edited.replace("stage: negotiation\n", "stage: closed-won\n").replace(
        "probability: 90\namount: 48000\n", "amount: 50000\n"
    )
    assert text.endswith("\nMy own notes,\r\nkept as they are.\n")

    forced = import_(
        run, root, changed, "--from", "salesforce", "--mapping", mapping, "--overwrite"
    )
    assert "next_step: Sign\n" in path.read_text()
    assert "follow_up: 2026-12-02\n" in path.read_text()
    assert "opportunities: 0 created, 1 updated, 1 unchanged" in forced.output


def test_renamed_file_is_still_updated(make_repo, run, tmp_path):
    root = crm(make_repo)
    mapping = _mapping(tmp_path, "owners: {005X: alice}\n")
    files = exports(tmp_path, {"Opportunity.csv": SF_OPPORTUNITIES, "Account.csv": SF_ACCOUNTS})
    import_(run, root, files, "--from", "salesforce", "--mapping", mapping)
    (root / "opportunities/gekko-co-pilot.md").rename(root / "opportunities/gekko-pilot.md")
    changed = exports(
        tmp_path,
        {
            "Opportunity.csv": SF_OPPORTUNITIES.replace("1249.50", "1300"),
            "Account.csv": SF_ACCOUNTS,
        },
    )
    result = import_(run, root, changed, "--from", "salesforce", "--mapping", mapping)
    assert "opportunities: 0 created, 1 updated, 1 unchanged" in result.output
    assert "amount: 1300\n" in read(root, "opportunities/gekko-pilot.md")
    assert not (root / "opportunities/gekko-co-pilot.md").exists()


# --- Failure leaves the repository as it was ---------------------------------------------


def test_failed_validation_writes_nothing(make_repo, run, tmp_path, monkeypatch):
    from textcrm.importers import engine

    root = crm(make_repo)
    monkeypatch.setattr(engine, "document", lambda fields, body: "---\ntitle: [unclosed\n---\n")
    files = exports(tmp_path, {"Opportunity.csv": SF_OPPORTUNITIES, "Account.csv": SF_ACCOUNTS})
    result = import_(run, root, files, "--from", "salesforce")
    assert result.exit_code == 1
    assert "the import was not applied" in result.output
    assert list(_snapshot(root)) == [Path("textcrm.yaml")]


def test_failure_while_moving_in_restores_every_file(make_repo, run, tmp_path, monkeypatch):
    import os

    from textcrm.importers import apply

    root = crm(make_repo)
    mapping = _mapping(tmp_path, "owners: {005X: alice}\n")
    files = exports(tmp_path, {"Opportunity.csv": SF_OPPORTUNITIES, "Account.csv": SF_ACCOUNTS})
    import_(run, root, files, "--from", "salesforce", "--mapping", mapping)
    before = _snapshot(root)
    changed = exports(
        tmp_path,
        {
            "Opportunity.csv": SF_OPPORTUNITIES.replace("48000", "1").replace("1249.50", "2")
            + "006C,,001A,Third,,Prospecting,5,10,,2026-12-30,,,005X,2026-11-01,\n",
            "Account.csv": SF_ACCOUNTS,
        },
    )
    calls = {"n": 0}
    real_replace = os.replace

    def flaky(src, dst):
        if "new" in Path(src).parts:
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(apply.os, "replace", flaky)
    result = import_(run, root, changed, "--from", "salesforce", "--mapping", mapping)
    assert result.exit_code == 2
    assert result.output == (
        "textcrm: error: the import was not applied: no space left on the device; "
        "nothing was changed in the repository\n"
    )
    assert _snapshot(root) == before


def _snapshot(root: Path) -> dict[Path, bytes]:
    """Every file of the repository but the parse cache (which only speeds up reads)."""
    return {
        p.relative_to(root): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".textcrm-cache" not in p.parts
    }


# --- The emitter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "No",
        "null",
        "12:30",
        "007",
        "1e3",
        "- x",
        "a: b",
        "#tag",
        "x #y",
        "[a]",
        "{a}",
        "",
        " pad",
        "line\nbreak",
        "Gekko & Co",
        "O'Brien",
        "é",
        "tab\there",
        "@home",
        "100%",
    ],
)
def test_emitted_strings_read_back_as_the_same_text(text):
    from textcrm.importers.emit import field_text, node_to_raw
    from textcrm.yamlnodes import compose

    node, problem = compose(field_text("name", text) + field_text("tags", [text, "b"]))
    assert problem is None
    assert node_to_raw(node) == {"name": text, "tags": [text, "b"]}


# --- Bad input files ---------------------------------------------------------------------


def test_unreadable_and_unknown_files_are_clear_usage_errors(make_repo, run, tmp_path):
    root = crm(make_repo)
    where = tmp_path / "export"
    where.mkdir()
    (where / "latin1.csv").write_bytes("Deal - Title\nCaf\xe9 deal\n".encode("latin-1"))
    (where / "binary.csv").write_bytes(b"Deal - Title\n\x00\x01\x02\n")
    (where / "empty.csv").write_bytes(b"")
    (where / "notes.csv").write_text("when,what\n2026-11-01,called\n")
    cases = {
        "latin1.csv": "not utf-8-sig text (byte 0xe9); export it as UTF-8, or give the file's "
        "encoding in the mapping file (`encoding: cp1252`)",
        "binary.csv": "the file is binary (it contains NUL bytes), not a CSV export",
        "empty.csv": "the file is empty; a CSV export starts with a header line",
        "notes.csv": "cannot tell which records it holds (sections in the mapping: accounts, "
        "contacts, opportunities, products)",
    }
    for name, message in cases.items():
        result = import_(run, root, [str(where / name)], "--from", "pipedrive")
        assert result.exit_code == 2, (name, result.output)
        assert result.output.startswith("textcrm: error: ")
        assert message in result.output, (name, result.output)
    result = import_(run, root, [str(where / "notes.csv")], "--from", "generic")
    assert result.exit_code == 2
    assert "--from generic needs --mapping FILE" in result.output
    result = import_(run, root, [str(where / "missing.csv")], "--from", "pipedrive")
    assert result.exit_code == 2
    assert "missing.csv: no such file" in result.output
    broken = _mapping(tmp_path, "stages: [unclosed\n")
    result = import_(
        run, root, [str(where / "notes.csv")], "--from", "generic", "--mapping", broken
    )
    assert result.exit_code == 2
    assert f"{broken}:2:1: the mapping file is not valid YAML" in result.output
    assert sorted(p.name for p in root.iterdir()) == ["textcrm.yaml"]


def test_latin1_export_reads_with_the_mapping_encoding(make_repo, run, tmp_path):
    root = crm(make_repo)
    where = tmp_path / "export"
    where.mkdir()
    (where / "deals.csv").write_bytes(
        "Deal - ID,Deal - Title,Deal - Organization,Deal - Owner,Deal - Stage,"
        "Deal - Expected close date,Deal - Value\n"
        "1,Caf\xe9 machines,Caf\xe9 Ren\xe9,alice,Proposal Made,2026-12-20,900\n".encode("latin-1")
    )
    result = import_(
        run,
        root,
        [str(where / "deals.csv")],
        "--from",
        "pipedrive",
        "--mapping",
        _mapping(tmp_path, "encoding: latin-1\n"),
    )
    assert result.exit_code == 0, result.output
    assert read(root, "opportunities/cafe-rene-cafe-machines.md").startswith(
        "---\ntitle: Café machines\naccount: cafe-rene\n"
    )
