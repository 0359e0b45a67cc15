"""Generate deterministic textcrm benchmark corpora, optionally with planted problems.

Usage::

    python bench/generate.py OUT --opportunities N [--seed 1] [--today 2026-11-28]
                             [--planted/--no-planted] [--force]

The generator writes a complete CRM repository into OUT: ``textcrm.yaml``,
``products.yaml`` (60 products) and the record folders ``accounts/`` (about
N/8, at least 5), ``contacts/`` (about two per account), ``competitors/`` (12)
and ``opportunities/`` (N).  Each record is a Markdown file with YAML front
matter; files are roughly 1-6 KB and mix flow-style (``- {a: 1}``) and
block-style lists.

Determinism: the output depends only on the arguments.  All randomness comes
from ``random.Random`` instances seeded with strings derived from ``--seed``
(never the clock, never ``hash()``), and files are written with plain string
formatting, so the same arguments give byte-identical trees.  Planting uses
its own random streams, so a ``--planted`` corpus differs from the
``--no-planted`` corpus with the same seed only in the planted files and in
``planted.json``.

Without planting every file is valid as of ``--today``: open deals close on or
after today and are fresh (an activity within the last 6 days or a follow_up
within the next 30 days), nothing happens after today, stage gates are met,
every reference resolves, contacts belong to the opportunity's account, quotes
exist only next to line items and have unique numbers.

With planting (the default) about 2% of the opportunities get exactly one
problem each, and ``OUT/planted.json`` lists exactly those problems::

    {"today": "2026-11-28", "opportunities": N,
     "planted": [{"path": "opportunities/x.md", "line": 7, "rule": "close-date-past"}, ...]}

Line convention in planted.json: lines are 1-based and line 1 is the opening
``---`` of the file.  The line is the one where the offending key starts
(``close_date`` for close-date-past, ``account`` for unknown-account,
``probability`` for invalid-value, ``stage`` for stage-gate; for
yaml-syntax, the line after the broken ``title``, where the YAML parser notices); for a problem in a list item it is the line
where that item starts (its ``- `` line: unknown-contact, unknown-product);
for whole-file problems it is line 1 (stale, missing-field).

Rules planted: close-date-past, stale, unknown-account, unknown-contact,
unknown-product, invalid-value, missing-field, stage-gate, yaml-syntax.  Each
planted file is arranged so that it triggers no other problem.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

DEFAULT_TODAY = date(2026, 11, 28)
OWNERS: tuple[str, ...] = ("alice", "bob", "carol", "dave", "erin", "frank")
OPEN_STAGES: tuple[str, ...] = ("prospecting", "qualification", "proposal", "negotiation")
CLOSED_STAGES: tuple[str, ...] = ("closed-won", "closed-lost")
STAGE_KEYS: tuple[str, ...] = OPEN_STAGES + CLOSED_STAGES
STAGE_WEIGHTS: tuple[int, ...] = (30, 22, 16, 12, 11, 9)  # ~20% closed
STAGE_PROBABILITY: dict[str, int] = {
    "prospecting": 10,
    "qualification": 25,
    "proposal": 60,
    "negotiation": 80,
    "closed-won": 100,
    "closed-lost": 0,
}
STALE_DAYS: dict[str, int] = {"negotiation": 14}
DEFAULT_STALE_DAYS = 7
PLANT_FRACTION = 0.02

RULES: tuple[str, ...] = (
    "close-date-past",
    "stale",
    "unknown-account",
    "unknown-contact",
    "unknown-product",
    "invalid-value",
    "missing-field",
    "stage-gate",
    "yaml-syntax",
)
# Stages in which an opportunity can carry each rule without side effects.
RULE_STAGES: dict[str, tuple[str, ...]] = {
    "close-date-past": OPEN_STAGES,
    "stale": OPEN_STAGES,
    "unknown-account": ("prospecting",),
    "unknown-contact": ("qualification", "proposal", "negotiation", "closed-won", "closed-lost"),
    "unknown-product": ("proposal", "negotiation", "closed-won"),
    "invalid-value": STAGE_KEYS,
    "missing-field": STAGE_KEYS,
    "stage-gate": ("proposal",),
    "yaml-syntax": STAGE_KEYS,
}

CONFIG_YAML = """\
# textcrm settings for the generated benchmark corpus.
currency: USD
stale_after_days: 7
owners: [alice, bob, carol, dave, erin, frank]
stages:
  - {key: prospecting,   name: Prospecting,   probability: 10,  forecast: pipeline}
  - {key: qualification, name: Qualification, probability: 25,  forecast: pipeline}
  - {key: proposal,      name: Proposal,      probability: 60,  forecast: best_case, requires: [line_items, contacts]}
  - {key: negotiation,   name: Negotiation,   probability: 80,  forecast: commit,    requires: [quote], stale_after_days: 14}
  - {key: closed-won,    name: Closed Won,    probability: 100, forecast: closed,  outcome: won}
  - {key: closed-lost,   name: Closed Lost,   probability: 0,   forecast: omitted, outcome: lost, requires: [lost_reason]}
