"""Generative: repositories built from the format's own field definitions (schema.py), with
values drawn up to the edges of every documented limit.

Whatever `check` accepts without an error, every read-only command handles (exit 0 or 1, never
a traceback); with one invalid value per record, each command either works or stops with
exit 1 or 2 and names a problem.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git, write_files
from textcrm import schema as sc
from textcrm.cli import cli
from textcrm.money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS
from textcrm.rules import RULES

TODAY = "2026-11-28"
STAGES = """\
stages:
  - {key: prospecting,   name: Prospecting,   probability: 10,  forecast: pipeline}
  - {key: proposal,      name: Proposal,      probability: 60,  forecast: best_case, requires: [line_items, contacts]}
  - {key: negotiation,   name: Negotiation,   probability: 80,  forecast: commit,    requires: [quote], stale_after_days: 3650}
  - {key: closed-won,    name: Closed Won,    probability: 100, forecast: closed,  outcome: won}
  - {key: closed-lost,   name: Closed Lost,   probability: 0,   forecast: omitted, outcome: lost, requires: [lost_reason]}
"""
STAGE_KEYS = ("prospecting", "proposal", "negotiation", "closed-won", "closed-lost")
OWNERS = ("alice", "bob")
# Rules about the state of the deals (not about reading the files): warnings here, so that
# `check` accepts most drawn repositories and the commands get to run on them.
READING_RULES = ("missing-field", "invalid-value")
DEAL_RULES = tuple(c for c, r in RULES.items() if r.configurable and c not in READING_RULES)
CURRENCIES = ("USD", "EUR", "JPY", "KWD", "CLF")
LOCALES = ("en_US", "en-US", "de_DE", "fr_CH", "ja_JP", "hi_IN", "ar_EG")
EDGE_TEXT = (
    "<script>alert(1)</script>",
    "a & b \"quoted\" 'single'",
    "=SUM(A1)",
    "line\nbreak",
    "tab\there",
    "sep\u2028arator\x85nel",
    "{{ jinja }} {% x %}",
    "BEGIN:VEVENT;x,y\\z",
    "emoji \U0001f680 é ß 漢字",
    "NO",
    "12:30",
    "- [ ] *x* `y`",
)


@dataclass
class Ids:
    """The ids every reference may point at."""

    account: tuple[str, ...]
    contact: tuple[str, ...]
    competitor: tuple[str, ...]
    product: tuple[str, ...]


@dataclass
class Drawn:
    """A drawn repository: its files by path."""

    files: dict[str, str] = field(default_factory=dict)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar: printable ASCII as is, anything else escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


# Never blank: a required text that is only white space is reported as empty.
texts = st.one_of(
    st.sampled_from(EDGE_TEXT),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12),
).filter(str.strip)


@st.composite
def decimals(draw: st.DrawFn, positive: bool = False) -> str:
    """A decimal within the documented digits, often at their edges."""
    edge = draw(st.sampled_from(["", "max", "min", "fraction"]))
    if edge == "max":
        return "9" * MAX_INTEGER_DIGITS + "." + "9" * MAX_FRACTION_DIGITS
    if edge == "min":
        return "0." + "0" * (MAX_FRACTION_DIGITS - 1) + "1" if positive else "0"
    whole = draw(st.integers(0, 10**MAX_INTEGER_DIGITS - 1))
    places = draw(st.integers(0, MAX_FRACTION_DIGITS))
    fraction = draw(st.integers(0, 10**places - 1)) if places else 0
    text = f"{whole}.{fraction:0{places}d}" if places else str(whole)
    if positive and whole == 0 and fraction == 0:
        return "1"
    return text


@st.composite
def percents(draw: st.DrawFn) -> str:
    whole = draw(st.sampled_from([0, 100]) | st.integers(0, 100))
    places = 0 if whole == 100 else draw(st.integers(0, MAX_FRACTION_DIGITS))
    text = f"{whole}.{draw(st.integers(0, 10**places - 1)):0{places}d}" if places else str(whole)
    return text + draw(st.sampled_from(["", "%", " %"]))


def value(t: sc.Type, ids: Ids) -> st.SearchStrategy[str]:
    """The YAML text of a valid value of type `t`."""
    k = t.kind
    if k in ("string", "text"):
        return texts.map(quoted)
    if k == "date":
        days = st.dates(sc.EARLIEST_DATE, sc.LATEST_DATE)
        return (st.sampled_from([sc.EARLIEST_DATE, sc.LATEST_DATE, date(2026, 11, 28)]) | days).map(
            date.isoformat
        )
    if k == "money":
        return decimals()
    if k == "quantity":
        return decimals(positive=True)
    if k == "percent":
        return percents()
    if k == "discount":
        return percents().map(lambda p: p.rstrip(" %") + "%") | decimals()
    if k == "integer":
        low, high = t.minimum or 0, t.maximum if t.maximum is not None else 10**6
        return (st.sampled_from([low, high]) | st.integers(low, high)).map(str)
    if k == "bool":
        return st.sampled_from(["true", "false"])
    if k == "currency":
        return st.sampled_from(CURRENCIES)
    if k == "enum":
        return st.sampled_from(t.choices)
    if k == "ref":
        assert t.ref is not None
        return st.sampled_from(getattr(ids, t.ref)).map(quoted)
    if k == "owner":
        return st.sampled_from(OWNERS)
    if k == "stage":
        return st.sampled_from(STAGE_KEYS)
    if k == "locale":
        return st.sampled_from(LOCALES)
    if k == "timezone":
        return st.sampled_from(["UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Chatham"])
    if k == "edit_url":
        return st.just(quoted("https://git.example/crm/edit/main/{path}"))
    if k == "list":
        assert t.item is not None
        return st.lists(value(t.item, ids), max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    if k == "records":
        assert t.record is not None
        return st.lists(mapping(t.record, ids), min_size=1, max_size=3).map(
            lambda xs: "[" + ", ".join(xs) + "]"
        )
    if k == "record":
        assert t.record is not None
        return mapping(t.record, ids)
    raise AssertionError(k)


def invalid(t: sc.Type) -> st.SearchStrategy[str]:
    """The YAML text of a value that does not fit type `t` (or its limits)."""
    k = t.kind
    if k == "date":
        return st.sampled_from(["2026-02-30", "1899-12-31", "2201-01-01", "9999-12-31", "soon"])
    if k in ("money", "quantity", "discount"):
        return st.sampled_from(["-1", "1" + "0" * 15, "0.12345678901", "lots", "1e3"])
    if k == "percent":
        return st.sampled_from(["101", "-5%", "50.000000000001", "half"])
    if k == "integer":
        return st.sampled_from([str((t.maximum or 10**6) + 1), "-5", "9" * 40, "1.5"])
    if k == "bool":
        return st.just("maybe")
    if k == "enum":
        return st.just("bogus")
    if k == "currency":
        return st.sampled_from(["usd", "XXX1"])
    if k == "locale":
        return st.sampled_from(["xx-Nope", "english"])
    if k == "timezone":
        return st.sampled_from(["Mars/Olympus", "UTC+25"])
    if k == "edit_url":
        return st.just(quoted("ftp://git.example/edit"))
    if k in ("list", "records"):
        return st.just("{a: 1}")
    if k == "record":
        return st.sampled_from(["just text", "[1, 2]"])
    return st.sampled_from(["[a, b]", "{a: 1}"])


def chosen_fields(draw: st.DrawFn, rec: sc.Record) -> list[sc.Field]:
    """Required fields always, others sometimes, and what the rules across fields ask: a
    custom line item has a name and a price, an open opportunity an amount."""
    chosen = [f for f in rec.fields if f.required or draw(st.booleans())]
    needed: tuple[str, ...] = ()
    if rec is sc.LINE_ITEM and rec.by_name["sku"] not in chosen:
        needed = ("name", "unit_price")
    if rec is sc.OPPORTUNITY:
        needed = ("amount",)
    return chosen + [rec.by_name[n] for n in needed if rec.by_name[n] not in chosen]


@st.composite
def mapping(
    draw: st.DrawFn,
    rec: sc.Record,
    ids: Ids,
    break_one: bool = False,
    fixed: dict[str, str] | None = None,
) -> str:
    """A flow mapping of `rec`'s fields; `fixed` gives some values outright."""
    chosen = chosen_fields(draw, rec)
    parts = {f.name: draw(value(f.type, ids)) for f in chosen}
    parts.update(fixed or {})
    if break_one:
        target = draw(st.sampled_from(chosen))
        parts[target.name] = draw(invalid(target.type))
    return "{" + ", ".join(f"{k}: {v}" for k, v in parts.items()) + "}"


