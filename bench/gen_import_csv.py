"""Generate a deterministic Salesforce-style CSV export (Account.csv, Opportunity.csv) for the
import benchmark.

Usage::

    python bench/gen_import_csv.py OUT --rows 50000 [--seed 1]

OUT receives Account.csv (rows / 25 accounts) and Opportunity.csv (`rows` opportunities) with
Salesforce API field names, a UTF-8 BOM, 18-character ids, ISO dates and timestamps, quoted
descriptions with commas and line breaks, the standard stage picklist, and the rest of a real
export's columns left empty. The output depends only on the arguments (random.Random seeded
from --seed; no clock), so the same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

STAGES = [
    ("Prospecting", 10),
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 50),
    ("Id. Decision Makers", 60),
    ("Perception Analysis", 70),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
]
STAGE_WEIGHTS = [6, 4, 3, 3, 2, 3, 3, 2, 60, 14]
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Oscorp",
    "Aperture",
    "Massive",
    "Dynamic",
    "Gringotts",
    "Monarch",
    "Nakatomi",
    "Virtucon",
    "Pied",
    "Piper",
    "Prestige",
    "Sirius",
    "Zorg",
    "Duff",
    "Krusty",
    "Vehement",
    "Capital",
    "Rekall",
    "Gekko",
]
SUFFIXES = ["Inc.", "Corp", "& Co", "GmbH", "Ltd", "Group", "Holdings", "Labs", "Industries"]
DEALS = [
    "Pilot 100 users",
    "System Assessment",
    "Proof of Concept",
    "Add'l 500 seats",
    "Renewal",
    "Consulting Stage 2",
    "Warehouse scanners",
    "Upgrade to Pro",
    "Training package",
    "Support contract",
]
TYPES = [
    "New Customer",
    "Existing Customer - Upgrade",
    "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
    "",
]
OPP_COLUMNS = [
    "Id",
    "IsDeleted",
    "AccountId",
    "IsPrivate",
    "Name",
    "Description",
    "StageName",
    "Amount",
    "Probability",
    "ExpectedRevenue",
    "TotalOpportunityQuantity",
    "CloseDate",
    "Type",
    "NextStep",
    "LeadSource",
    "IsClosed",
    "IsWon",
    "ForecastCategory",
    "ForecastCategoryName",
    "CampaignId",
    "HasOpportunityLineItem",
    "Pricebook2Id",
    "OwnerId",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
    "LastActivityDate",
    "FiscalQuarter",
    "FiscalYear",
    "Fiscal",
]
ACCOUNT_COLUMNS = [
    "Id",
    "IsDeleted",
    "MasterRecordId",
    "Name",
    "Type",
    "ParentId",
    "BillingCity",
    "BillingCountry",
    "Phone",
    "Website",
    "Industry",
    "NumberOfEmployees",
    "Description",
    "OwnerId",
    "CreatedDate",
]
OWNERS = ["005f4000000VrDDAA0", "005f4000000VrDEAA0", "005f4000000VrDFAA0"]


def sf_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce-looking id."""
    return f"{prefix}f4000{n:010d}AAQ"


def generate(out: Path, rows: int, seed: int) -> None:
    """Write Account.csv and Opportunity.csv into `out`."""
    rng = random.Random(f"import-bench-{seed}")
    out.mkdir(parents=True, exist_ok=True)
    n_accounts = max(5, rows // 25)
    accounts = []
    with open(out / "Account.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(ACCOUNT_COLUMNS)
        for i in range(n_accounts):
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)} {i}"
            acc_id = sf_id("001", i)
            accounts.append(acc_id)
            desc = (
                ""
                if rng.random() < 0.5
                else (f"{name} buys hardware, services, and training.\nSecond line, with a comma.")
            )
            w.writerow(
                [
                    acc_id,
                    "",
                    "",
                    name,
                    rng.choice(["Customer", "Prospect", "Partner"]),
                    "",
                    "Oakland",
                    "US",
                    f"+1 510 555 {i % 10000:04d}",
                    f"www.example{i}.com",
                    rng.choice(["Software", "Retail", "Energy"]),
                    rng.randint(5, 90000),
                    desc,
                    OWNERS[0],
                    "2017-08-04T09:09:33.000+0000",
                ]
            )
    start = date(2024, 1, 1)
    with open(out / "Opportunity.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(OPP_COLUMNS)
        for i in range(rows):
            stage, prob = rng.choices(STAGES, STAGE_WEIGHTS)[0]
            closed = stage.startswith("Closed")
            amount = rng.randint(5, 5000) * 10
            created = start + timedelta(days=rng.randint(0, 700))
            close = created + timedelta(days=rng.randint(10, 300))
            activity = (
                ""
                if rng.random() < 0.7
                else (created + timedelta(days=rng.randint(0, 9))).isoformat()
            )
            desc = (
                ""
                if rng.random() < 0.6
                else ('Customer pain: "training is too intense", product is too difficult to use.')
            )
            w.writerow(
                [
                    sf_id("006", i),
                    "",
                    rng.choice(accounts),
                    "",
                    rng.choice(DEALS),
                    desc,
                    stage,
                    amount,
                    prob,
                    amount * prob / 100,
                    "",
                    close.isoformat(),
                    rng.choice(TYPES),
                    "Closed Won.  Paperwork attached.",
                    f"MM-{2000 + i}",
                    "1" if closed else "",
                    "1" if stage == "Closed Won" else "",
                    "Pipeline",
                    "Pipeline",
                    "",
                    "",
                    "",
                    rng.choice(OWNERS),
                    f"{created.isoformat()}T09:09:33.000+0000",
                    OWNERS[0],
                    "2021-06-05T11:12:00.000+0000",
                    OWNERS[0],
                    "2021-06-05T11:12:00.000+0000",
                    activity,
                    "2",
                    "2024",
                    "2024 2",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.rows, args.seed)


if __name__ == "__main__":
    main()
