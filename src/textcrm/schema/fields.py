"""The format's field definitions: one source of truth for the parser, the JSON Schema and docs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

ACTIVITY_TYPES = ("call", "email", "meeting", "demo", "note", "task")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
OUTCOMES = ("won", "lost")
DECISION_STATUSES = ("open", "resolved")
RULE_SEVERITIES = ("error", "warning", "off")
PAPER_SIZES = ("A4", "Letter")
QUOTA_PERIODS = ("month", "quarter")
# Fields a stage may list under `requires` (its gate's exit criteria).
GATE_FIELDS = (
    "amount",
    "close_date",
    "competitors",
    "contacts",
    "created",
    "decision_issues",
    "follow_up",
    "line_items",
    "lost_reason",
    "next_step",
    "probability",
    "quote",
    "tags",
    "activities",
)
# The values a new-record template (templates/new/KIND.md) is given, by kind: what
# `textcrm new` fills in, and what the site's "New ..." links leave blank.
NEW_RECORD_VALUES: dict[str, tuple[str, ...]] = {
    "opportunity": (
        "title",
        "account",
        "owner",
        "stage",
        "close_date",
        "amount",
        "created",
        "contact",
    ),
    "account": ("name", "industry", "website", "owner"),
    "contact": ("name", "account", "title", "email", "phone"),
    "competitor": ("name", "website"),
}
# Keys starting with this prefix are the user's own and never reported as unknown.
EXTENSION_PREFIXES = ("x-", "x_")
# The range of every date a file may give (and of --today): wide enough for any deal, narrow
# enough that a date plus any accepted number of days is still a date every output can print.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)
# The bound of every setting counted in days (ten years) and of an account's head count.
MAX_DAYS = 3650
MAX_EMPLOYEES = 10**9


@dataclass(frozen=True)
class Type:
    """What a value must be. `kind` is one of the names handled by parse.convert."""

    kind: str
    choices: tuple[str, ...] = ()
    ref: str | None = None
    item: Type | None = None
    record: Record | None = None
    minimum: int | None = None
    maximum: int | None = None
    exclusive_minimum: bool = False

    def describe(self) -> str:
        """A short human name of the type, for messages and docs."""
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item.describe()}"
        if self.kind == "records" and self.record is not None:
            return f"list of {self.record.title}"
        if self.kind == "record" and self.record is not None:
            return self.record.title
        if self.kind == "enum":
            return "one of " + ", ".join(self.choices)
        if self.kind == "ref":
            return f"{self.ref} id"
        if self.kind == "integer" and self.maximum is not None:
            return f"whole number, {self.minimum or 0} to {self.maximum:,}"
        return _KIND_NAMES.get(self.kind, self.kind)


_KIND_NAMES = {
    "string": "text",
    "text": "text (may span lines)",
    "date": "date YYYY-MM-DD",
    "money": "amount (exact decimal, >= 0)",
    "percent": "percentage (`60` or `60%`)",
    "quantity": "quantity (decimal, > 0)",
    "integer": "whole number",
    "bool": "true or false",
    "currency": "ISO 4217 currency code",
    "discount": "discount (`5%` or an amount off)",
    "owner": "owner key",
    "stage": "stage key",
    "locale": "locale (`en_US`, `de_DE`)",
    "timezone": "IANA time zone name",
    "edit_url": "URL pattern with `{path}`",
    "amounts": "mapping of owner key to amount",
    "quota_periods": "mapping of period (`2026-Q4` or `2026-12`) to quota override",
}


@dataclass(frozen=True)
class Field:
    """One key of a record: its name, type, whether required, and its documentation."""

    name: str
    type: Type
    required: bool = False
    description: str = ""
    example: Any = None


@dataclass(frozen=True)
class Record:
    """A YAML mapping with known keys."""

    title: str
    fields: tuple[Field, ...]
    description: str = ""
    extensible: bool = True
    # Sets of keys of which one must be given in full (beyond the required ones).
    alternatives: tuple[tuple[str, ...], ...] = ()
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False, hash=False)
    required_fields: tuple[Field, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "required_fields", tuple(f for f in self.fields if f.required))

    def names(self) -> list[str]:
        return [f.name for f in self.fields]


S = Type("string")
TEXT = Type("text")
DATE = Type("date")
MONEY = Type("money")
PERCENT = Type("percent", minimum=0, maximum=100)
QUANTITY = Type("quantity")
BOOL = Type("bool")
CURRENCY = Type("currency")
DISCOUNT = Type("discount")
TAGS = Type("list", item=S)


def ref(kind: str) -> Type:
    return Type("ref", ref=kind)


def records(record: Record) -> Type:
    return Type("records", record=record)


def record(rec: Record) -> Type:
    return Type("record", record=rec)


def enum(*choices: str) -> Type:
    return Type("enum", choices=choices)


SOURCE_ID = Field("source_id", S, description="The record's id in the CRM it was imported from.")

CONTACT_ROLE = Record(
    "contact role",
    (
        Field("contact", ref("contact"), True, "Id of a file in contacts/.", "jane-doe"),
        Field(
            "role",
            S,
            False,
            "The contact's role in the decision (Economic Buyer, Champion, ...).",
            "Economic Buyer",
        ),
        Field("primary", BOOL, False, "The main contact for this opportunity.", True),
        Field("notes", TEXT, False, "Free text."),
    ),
    "A contact involved in the deal and the role they play.",
)

COMPETITOR_ENTRY = Record(
    "competitor entry",
    (
        Field("competitor", ref("competitor"), True, "Id of a file in competitors/.", "globex"),
        Field("status", S, False, "incumbent, active, eliminated, ... (free text).", "incumbent"),
        Field("notes", TEXT, False, "What we know about their offer.", "Cheaper, weak support"),
    ),
    "A competitor in the deal.",
)

DECISION_ISSUE = Record(
    "decision issue",
    (
        Field(
            "issue",
            S,
            True,
            "What must be settled before the customer can decide.",
            "Security review by IT",
        ),
        Field("status", enum(*DECISION_STATUSES), False, "open (default) or resolved.", "open"),
        Field("owner", S, False, "Who drives it (our side or theirs).", "alice"),
        Field("due", DATE, False, "When it must be settled.", "2026-12-05"),
        Field("notes", TEXT, False, "Free text."),
    ),
    "An issue that stands between the customer and a decision.",
)

LINE_ITEM = Record(
    "line item",
    (
        Field(
            "sku",
            ref("product"),
            False,
            "A product sku from products.yaml; omit it for a custom line.",
            "SCN-200",
        ),
        Field(
            "name",
            S,
            False,
            "The line's name; required on a custom line (no sku).",
            "On-site installation",
        ),
        Field("description", TEXT, False, "Overrides the catalog's description."),
        Field("quantity", QUANTITY, True, "How many units (decimals allowed).", 40),
        Field("unit", S, False, "Unit of measure (each, day, seat, year, ...).", "day"),
        Field(
            "unit_price",
            MONEY,
            False,
            "Price per unit; defaults to the catalog's, required on a custom line.",
            1100,
        ),
        Field("discount", DISCOUNT, False, "`5%` off the line, or an amount off the line.", "5%"),
    ),
    "A product or service line; its total is quantity x unit price less discount, rounded.",
    alternatives=(("sku",), ("name", "unit_price")),
)

ACTIVITY = Record(
    "activity",
    (
        Field("date", DATE, True, "When it happened (not in the future).", "2026-11-24"),
        Field("type", enum(*ACTIVITY_TYPES), True, "What kind of activity.", "call"),
        Field("contact", ref("contact"), False, "Who we talked to.", "jane-doe"),
        Field(
            "summary",
            TEXT,
            False,
            "What happened and what was agreed.",
            "Walked through pricing; needs CFO sign-off",
        ),
        Field("owner", S, False, "Who on our side did it (default: the opportunity's owner)."),
        Field(
            "message_id",
            S,
            False,
            "The Message-ID of the email it was logged from (`textcrm log --from-email`); "
            "the same message is never logged twice.",
            "<CAF1x2y3@mail.example>",
        ),
        Field(
            "uid",
            S,
            False,
            "The UID of the calendar event it was logged from (`textcrm log --from-ics`); "
            "an event (or one occurrence of a recurring event) is never logged twice.",
            "040000008200E00074C5B7101A82E008@calendar.example",
        ),
    ),
    "Something that happened on the deal: a call, an email, a meeting, a demo, a note, a task.",
)

QUOTE = Record(
    "quote",
    (
        Field("number", S, True, "The quote number, unique across opportunities.", "Q-2026-0042"),
        Field("date", DATE, True, "The date of issue.", "2026-11-25"),
        Field("valid_until", DATE, True, "The last day the offer stands.", "2026-12-31"),
        Field("terms", S, False, "Payment terms.", "Net 30"),
        Field("tax_rate", PERCENT, False, "Tax applied to the total after discounts.", "8.25%"),
        Field("discount", DISCOUNT, False, "Order-level discount: `10%` or an amount.", "5%"),
        Field("notes", TEXT, False, "Printed at the foot of the quote."),
        Field("currency", CURRENCY, False, "Defaults to the opportunity's currency.", "USD"),
    ),
    "The quote sent to the customer, printed by `textcrm quote`.",
)

OPPORTUNITY = Record(
    "opportunity",
    (
        Field("title", S, True, "What the deal is.", "Acme Corp - warehouse scanners"),
        Field("account", ref("account"), True, "Id of a file in accounts/.", "acme-corp"),
        Field(
            "owner",
            Type("owner"),
            True,
            "Who owns the deal; one of `owners` in textcrm.yaml when that is set.",
            "alice",
        ),
        Field("stage", Type("stage"), True, "A stage key from textcrm.yaml.", "proposal"),
        Field(
            "close_date",
            DATE,
            True,
            "The best current estimate of the close date; the actual date once closed.",
            "2026-12-19",
        ),
        Field("probability", PERCENT, False, "0-100; defaults to the stage's probability.", 60),
        Field(
            "amount",
            MONEY,
            False,
            "Estimated revenue; optional when line_items are given (the lines are the truth).",
            48000,
        ),
        Field("currency", CURRENCY, False, "Defaults to textcrm.yaml's currency.", "USD"),
        Field("created", DATE, False, "When the opportunity was opened.", "2026-10-02"),
        Field(
            "next_step",
            S,
            False,
            "The next thing that will happen.",
            "Send revised quote with volume discount",
        ),
        Field("follow_up", DATE, False, "The firm date of the next follow-up.", "2026-12-02"),
        Field(
            "forecast",
            enum(*FORECAST_CATEGORIES),
            False,
            "Overrides the stage's forecast category for this deal.",
            "commit",
        ),
        Field("tags", TAGS, False, "Free labels.", ["hardware", "expansion"]),
        Field("contacts", records(CONTACT_ROLE), False, "People involved and their roles."),
        Field("competitors", records(COMPETITOR_ENTRY), False, "Who else is in the deal."),
        Field(
            "decision_issues",
            records(DECISION_ISSUE),
            False,
            "What must be settled before the customer decides.",
        ),
        Field("line_items", records(LINE_ITEM), False, "Products and services, the quote's lines."),
        Field("activities", records(ACTIVITY), False, "What happened, newest last (any order)."),
        Field("quote", record(QUOTE), False, "The quote sent to the customer."),
        Field(
            "lost_reason",
            TEXT,
            False,
            "Why the deal was lost (closed-lost stages).",
            "Went with the incumbent",
        ),
        SOURCE_ID,
    ),
    "One opportunity: opportunities/<id>.md.",
)

ACCOUNT = Record(
    "account",
    (
        Field("name", S, True, "The company's name.", "Acme Corp"),
        Field("industry", S, False, "Industry or sector.", "Logistics"),
        Field("website", S, False, "Web address.", "https://acme.example"),
        Field("owner", Type("owner"), False, "The account owner.", "alice"),
        Field("address", TEXT, False, "Postal address, printed on quotes (may span lines)."),
        Field("phone", S, False, "Main phone number."),
        Field("email", S, False, "Main email address."),
        Field("parent", ref("account"), False, "Id of the parent company's account."),
        Field("employees", Type("integer", minimum=0, maximum=MAX_EMPLOYEES), False, "Head count."),
        Field("tags", TAGS, False, "Free labels."),
        SOURCE_ID,
    ),
    "A customer or prospect company: accounts/<id>.md.",
)

CONTACT = Record(
    "contact",
    (
        Field("name", S, True, "Full name.", "Jane Doe"),
        Field(
            "account",
            ref("account"),
            False,
            "Id of the account the contact works for.",
            "acme-corp",
        ),
        Field("title", S, False, "Job title.", "CFO"),
        Field("email", S, False, "Email address.", "jane@acme.example"),
        Field(
            "emails",
            TAGS,
            False,
            "More email addresses of the same person (matched by `textcrm log --from-email`).",
            ["jane.doe@acme.example", "jd@acme-group.example"],
        ),
        Field("phone", S, False, "Phone number."),
        Field("tags", TAGS, False, "Free labels."),
        SOURCE_ID,
    ),
    "A person: contacts/<id>.md.",
)

COMPETITOR = Record(
    "competitor",
    (
        Field("name", S, True, "The competitor's name.", "Globex"),
        Field("website", S, False, "Web address."),
        Field("tags", TAGS, False, "Free labels."),
    ),
    "A competitor; the body is its battlecard: competitors/<id>.md.",
)

PRODUCT = Record(
    "product",
    (
        Field("sku", S, True, "Unique stock-keeping unit, referenced by line items.", "SCN-200"),
        Field("name", S, True, "Product name.", "Handheld scanner"),
        Field("unit_price", MONEY, True, "List price per unit.", 1100),
        Field("unit", S, False, "Unit of measure (each, seat, day, ...).", "each"),
        Field("description", TEXT, False, "Printed on quotes."),
        Field("currency", CURRENCY, False, "Defaults to textcrm.yaml's currency.", "USD"),
        SOURCE_ID,
    ),
    "A catalog entry in products.yaml.",
)

CATALOG = Record(
    "catalog",
    (Field("products", records(PRODUCT), True, "The product catalog."),),
    "products.yaml: the product catalog.",
    extensible=False,
)

STAGE = Record(
    "stage",
    (
        Field("key", S, True, "The id opportunities use in `stage:`.", "proposal"),
        Field("name", S, True, "Display name.", "Proposal"),
        Field("probability", PERCENT, True, "Default probability of closing at this stage.", 60),
        Field("forecast", enum(*FORECAST_CATEGORIES), True, "Forecast category.", "best_case"),
        Field("outcome", enum(*OUTCOMES), False, "Marks a closed stage: won or lost.", "won"),
        Field(
            "requires",
            Type("list", item=enum(*GATE_FIELDS)),
            False,
            "The gate: fields that must be present and non-empty at this stage.",
            ["line_items", "contacts"],
        ),
        Field(
            "stale_after_days",
            Type("integer", minimum=1, maximum=MAX_DAYS),
            False,
            "Days without activity after which a deal in this stage is stale.",
            14,
        ),
        Field(
            "description", TEXT, False, "What the stage means and what must be true to leave it."
        ),
    ),
    "A stage of the sales process.",
    extensible=False,
)

OWNER = Record(
    "owner",
    (
        Field("key", S, True, "The id used in `owner:` fields.", "alice"),
        Field("name", S, False, "Full name.", "Alice Smith"),
        Field("email", S, False, "Email address.", "alice@example.com"),
    ),
    "A member of the sales team.",
    extensible=False,
)

COMPANY = Record(
    "company",
    (
        Field(
            "name", S, True, "Your company's name, printed on quotes.", "Northwind Robotics Inc."
        ),
        Field("address", TEXT, False, "Postal address (may span lines)."),
        Field("email", S, False, "Sales email address."),
        Field("phone", S, False, "Phone number."),
        Field("tax_id", S, False, "Tax or VAT id."),
        Field("website", S, False, "Web address."),
        Field("logo", S, False, "Path of a logo image, relative to the CRM root.", "logo.svg"),
    ),
    "The seller, as printed on quotes.",
    extensible=False,
)

QUOTA_OVERRIDE = Record(
    "quota override",
    (
        Field("team", MONEY, False, "The team's quota for this period.", 600000),
        Field(
            "owners",
            Type("amounts"),
            False,
            "Quotas per owner for this period; owners not named keep their usual quota.",
            {"alice": 300000},
        ),
    ),
    "The quotas of one period that differ from the usual ones, under `quotas.periods`.",
    extensible=False,
)

QUOTAS = Record(
    "quotas",
    (
        Field(
            "period",
            enum(*QUOTA_PERIODS),
            True,
            "What each quota covers: a calendar month or quarter.",
            "quarter",
        ),
        Field(
            "team",
            MONEY,
            False,
            "The team's quota per period (default: the sum of the owners' quotas).",
            500000,
        ),
        Field(
            "owners",
            Type("amounts"),
            False,
            "Quota per period of each owner; one of `owners` when that is set.",
            {"alice": 250000, "bob": 250000},
        ),
        Field(
            "periods",
            Type("quota_periods", record=QUOTA_OVERRIDE),
            False,
            "Overrides for given periods, keyed `2026-Q4` (quarter) or `2026-12` (month).",
        ),
    ),
    "Sales quotas in the reporting currency (`currency`), per owner and for the team, "
    "read by the dashboard and `textcrm forecast` (attainment and coverage).",
    extensible=False,
)

CONFIG = Record(
    "textcrm.yaml",
    (
        Field(
            "currency", CURRENCY, False, "The default and reporting currency (default USD).", "USD"
        ),
        Field(
            "locale",
            Type("locale"),
            False,
            "Locale for money and dates on the site and quotes (default en_US); `en-US` is "
            "read as `en_US`.",
            "en_US",
        ),
        Field(
            "stale_after_days",
            Type("integer", minimum=1, maximum=MAX_DAYS),
            False,
            "Days without activity after which an open deal is stale (default 7).",
            7,
        ),
        Field(
            "follow_up_horizon_days",
            Type("integer", minimum=1, maximum=MAX_DAYS),
            False,
            "A follow_up further ahead than this does not count as firm.",
            30,
        ),
        Field(
            "owners",
            Type("owners"),
            False,
            "The sales team: keys, or {key, name, email}; when set, owner fields must be one.",
        ),
        Field("stages", records(STAGE), True, "The sales process, in pipeline order."),
        Field(
            "rules",
            Type("rules"),
            False,
            "Severity overrides per rule code: error, warning or off.",
            {"amount-mismatch": "error"},
        ),
        Field("company", record(COMPANY), False, "The seller, for quotes."),
        Field("paper", enum(*PAPER_SIZES), False, "Quote paper size (default A4).", "A4"),
        Field(
            "rates",
            Type("rates"),
            False,
            "Exchange rates to the reporting currency: {EUR: 1.08} means 1 EUR = 1.08 USD.",
        ),
        Field("site", Type("mapping"), False, "Site settings: {title: ...}."),
        Field(
            "timezone",
            Type("timezone"),
            False,
            "The IANA time zone that gives logged emails and meetings their date (default UTC).",
            "Europe/Berlin",
        ),
        Field(
            "edit_url",
            Type("edit_url"),
            False,
            "The forge's web-editor URL of a file, `{path}` standing for its path in the CRM; "
            "gives the site its edit and new-record links.",
            "https://github.com/acme/crm/edit/main/{path}",
        ),
        Field(
            "quotas",
            record(QUOTAS),
            False,
            "Sales quotas per owner and for the team, per month or quarter.",
        ),
    ),
    "textcrm.yaml: the sales process and settings.",
    extensible=False,
)

KINDS: dict[str, Record] = {
    "opportunity": OPPORTUNITY,
    "account": ACCOUNT,
    "contact": CONTACT,
    "competitor": COMPETITOR,
    "catalog": CATALOG,
    "config": CONFIG,
}