@st.composite
def front_matter(draw: st.DrawFn, rec: sc.Record, ids: Ids, break_one: bool) -> str:
    """A record file: block-style front matter from `rec`'s fields, and a Markdown body."""
    chosen = chosen_fields(draw, rec)
    lines = {f.name: draw(value(f.type, ids)) for f in chosen}
    if break_one:
        target = draw(st.sampled_from(chosen))
        nested = target.type.record
        if nested is not None and draw(st.booleans()):
            item = draw(mapping(nested, ids, break_one=True))
            lines[target.name] = f"[{item}]" if target.type.kind == "records" else item
        else:
            lines[target.name] = draw(invalid(target.type))
    body = draw(st.sampled_from(["", "Notes.\n", "# Plan\n\n- [x] *call* <b>them</b>\n"]))
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in lines.items()) + "---\n" + body


@st.composite
def config(draw: st.DrawFn, break_one: bool) -> str:
    """textcrm.yaml: drawn settings, a seller for quotes, the deal rules as warnings."""
    settings_ = {
        f.name: draw(value(f.type, IDS_NONE))
        for f in sc.CONFIG.fields
        if f.type.kind not in STRUCTURED_SETTINGS and draw(st.booleans())
    }
    rates = draw(st.dictionaries(st.sampled_from(CURRENCIES), decimals(positive=True), max_size=3))
    if break_one:
        name = draw(st.sampled_from(SETTINGS_DRAWN))
        settings_[name] = draw(invalid(sc.CONFIG.by_name[name].type))
    text = "".join(f"{k}: {v}\n" for k, v in settings_.items())
    text += f"owners: [{', '.join(OWNERS)}]\n"
    if rates:
        text += "rates: {" + ", ".join(f"{c}: {r}" for c, r in rates.items()) + "}\n"
    text += "rules: {" + ", ".join(f"{r}: warning" for r in DEAL_RULES) + "}\n"
    text += 'company: {name: "Northwind \\u2028 <Robotics>", address: "1 Way\\nOakland"}\n'
    return text + STAGES