"""

# (sku prefix, family, unit, base price in dollars, model names, description)
PRODUCT_FAMILIES: tuple[tuple[str, str, str | None, int, tuple[str, ...], str], ...] = (
    (
        "AMR",
        "Autonomous Mobile Robot",
        "each",
        28500,
        ("100", "150", "300", "500", "600", "900"),
        "Lidar-navigated mobile robot for goods-to-person picking.",
    ),
    (
        "ARM",
        "Collaborative Picking Arm",
        "each",
        36750,
        ("4X", "6X", "6XL", "7X", "7XL", "9X"),
        "Collaborative arm with suction gripper for each-picking.",
    ),
    (
        "SCN",
        "Rugged Handheld Scanner",
        "each",
        1249,
        ("100", "200", "250", "300", "400", "500"),
        "Android handheld with 1D/2D imager and hot-swap battery.",
    ),
    (
        "PRN",
        "Industrial Label Printer",
        "each",
        2890,
        ("4T", "4TX", "6T", "6TX", "8T", "8TX"),
        "Thermal transfer printer for shipping and pallet labels.",
    ),
    (
        "CHG",
        "Charging Station",
        "each",
        3249,
        ("1", "2", "4", "4F", "8", "8F"),
        "Floor-mounted opportunity charger for robot fleets.",
    ),
    (
        "LIC",
        "Fleet Manager License",
        "seat/year",
        1800,
        ("STD", "PRO", "ENT", "API", "WMS", "BI"),
        "Annual subscription for fleet orchestration software.",
    ),
    (
        "SUP",
        "Support Plan",
        "year",
        9600,
        ("BRZ", "SLV", "GLD", "PLT", "247", "ONS"),
        "Annual support with remote monitoring and spare parts.",
    ),
    (
        "TRN",
        "Training Course",
        "day",
        1450,
        ("OPS", "MNT", "ADM", "SAF", "DEV", "TTT"),
        "Instructor-led course for operators and technicians.",
    ),
    (
        "SNS",
        "Safety Sensor Kit",
        "each",
        4100,
        ("LZ1", "LZ2", "CUR", "MAT", "BMP", "EST"),
        "Safety-rated sensors for mixed human-robot zones.",
    ),
    (
        "CNV",
        "Conveyor Module",
        "meter",
        640,
        ("RLR", "BLT", "MRG", "DVT", "ACC", "SPR"),
        "Modular conveyor section with 24 V motor-driven rollers.",
    ),
)

ACCOUNT_PREFIXES: tuple[str, ...] = (
    "Acme",
    "Bluewater",
    "Coastal",
    "Meridian",
    "Pinecrest",
    "Tallgrass",
    "Northgate",
    "Redwood",
    "Silverline",
    "Granite",
    "Harbor",
    "Summit",
    "Ironbridge",
    "Lakeshore",
    "Prairie",
    "Cedar",
    "Riverbend",
    "Sterling",
    "Oakmont",
    "Westfield",
    "Evergreen",
    "Brightwater",
    "Copperfield",
    "Highland",
    "Keystone",
    "Maple",
    "Northstar",
    "Pacific",
    "Quarry",
    "Sandstone",
    "Tidewater",
    "Union",
    "Valley",
    "Windmill",
    "Yellowstone",
    "Zenith",
    "Anchor",
    "Beacon",
    "Crescent",
    "Falcon",
)
ACCOUNT_CORES: tuple[str, ...] = (
    "Logistics",
    "Pharma",
    "Cold Chain",
    "Auto Parts",
    "Grocers",
    "Outdoor",
    "Foods",
    "Apparel",
    "Electronics",
    "Beverages",
    "Distribution",
    "Health",
    "Hardware",
    "Books",
    "Pet Supply",
    "Furniture",
    "Chemicals",
    "Textiles",
    "Packaging",
    "Toys",
    "Cosmetics",
    "Tools",
    "Home Goods",
    "Sporting Goods",
    "Medical",
    "Paper",
    "Plastics",
    "Fresh Produce",
    "Wine",
    "Footwear",
)
ACCOUNT_SUFFIXES: tuple[str, ...] = (
    "",
    "",
    "",
    "Inc.",
    "Co.",
    "Group",
    "LLC",
    "Corp",
    "Partners",
    "Holdings",
    "Ltd",
    "Supply",
)
INDUSTRIES: tuple[str, ...] = (
    "Third-party logistics",
    "Retail",
    "Grocery",
    "Pharmaceuticals",
    "Automotive",
    "E-commerce",
    "Food and beverage",
    "Consumer electronics",
    "Healthcare",
    "Manufacturing",
    "Apparel",
    "Wholesale distribution",
    "Cold storage",
)
CITIES: tuple[tuple[str, str, str], ...] = (
    ("Reno", "NV", "89502"),
    ("Columbus", "OH", "43215"),
    ("Memphis", "TN", "38118"),
    ("Savannah", "GA", "31401"),
    ("Allentown", "PA", "18101"),
    ("Fresno", "CA", "93721"),
    ("Joliet", "IL", "60431"),
    ("Dallas", "TX", "75201"),
    ("Louisville", "KY", "40202"),
    ("Tacoma", "WA", "98402"),
    ("Indianapolis", "IN", "46204"),
    ("Phoenix", "AZ", "85003"),
)
STREETS: tuple[str, ...] = (
    "Lakeside Parkway",
    "Industrial Drive",
    "Commerce Way",
    "Harbor Road",
    "Distribution Blvd",
    "Airport Road",
    "Logistics Lane",
    "Freight Street",
    "Depot Avenue",
    "Warehouse Row",
)
FIRST_NAMES: tuple[str, ...] = (
    "Aisha",
    "Dana",
    "Elena",
    "Frank",
    "Henrik",
    "Jordan",
    "Lucia",
    "Marcus",
    "Mei",
    "Priya",
    "Sam",
    "Tom",
    "Olivia",
    "Noah",
    "Amara",
    "Kenji",
    "Sofia",
    "Mateo",
    "Ines",
    "Ravi",
    "Chloe",
    "Diego",
    "Fatima",
    "Gustav",
    "Hana",
    "Isaac",
    "Julia",
    "Kofi",
    "Lena",
    "Mohammed",
    "Nadia",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Stefan",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Yara",
    "Zoe",
)
LAST_NAMES: tuple[str, ...] = (
    "Bello",
    "Whitfield",
    "Vasquez",
    "Kowalski",
    "Sorensen",
    "Price",
    "Moreno",
    "Lee",
    "Tanaka",
    "Raman",
    "Oduya",
    "Becker",
    "Nguyen",
    "Schmidt",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Garcia",
    "Rossi",
    "Dubois",
    "Novak",
    "Kim",
    "Haddad",
    "Mensah",
    "Patel",
    "Fischer",
    "Silva",
    "Ito",
    "Larsen",
    "Brennan",
    "Costa",
    "Ahmed",
    "Walsh",
    "Jensen",
    "Kaur",
    "Romero",
    "Stone",
    "Weber",
)
JOB_TITLES: tuple[str, ...] = (
    "VP Operations",
    "Director of Distribution",
    "Warehouse Manager",
    "IT Director",
    "CFO",
    "Procurement Manager",
    "Continuous Improvement Lead",
    "Head of Supply Chain",
    "Facilities Manager",
    "Automation Engineer",
    "COO",
    "Site Lead",
    "Safety Manager",
)
COMPETITORS: tuple[tuple[str, str], ...] = (
    ("Globex", "Cheaper hardware but weak support"),
    ("Initech Robotics", "Strong software, expensive integration"),
    ("Umbrella Automation", "Large installed base in cold storage"),
    ("Hooli Warehouse", "Aggressive discounting on multi-year deals"),
    ("Stark Logistics Tech", "Premium brand, long lead times"),
    ("Wayne Industrial", "Bundles conveyors with robots"),
    ("Cyberdyne Systems", "Fast deployment, limited payload range"),
    ("Soylent Supply Tech", "Good WMS integrations"),
    ("Tyrell Motion", "High-end arms, few mobile robots"),
    ("Vandelay Automation", "Regional reseller with local service"),
    ("Massive Dynamic", "Broad portfolio, slow support"),
    ("Oscorp Handling", "Low price, unproven reliability"),
)
COMPETITOR_STATUSES: tuple[str, ...] = ("evaluating", "shortlisted", "eliminated")
CONTACT_ROLES: tuple[str, ...] = (
    "Economic Buyer",
    "Champion",
    "Technical Buyer",
    "Influencer",
    "End User",
    "Decision Maker",
    "Procurement",
    "Legal",
)
TOPICS: tuple[str, ...] = (
    "warehouse scanners",
    "AMR pilot",
    "picking arm rollout",
    "DC-2 automation",
    "label printer refresh",
    "fleet expansion",
    "peak season readiness",
    "cold store robots",
    "returns automation",
    "support renewal",
    "safety upgrade",
    "conveyor retrofit",
    "second site rollout",
    "operator training",
    "fleet manager upgrade",
    "goods-to-person pilot",
    "cross-dock automation",
    "inventory counting robots",
    "multi-site standardisation",
    "night shift automation",
)
TAGS: tuple[str, ...] = (
    "hardware",
    "software",
    "services",
    "expansion",
    "new-logo",
    "renewal",
    "pilot",
    "strategic",
    "partner",
    "rfp",
    "upsell",
    "multi-site",
)
NEXT_STEPS: tuple[str, ...] = (
    "Send revised quote with volume discount",
    "Schedule site survey",
    "Book demo for the ops team",
    "Confirm budget with CFO",
    "Share reference customer list",
    "Draft statement of work",
    "Run ROI workshop",
    "Follow up on security questionnaire",
    "Agree pilot success criteria",
    "Send contract redlines back to legal",
    "Introduce solutions engineer",
    "Prepare executive summary, pricing and timeline",
)
ACTIVITY_TYPES: tuple[str, ...] = ("call", "email", "meeting", "demo", "note", "task")
ACTIVITY_SUMMARIES: dict[str, tuple[str, ...]] = {
    "call": (
        "Walked through pricing",
        "Discovery call with operations",
        "Checked on budget timing",
        "Reviewed open questions, no blockers",
        "Call about pilot scope",
    ),
    "email": (
        "Sent product sheets",
        "Sent revised proposal",
        "Shared case study from 3PL customer",
        "Answered integration questions",
        "Emailed meeting recap, next steps and owners",
    ),
    "meeting": (
        "On-site meeting with warehouse team",
        "Quarterly review with sponsor",
        "Workshop on layout, flows and volumes",
        "Met procurement about terms",
    ),
    "demo": (
        "Live demo of picking workflow",
        "Virtual demo for IT",
        "Demo at customer DC",
        "Showed fleet dashboard and reports",
    ),
    "note": (
        "Champion is moving to a new role",
        "Budget approved for next fiscal year",
        "Competitor offered a free pilot",
        "Heard that labor costs are up 12%",
    ),
    "task": (
        "Prepare ROI model",
        "Book site survey",
        "Collect floor plans",
        "Update mutual action plan",
    ),
}
ISSUES: tuple[str, ...] = (
    "Security review by IT",
    "Legal review of MSA",
    "Board approval for capex",
    "Union consultation",
    "Integration with WMS",
    "Floor load assessment",
    "Insurance sign-off",
    "Budget reallocation",
    "Fire code review",
    "Data privacy assessment",
)
LOST_REASONS: tuple[str, ...] = (
    "Went with the incumbent",
    "No budget this year",
    "Chose a cheaper competitor",
    "Project cancelled after reorg",
    "Went silent after the pilot",
    "Built it in-house",
    "Timing, revisit next fiscal year",
)
TERMS: tuple[str, ...] = ("Net 30", "Net 45", "Net 60", "Due on receipt")
TAX_RATES: tuple[str, ...] = ("0%", "6%", "7.25%", "8.25%", "8.875%", "10%")
DISCOUNTS: tuple[str, ...] = ("5%", "10%", "12.5%", "15%", "20%", "2.5%")
CUSTOM_LINES: tuple[tuple[str, str, int], ...] = (
    ("On-site installation", "day", 950),
    ("Project management", "day", 1200),
    ("Site survey", "each", 2500),
    ("Custom integration work", "hour", 180),
    ("Freight and handling", "each", 750),
    ("Layout simulation", "each", 4200),
)
BODY_HEADINGS: tuple[str, ...] = (
    "Summary",
    "Background",
    "Pain points",
    "Decision process",
    "Technical fit",
    "Next steps",
    "Risks",
    "Notes from the site visit",
    "Pricing discussion",
    "Stakeholders",
)
BODY_SENTENCES: tuple[str, ...] = (
    "The customer runs three shifts and struggles to hire pickers during peak season.",
    "Operations wants a pilot in one aisle before committing to a full rollout.",
    "IT insists on single sign-on and an on-premises option for the fleet manager.",
    "Finance expects payback within eighteen months, which our ROI model supports.",
    "The sponsor has done a similar project at a previous employer and is supportive.",
    "Floor conditions are good, but the mezzanine needs a separate assessment.",
    "They are comparing us against the incumbent on total cost over five years.",
    "Volumes grow about 20% a year, mostly small parcels for e-commerce orders.",
    "Procurement will run a formal RFP if the deal goes above their approval limit.",
    "Safety is the first question every time; bring the certification pack.",
    "Integration with their WMS is via REST and a nightly batch file.",
    "Their last automation project ran late, so they are wary of big promises.",
)
BODY_BULLETS: tuple[str, ...] = (
    "Peak volume roughly triples from October to January.",
    "Labor turnover is above 60% a year.",
    "Two sites share one IT team.",
    "Budget owner is the COO.",
    "Pilot success means 30% fewer walking minutes per pick.",
    "Needs quote in USD with Net 45 terms.",
    "Prefers quarterly business reviews.",
    "Considering leasing instead of buying outright.",
    "Wants references from cold-chain customers.",
    "Legal uses their own paper for the MSA.",
)
LINK_TEXTS: tuple[str, ...] = (
    "Discovery notes",
    "Site survey photos",
    "ROI model",
    "Mutual action plan",
    "RFP documents",
    "Floor plan",
    "Meeting recording",
)

# --------------------------------------------------------------------------
# YAML scalar formatting
# --------------------------------------------------------------------------

_PLAIN_FLOW = re.compile(r"[A-Za-z][A-Za-z0-9 .'/()&+%-]*")
_PLAIN_BLOCK = re.compile(r"[A-Za-z][A-Za-z0-9 .,'/()&+%-]*")
_RESERVED = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})


@functools.lru_cache(maxsize=65536)
def _s(text: str, flow: bool = True) -> str:
    """Return ``text`` as a YAML scalar: plain when safe, else double-quoted."""
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    if pattern.fullmatch(text) and not text.endswith(" ") and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=True)


def _v(value: Any, flow: bool = True) -> str:
    """Format one YAML value (str, int, bool, date, Money or list of plain strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, date, Money, Raw)):
        return str(value)
    if isinstance(value, str):
        return _s(value, flow)
    if isinstance(value, list):
        return "[" + ", ".join(_v(x) for x in value) + "]"
    raise TypeError(f"cannot format {value!r}")