IDS_NONE = Ids((), (), (), ())
# Settings written out by `config` itself rather than drawn one by one.
STRUCTURED_SETTINGS = ("owners", "records", "rules", "record", "rates", "mapping")
SETTINGS_DRAWN = tuple(f.name for f in sc.CONFIG.fields if f.type.kind not in STRUCTURED_SETTINGS)


@st.composite
def repositories(draw: st.DrawFn, break_each: bool = False) -> Drawn:
    """A whole CRM repository drawn from the schema; with `break_each`, one invalid value in
    each record (and perhaps in textcrm.yaml)."""
    count = {k: draw(st.integers(1, 2)) for k in ("account", "contact", "competitor", "product")}
    ids = Ids(
        tuple(f"acct-{i}" for i in range(count["account"])),
        tuple(f"person-{i}" for i in range(count["contact"])),
        tuple(f"rival-{i}" for i in range(count["competitor"])),
        tuple(f"SKU-{i}" for i in range(count["product"])),
    )
    drawn = Drawn()
    drawn.files["textcrm.yaml"] = draw(config(break_each and draw(st.booleans())))
    products = [draw(mapping(sc.PRODUCT, ids, fixed={"sku": sku})) for sku in ids.product]
    drawn.files["products.yaml"] = "products:\n" + "".join(f"  - {p}\n" for p in products)
    for kind, rec, folder in (
        ("account", sc.ACCOUNT, "accounts"),
        ("contact", sc.CONTACT, "contacts"),
        ("competitor", sc.COMPETITOR, "competitors"),
    ):
        for rid in getattr(ids, kind):
            drawn.files[f"{folder}/{rid}.md"] = draw(front_matter(rec, ids, break_each))
    for i in range(draw(st.integers(1, 3))):
        drawn.files[f"opportunities/deal-{i}.md"] = draw(
            front_matter(sc.OPPORTUNITY, ids, break_each)
        )
    return drawn


# --- running the commands -----------------------------------------------------------------


def invoke(args: list[str]) -> Result:
    """Run the CLI in-process; a traceback (any exception but SystemExit) fails the test."""
    result = CliRunner().invoke(cli, args, env={"NO_COLOR": "1"}, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"textcrm {' '.join(args)} crashed") from result.exception
    return result


def read_only_commands(root: Path, out: Path) -> list[list[str]]:
    r, t = ["--root", str(root)], ["--today", TODAY]
    return [
        ["list", *r, *t],
        ["list", *r, *t, "--format", "json"],
        ["show", "deal-0", *r, *t],
        ["show", "deal-0", *r, *t, "--format", "json"],
        ["pipeline", *r, *t],
        ["forecast", *r, *t],
        ["attention", *r, *t],
        ["export", *r, *t, "--format", "csv"],
        ["export", *r, *t, "--format", "json", "--kind", "line-items"],
        ["export", *r, *t, "--format", "csv", "--kind", "activities"],
        ["calendar", *r, *t],
        ["stages", *r],
        ["build", *r, *t, "-o", str(out / "site"), "-j", "1", "--no-cache"],
        ["quote", "deal-0", *r, "-o", str(out / "quote.html")],
    ]