@dataclass(frozen=True)
class Money:
    """A non-negative money amount in cents, written without float."""

    cents: int

    def __str__(self) -> str:
        if self.cents % 100 == 0:
            return str(self.cents // 100)
        return f"{self.cents // 100}.{self.cents % 100:02d}"


@dataclass(frozen=True)
class Raw:
    """A value that is written verbatim (already valid YAML, e.g. ``5%``)."""

    text: str

    def __str__(self) -> str:
        return self.text


def _flow_map(item: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_v(v)}" for k, v in item.items()) + "}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------


@dataclass
class Product:
    sku: str
    name: str
    price: Money
    unit: str | None
    description: str | None


@dataclass
class Account:
    id: str
    name: str
    domain: str
    owner: str
    contacts: list[str] = field(default_factory=list)


def _make_products(rng: random.Random) -> list[Product]:
    products: list[Product] = []
    for prefix, family, unit, base, models, description in PRODUCT_FAMILIES:
        for index, model in enumerate(models):
            cents = base * 100 + index * rng.choice((0, 2500, 5000, 9999, 12500))
            if rng.random() < 0.3:
                cents -= 1  # prices like 1249.99
            products.append(
                Product(
                    sku=f"{prefix}-{model}",
                    name=f"{prefix}-{model} {family}",
                    price=Money(cents),
                    unit=unit if rng.random() < 0.85 else None,
                    description=description if rng.random() < 0.8 else None,
                )
            )
    return products