def history_commands(root: Path) -> list[list[str]]:
    """A git copy with two commits; `history` and `changes` read it."""
    copy = root.parent / "git-copy"
    shutil.copytree(root, copy)
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "first", env={"GIT_AUTHOR_DATE": "2026-11-01T10:00:00"})
    deal = copy / "opportunities" / "deal-0.md"
    deal.write_text(deal.read_text(encoding="utf-8") + "More notes.\n", encoding="utf-8")
    git(copy, "commit", "-q", "-am", "second", env={"GIT_AUTHOR_DATE": "2026-11-20T10:00:00"})
    r = ["--root", str(copy), "--today", TODAY]
    return [
        ["history", "deal-0", *r, "--no-cache"],
        ["history", "deal-0", *r, "--no-cache", "--format", "json"],
        ["changes", "--since", "HEAD~1", *r, "--no-cache"],
        ["changes", "--since", "2026-11-02", *r, "--no-cache", "--format", "json"],
    ]


def in_tmp(test: Callable[[Drawn, Path], None], drawn: Drawn) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "crm"
        write_files(root, dict(drawn.files))
        test(drawn, root)


def check_problems(root: Path) -> tuple[int, list[dict]]:
    result = invoke(["check", "--root", str(root), "--today", TODAY, "--format", "json"])
    if result.exit_code == 2:
        return 2, []
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["problems"]


SETTINGS = settings(
    max_examples=int(os.environ.get("TEXTCRM_GENERATIVE_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@SETTINGS
@given(repositories())
def test_whatever_check_accepts_every_command_handles(drawn: Drawn) -> None:
    def run(drawn: Drawn, root: Path) -> None:
        code, found = check_problems(root)
        errors = [p for p in found if p["severity"] == "error"]
        assert code != 2, "a drawn textcrm.yaml is valid"
        if errors:
            # Only the rules on reading files are errors here: a drawn value broke one.
            raise AssertionError(f"check refused a repository drawn within the limits: {errors}")
        for args in [*read_only_commands(root, root.parent), *history_commands(root)]:
            result = invoke(args)
            assert result.exit_code in (0, 1), (args, result.output)

    in_tmp(run, drawn)


@pytest.mark.slow
@SETTINGS
@given(repositories(break_each=True), st.booleans())
def test_one_invalid_value_per_record_is_named_or_handled(drawn: Drawn, lenient: bool) -> None:
    if lenient:  # the reading rules as warnings: check accepts partial records
        text = drawn.files["textcrm.yaml"]
        drawn.files["textcrm.yaml"] = text.replace(
            "rules: {", "rules: {invalid-value: warning, missing-field: warning, ", 1
        )

    def run(drawn: Drawn, root: Path) -> None:
        code, found = check_problems(root)
        if code == 2:
            config_problem = invoke(["check", "--root", str(root), "--today", TODAY]).output
            assert "textcrm.yaml" in config_problem
        else:  # each record's invalid value is reported in that record's file
            reported = {p["path"] for p in found}
            assert {p for p in drawn.files if p.endswith(".md")} <= reported, found
        for args in [*read_only_commands(root, root.parent), *history_commands(root)]:
            result = invoke(args)
            assert result.exit_code in (0, 1, 2), (args, result.output)
            if code == 2 and args[0] not in ("quote", "history", "changes"):
                # A broken textcrm.yaml stops every command with its located problem.
                assert result.exit_code == 2, (args, result.output)
                assert "textcrm.yaml:" in result.output, (args, result.output)
            elif result.exit_code != 0:
                assert "error" in result.output, (args, result.output)

    in_tmp(run, drawn)


def test_every_field_kind_of_the_schema_is_drawn() -> None:
    """The strategies cover every kind the schema uses, so a new kind cannot go untested."""
    kinds: set[str] = set()

    def walk(rec: sc.Record) -> None:
        for f in rec.fields:
            kinds.add(f.type.kind)
            if f.type.item is not None:
                kinds.add(f.type.item.kind)
            if f.type.record is not None:
                walk(f.type.record)

    for rec in (sc.OPPORTUNITY, sc.ACCOUNT, sc.CONTACT, sc.COMPETITOR, sc.PRODUCT):
        walk(rec)
    for name in SETTINGS_DRAWN:
        kinds.add(sc.CONFIG.by_name[name].type.kind)
    for kind in sorted(kinds):
        t = sc.Type(kind, choices=("a",), ref="account", item=sc.S, record=sc.OWNER)
        ids = Ids(("a",), ("c",), ("r",), ("S",))
        assert value(t, ids) is not None
        assert invalid(t) is not None
    assert {"stage-gate", "stale", "created-after-close"} <= set(DEAL_RULES)