def _products_yaml(products: Sequence[Product]) -> str:
    out = ["# Product catalog for the generated benchmark corpus (USD list prices).", "products:"]
    for p in products:
        out.append(f"  - sku: {p.sku}")
        out.append(f"    name: {_s(p.name, flow=False)}")
        out.append(f"    unit_price: {p.price}")
        if p.unit:
            out.append(f"    unit: {_s(p.unit, flow=False)}")
        if p.description:
            out.append(f"    description: {_s(p.description, flow=False)}")
    return "\n".join(out) + "\n"


def _account_names(rng: random.Random, count: int) -> list[str]:
    combos = [
        f"{p} {c} {s}".strip()
        for p in ACCOUNT_PREFIXES
        for c in ACCOUNT_CORES
        for s in ACCOUNT_SUFFIXES
    ]
    # De-duplicate (the empty suffix repeats) while keeping order, then shuffle.
    combos = list(dict.fromkeys(combos))
    rng.shuffle(combos)
    names = combos[:count]
    n = 2
    while len(names) < count:  # only for gigantic corpora
        names.extend(f"{c} {n}" for c in combos[: count - len(names)])
        n += 1
    return names


def _paragraph(rng: random.Random, sentences: int) -> list[str]:
    """A paragraph wrapped at about 90 characters."""
    return list(_wrap(tuple(rng.choice(BODY_SENTENCES) for _ in range(sentences))))


@functools.lru_cache(maxsize=4096)
def _wrap(sentences: tuple[str, ...]) -> tuple[str, ...]:
    words = " ".join(sentences).split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > 90:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return tuple(lines)


# --------------------------------------------------------------------------
# Opportunities
# --------------------------------------------------------------------------


@dataclass
class Opp:
    """An opportunity's front matter, in output order, plus its body lines."""

    id: str
    fields: dict[str, Any]
    styles: dict[str, bool]  # list key -> flow style?
    body: list[str]
    target_size: int


def _make_opp(
    rng: random.Random,
    index: int,
    stage: str,
    accounts: Sequence[Account],
    products: Sequence[Product],
    competitor_ids: Sequence[str],
    today: date,
) -> Opp:
    account = accounts[int(len(accounts) * rng.random() ** 1.3)]
    topic = rng.choice(TOPICS)
    title = f"{account.name} - {topic}"
    opp_id = f"opp-{index:06d}-{_slug(account.name)[:30].strip('-')}-{_slug(topic)}"
    is_open = stage in OPEN_STAGES
    owner = account.owner if rng.random() < 0.7 else rng.choice(OWNERS)

    if is_open:
        close_date = today + timedelta(days=rng.randint(0, 180))
        created = today - timedelta(days=rng.randint(3, 200))
        end = today
    else:
        close_date = today - timedelta(days=rng.randint(1, 365))
        created = close_date - timedelta(days=rng.randint(10, 200))
        end = close_date
    span = (end - created).days

    f: dict[str, Any] = {}
    styles: dict[str, bool] = {}
    f["title"] = title
    f["account"] = account.id
    f["owner"] = owner
    f["stage"] = stage
    f["close_date"] = close_date
    if rng.random() < 0.5:
        base = STAGE_PROBABILITY[stage]
        f["probability"] = base if not is_open else max(1, min(99, base + rng.randint(-10, 10)))
    f["amount"] = None  # placeholder keeps the key order; removed if unused
    if rng.random() < 0.6:
        f["currency"] = "USD"
    f["created"] = created

    has_follow_up = is_open and rng.random() < 0.6
    if is_open and rng.random() < 0.8:
        f["next_step"] = rng.choice(NEXT_STEPS)
    if has_follow_up:
        f["follow_up"] = today + timedelta(days=rng.randint(0, 30))
    if rng.random() < 0.6:
        f["tags"] = rng.sample(TAGS, rng.randint(1, 3))
        styles["tags"] = rng.random() < 0.8

    # Contacts from the account.
    if stage == "prospecting":
        n_contacts = rng.randint(0, min(2, len(account.contacts)))
    else:
        n_contacts = rng.randint(1, min(4, len(account.contacts)))
    opp_contacts = rng.sample(account.contacts, n_contacts)
    if opp_contacts:
        roles = rng.sample(CONTACT_ROLES, len(opp_contacts))
        items = []
        for j, (cid, role) in enumerate(zip(opp_contacts, roles, strict=False)):
            item: dict[str, Any] = {"contact": cid, "role": role}
            if j == 0 and rng.random() < 0.7:
                item["primary"] = True
            items.append(item)
        f["contacts"] = items
        styles["contacts"] = rng.random() < 0.5

    n_comp = rng.choice((0, 0, 1, 1, 2, 3))
    if n_comp:
        comps = []
        for j, cid in enumerate(rng.sample(list(competitor_ids), n_comp)):
            status = (
                "incumbent" if j == 0 and rng.random() < 0.3 else rng.choice(COMPETITOR_STATUSES)
            )
            item = {"competitor": cid, "status": status}
            if rng.random() < 0.5:
                item["notes"] = COMPETITORS[competitor_ids.index(cid)][1] + rng.choice(
                    ("", ", per champion", "; watch pricing")
                )
            comps.append(item)
        f["competitors"] = comps
        styles["competitors"] = rng.random() < 0.5

    if stage != "prospecting" and rng.random() < 0.5:
        issues = []
        for issue in rng.sample(ISSUES, rng.randint(1, 3)):
            if is_open and rng.random() < 0.6:
                status, due = "open", today + timedelta(days=rng.randint(1, 45))
            else:
                status, due = "resolved", created + timedelta(days=rng.randint(0, span))
            issues.append(
                {"issue": issue, "status": status, "owner": rng.choice(OWNERS), "due": due}
            )
        f["decision_issues"] = issues
        styles["decision_issues"] = rng.random() < 0.5

    # Line items or amount.
    p_items = {
        "prospecting": 0.15,
        "qualification": 0.4,
        "proposal": 1.0,
        "negotiation": 1.0,
        "closed-won": 1.0,
        "closed-lost": 0.7,
    }[stage]
    if rng.random() < p_items:
        items = []
        n_items = rng.randint(1, 8)
        for prod in rng.sample(list(products), n_items):
            if rng.random() < 0.12:
                name, unit, price = rng.choice(CUSTOM_LINES)
                item = {
                    "name": name,
                    "quantity": rng.randint(1, 10),
                    "unit": unit,
                    "unit_price": Money(price * 100),
                }
            else:
                item = {
                    "sku": prod.sku,
                    "quantity": rng.choice((1, 2, 4, 5, 10, 12, 20, 25, 40, 50)),
                }
                if rng.random() < 0.5:
                    item["unit_price"] = prod.price
            if rng.random() < 0.3:
                item["discount"] = Raw(rng.choice(DISCOUNTS))
            items.append(item)
        # Avoid two custom lines with the same name.
        unique: dict[str, dict[str, Any]] = {}
        for it in items:
            unique.setdefault(it.get("sku") or it["name"], it)
        f["line_items"] = list(unique.values())
        styles["line_items"] = rng.random() < 0.5
        del f["amount"]
    else:
        f["amount"] = Money(rng.randint(5, 400) * 100000 // 10 * 10)

    # Activities: sorted, within [created, end]; open deals stay fresh.
    n_act = min(30, int(rng.random() ** 2 * 31))
    if is_open and not has_follow_up:
        n_act = max(1, n_act)
    dates = sorted(created + timedelta(days=rng.randint(0, span)) for _ in range(n_act))
    if is_open and not has_follow_up:
        latest = today - timedelta(days=rng.randint(0, min(6, span)))
        dates = [min(d, latest) for d in dates[:-1]] + [latest]
    if dates:
        acts = []
        for d in dates:
            kind = rng.choice(ACTIVITY_TYPES)
            act: dict[str, Any] = {"date": d, "type": kind}
            if opp_contacts and kind in ("call", "email", "meeting", "demo") and rng.random() < 0.8:
                act["contact"] = rng.choice(opp_contacts)
            act["summary"] = rng.choice(ACTIVITY_SUMMARIES[kind])
            acts.append(act)
        f["activities"] = acts
        styles["activities"] = rng.random() < (0.5 if n_act < 15 else 0.85)

    # Quote: only next to line items; required in negotiation.
    if "line_items" in f:
        p_quote = {
            "qualification": 0.0,
            "prospecting": 0.0,
            "proposal": 0.3,
            "negotiation": 1.0,
            "closed-won": 0.8,
            "closed-lost": 0.4,
        }[stage]
        if rng.random() < p_quote:
            qdate = created + timedelta(days=rng.randint(0, span))
            valid = qdate + timedelta(days=rng.randint(30, 90))
            if is_open and valid < today:
                valid = today + timedelta(days=rng.randint(5, 60))
            quote: dict[str, Any] = {
                "number": f"Q-{qdate.year}-{index:06d}",
                "date": qdate,
                "valid_until": valid,
            }
            if rng.random() < 0.8:
                quote["terms"] = rng.choice(TERMS)
            if rng.random() < 0.7:
                quote["tax_rate"] = Raw(rng.choice(TAX_RATES))
            f["quote"] = quote
            styles["quote"] = rng.random() < 0.5
    if stage == "closed-lost":
        f["lost_reason"] = rng.choice(LOST_REASONS)
    # A quoted or closed deal's prices are promised: its lines carry them (`unpriced-line`).
    if "line_items" in f and ("quote" in f or stage in CLOSED_STAGES):
        price_of = {prod.sku: prod.price for prod in products}
        for item in f["line_items"]:
            if "sku" in item and "unit_price" not in item:
                item["unit_price"] = price_of[item["sku"]]

    target = int(rng.triangular(1300, 6000, 2600))
    body = _opp_body(rng, account.name, topic)
    return Opp(opp_id, f, styles, body, target)


def _opp_body(rng: random.Random, account_name: str, topic: str) -> list[str]:
    """Up to 40 body lines; the writer trims to the file's target size (min 3 lines)."""
    lines: list[str] = [f"# {account_name}: {topic}", ""]
    lines += _paragraph(rng, rng.randint(1, 3))
    headings = rng.sample(BODY_HEADINGS, 5)
    for heading in headings:
        lines += ["", f"## {heading}", ""]
        if rng.random() < 0.5:
            lines += [f"- {b}" for b in rng.sample(BODY_BULLETS, rng.randint(2, 4))]
        else:
            lines += _paragraph(rng, rng.randint(1, 3))
        if rng.random() < 0.3:
            text = rng.choice(LINK_TEXTS)
            lines += [
                "",
                f"See [{text}](https://wiki.example.com/crm/{_slug(account_name)}/{_slug(text)}).",
            ]
    return lines[:40]


def _render_opp(opp: Opp) -> tuple[str, dict[str, Any]]:
    """Render an opportunity; return the text and the 1-based line of each key/item."""
    out: list[str] = ["---"]
    pos: dict[str, Any] = {}
    for key, value in opp.fields.items():
        if value is None:
            continue
        pos[key] = len(out) + 1
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{key}:")
            item_lines: list[int] = []
            flow = opp.styles.get(key, True)
            for item in value:
                item_lines.append(len(out) + 1)
                if flow:
                    out.append(f"  - {_flow_map(item)}")
                else:
                    first = True
                    for k, v in item.items():
                        out.append(f"  {'- ' if first else '  '}{k}: {_v(v, flow=False)}")
                        first = False
            pos[key + "[]"] = item_lines
        elif isinstance(value, dict):
            if opp.styles.get(key, True):
                out.append(f"{key}: {_flow_map(value)}")
            else:
                out.append(f"{key}:")
                out.extend(f"  {k}: {_v(v, flow=False)}" for k, v in value.items())
        elif isinstance(value, list):
            if opp.styles.get(key, True):
                out.append(f"{key}: {_v(value)}")
            else:
                out.append(f"{key}:")
                out.extend(f"  - {_v(x, flow=False)}" for x in value)
        else:
            out.append(f"{key}: {_v(value, flow=False)}")
    out.append("---")
    size = sum(len(line) + 1 for line in out)
    body: list[str] = []
    for line in opp.body:
        if len(body) >= 3 and size >= opp.target_size:
            break
        body.append(line)
        size += len(line) + 1
    while body and body[-1] == "":
        body.pop()
    return "\n".join(out + body) + "\n", pos


# --------------------------------------------------------------------------
# Planting
# --------------------------------------------------------------------------


def _line_total(item: dict[str, Any], prices: dict[str, Money]) -> Decimal:
    price = item.get("unit_price") or prices[item["sku"]]
    total = Decimal(price.cents) / 100 * item["quantity"]
    if "discount" in item:
        total -= total * Decimal(item["discount"].text.rstrip("%")) / 100
    return total


def _plant(
    rng: random.Random, rule: str, opp: Opp, index: int, today: date, prices: dict[str, Money]
) -> str:
    """Mutate ``opp`` to carry exactly one ``rule`` problem; return the anchor key."""
    f = opp.fields
    if rule == "close-date-past":
        created: date = f["created"]
        if (today - created).days < 2:
            f["created"] = created = today - timedelta(days=10)
        f["close_date"] = today - timedelta(days=rng.randint(1, (today - created).days))
        return "close_date"
    if rule == "stale":
        stage = f["stage"]
        threshold = STALE_DAYS.get(stage, DEFAULT_STALE_DAYS)
        f.pop("follow_up", None)
        latest = today - timedelta(days=threshold + 2 + rng.randint(0, 30))
        created = latest - timedelta(days=rng.randint(5, 90))
        f["created"] = created
        span = (latest - created).days
        acts = f.get("activities") or [
            {"date": latest, "type": "email", "summary": "Sent product sheets"}
        ]
        dates = [*sorted(created + timedelta(days=rng.randint(0, span)) for _ in acts[:-1]), latest]
        for act, d in zip(acts, dates, strict=False):
            act["date"] = d
        f["activities"] = acts
        for issue in f.get("decision_issues", []):
            if issue["status"] == "resolved":
                issue["due"] = created + timedelta(days=rng.randint(0, span))
        if "quote" in f:
            f["quote"]["date"] = created + timedelta(days=rng.randint(0, span))
            f["quote"]["number"] = f"Q-{f['quote']['date'].year}-{index:06d}"
            f["quote"]["valid_until"] = today + timedelta(days=rng.randint(5, 60))
        return "@file"
    if rule == "unknown-account":
        f["account"] = f"acct-missing-{index:06d}"
        f.pop("contacts", None)
        for act in f.get("activities", []):
            act.pop("contact", None)
        return "account"
    if rule == "unknown-contact":
        items = f["contacts"]
        j = rng.randrange(len(items))
        old = items[j]["contact"]
        items[j]["contact"] = f"cont-missing-{index:06d}"
        others = [it["contact"] for k, it in enumerate(items) if k != j]
        for act in f.get("activities", []):
            if act.get("contact") == old:
                if others:
                    act["contact"] = others[0]
                else:
                    del act["contact"]
        return f"contacts[]{j}"
    if rule == "unknown-product":
        items = f["line_items"]
        j = rng.randrange(len(items))
        item = items[j]
        if "sku" in item:
            if "unit_price" not in item:
                item["unit_price"] = prices[item["sku"]]
            new = {"sku": f"DISC-{index:06d}"}
            new.update((k, v) for k, v in item.items() if k != "sku")
        else:
            new = {"sku": f"DISC-{index:06d}", **{k: v for k, v in item.items() if k != "name"}}
        items[j] = new
        return f"line_items[]{j}"
    if rule == "invalid-value":
        if "probability" not in f:
            fields = {}
            for k, v in f.items():
                fields[k] = v
                if k == "close_date":
                    fields["probability"] = 0
            f.clear()
            f.update(fields)
        f["probability"] = 140
        return "probability"
    if rule == "missing-field":
        del f["title"]
        return "@file"
    if rule == "stage-gate":
        total = sum((_line_total(it, prices) for it in f["line_items"]), Decimal(0))
        cents = int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        del f["line_items"]
        f.pop("quote", None)
        f["amount"] = Money(cents)
        return "stage"
    if rule == "yaml-syntax":
        f["title"] = Raw("[unclosed")
        # The YAML parser notices the unclosed bracket on the next line, and reports there.
        return "account"
    raise ValueError(rule)


def _choose_planted(rng: random.Random, stages: Sequence[str]) -> dict[int, str]:
    """Pick about 2% of opportunities and one eligible rule for each."""
    n = len(stages)
    if n == 0:
        return {}
    count = max(1, round(n * PLANT_FRACTION))
    rules = [RULES[k % len(RULES)] for k in range(count)]
    rng.shuffle(rules)
    order = list(range(n))
    rng.shuffle(order)
    chosen: dict[int, str] = {}
    for rule in rules:
        pick = next((i for i in order if i not in chosen and stages[i] in RULE_STAGES[rule]), None)
        if pick is None:
            rule = "invalid-value"
            pick = next((i for i in order if i not in chosen), None)
            if pick is None:
                break
        chosen[pick] = rule
        order.remove(pick)
    return chosen


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a directory")
        if any(out.iterdir()):
            if not force:
                raise FileExistsError(f"{out} is not empty (use --force to overwrite)")
            for name in ("accounts", "contacts", "competitors", "opportunities"):
                if (out / name).is_dir():
                    shutil.rmtree(out / name)
            for name in ("textcrm.yaml", "products.yaml", "planted.json"):
                (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def generate(
    out: Path,
    opportunities: int,
    seed: int = 1,
    today: date = DEFAULT_TODAY,
    planted: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Write a corpus of ``opportunities`` deals into ``out``; return the manifest."""
    if opportunities < 0:
        raise ValueError("opportunities must be >= 0")
    out = Path(out)
    _prepare_out(out, force)
    rng = random.Random(f"textcrm-bench:{seed}")

    # Config and products.
    _write(out / "textcrm.yaml", CONFIG_YAML)
    products = _make_products(rng)
    prices = {p.sku: p.price for p in products}
    _write(out / "products.yaml", _products_yaml(products))

    # Competitors.
    (out / "competitors").mkdir()
    competitor_ids: list[str] = []
    for name, note in COMPETITORS:
        cid = _slug(name)
        competitor_ids.append(cid)
        strengths = rng.sample(BODY_BULLETS, 2)
        text = (
            f"---\nname: {_s(name, flow=False)}\nwebsite: https://{cid}.example.com\n---\n"
            f"# Battlecard: {name}\n\n{note}.\n\n## Where they win\n\n"
            + "".join(f"- {b}\n" for b in strengths)
            + "\n## How we win\n\n- Faster deployment and on-site support.\n"
            "- Open fleet manager API and WMS connectors.\n"
        )
        _write(out / "competitors" / f"{cid}.md", text)

    # Accounts and contacts.
    n_accounts = max(5, round(opportunities / 8))
    (out / "accounts").mkdir()
    (out / "contacts").mkdir()
    accounts: list[Account] = []
    contact_no = 0
    for a, name in enumerate(_account_names(rng, n_accounts), start=1):
        slug = _slug(name)
        acc = Account(f"acct-{a:05d}-{slug}", name, f"{slug}.example", rng.choice(OWNERS))
        city, state, zipcode = rng.choice(CITIES)
        street = f"{rng.randint(10, 9999)} {rng.choice(STREETS)}"
        lines = [
            "---",
            f"name: {_s(name, flow=False)}",
            f"industry: {_s(rng.choice(INDUSTRIES), flow=False)}",
            f"website: https://{acc.domain}",
            f"owner: {acc.owner}",
        ]
        if rng.random() < 0.5:
            lines += ["address: |", f"  {street}", f"  {city}, {state} {zipcode}", "  USA"]
        else:
            lines.append(f"address: {_s(f'{street}, {city}, {state} {zipcode}, USA', flow=False)}")
        lines += ["---", "## Overview", ""]
        lines += _paragraph(rng, rng.randint(2, 4))
        lines += [""] + [f"- {b}" for b in rng.sample(BODY_BULLETS, rng.randint(2, 4))]
        _write(out / "accounts" / f"{acc.id}.md", "\n".join(lines) + "\n")

        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
            contact_no += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            cid = f"cont-{contact_no:06d}-{_slug(first)}-{_slug(last)}"
            acc.contacts.append(cid)
            text = (
                f"---\nname: {first} {last}\naccount: {acc.id}\n"
                f"title: {_s(rng.choice(JOB_TITLES), flow=False)}\n"
                f"email: {first.lower()}.{last.lower()}@{acc.domain}\n"
                f'phone: "+1 {rng.randint(200, 989)} 555 {rng.randint(100, 199):04d}"\n---\n'
                + "\n".join(_paragraph(rng, rng.randint(1, 2)))
                + "\n"
            )
            _write(out / "contacts" / f"{cid}.md", text)
        accounts.append(acc)

    # Opportunities.
    stages = rng.choices(STAGE_KEYS, weights=STAGE_WEIGHTS, k=opportunities)
    chosen = (
        _choose_planted(random.Random(f"textcrm-bench:{seed}:plant"), stages) if planted else {}
    )
    (out / "opportunities").mkdir()
    manifest_items: list[dict[str, Any]] = []
    for i, stage in enumerate(stages, start=1):
        opp = _make_opp(rng, i, stage, accounts, products, competitor_ids, today)
        rule = chosen.get(i - 1)
        anchor = None
        if rule is not None:
            anchor = _plant(
                random.Random(f"textcrm-bench:{seed}:plant:{i}"), rule, opp, i, today, prices
            )
        text, pos = _render_opp(opp)
        path = out / "opportunities" / f"{opp.id}.md"
        _write(path, text)
        if rule is not None:
            if anchor == "@file":
                line = 1
            elif "[]" in anchor:
                key, j = anchor.split("[]")
                line = pos[key + "[]"][int(j)]
            else:
                line = pos[anchor]
            manifest_items.append(
                {"path": f"opportunities/{opp.id}.md", "line": line, "rule": rule}
            )

    manifest_items.sort(key=lambda item: item["path"])
    manifest = {
        "today": today.isoformat(),
        "opportunities": opportunities,
        "planted": manifest_items,
    }
    _write(out / "planted.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to create the corpus in")
    parser.add_argument(
        "--opportunities", "-n", type=int, required=True, help="number of opportunities"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=DEFAULT_TODAY,
        help="reference date, ISO format (default 2026-11-28)",
    )
    parser.add_argument(
        "--planted",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="plant problems in about 2%% of opportunities (default: yes)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite a non-empty OUT")
    args = parser.parse_args(argv)
    try:
        manifest = generate(
            args.out,
            args.opportunities,
            seed=args.seed,
            today=args.today,
            planted=args.planted,
            force=args.force,
        )
    except (FileExistsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {args.opportunities} opportunities to {args.out} "
        f"({len(manifest['planted'])} planted problems)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
