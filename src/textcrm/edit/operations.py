"""The edits of one opportunity: log an activity, set a field, move a stage, pin catalog prices."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from textcrm import schema as sc
from textcrm.diagnostics import Diagnostic
from textcrm.edit.refusals import EditRefused
from textcrm.edit.roundtrip import Document
from textcrm.edit.write import Edit
from textcrm.encode import yaml_scalar
from textcrm.errors import UsageError
from textcrm.loader import DiskReader, load, read_value
from textcrm.model import Activity, Opportunity, Product
from textcrm.repository import Repository

# Scalar fields `textcrm set` may change, and the ones it sends elsewhere.
SETTABLE = tuple(
    f.name
    for f in sc.OPPORTUNITY.fields
    if f.type.kind not in ("list", "records", "record") and f.name != "stage"
)


@dataclass(frozen=True)
class Target:
    """The opportunity an edit is about, with the repository and the file's bytes as read."""

    repo: Repository
    opp: Opportunity
    data: bytes


def read_bytes(root: Path, relpath: str) -> bytes:
    """A record file's bytes, or EditRefused when it cannot be read."""
    found = DiskReader(root).read(relpath)
    if isinstance(found, Diagnostic):
        raise EditRefused(f"{relpath} {found.message}")
    return found


def open_opportunity(root: Path, today: date, name: str) -> Target:
    """Find the opportunity `name` designates (see lookup.locate_opportunity), read its file."""
    from textcrm.lookup import AmbiguousName, locate_opportunity

    try:
        repo, opp = locate_opportunity(root, today, name)
    except AmbiguousName as exc:
        raise UsageError(f"{exc.message}; nothing changed") from None
    return Target(repo, opp, read_bytes(root, opp.path))


def _finish(
    target: Target,
    doc: Document,
    summary: str,
    notes: Iterable[str] = (),
    expect: Callable[[Any], str | None] | None = None,
) -> Edit:
    doc.verify()
    return Edit(target.opp.path, target.data, doc.to_bytes(), summary, tuple(notes), expect)


def converted(name: str, text: str) -> Any:
    """Parse a value typed on the command line as the format requires, or refuse."""
    spec = sc.OPPORTUNITY.by_name.get(name) or sc.ACTIVITY.by_name[name]
    value, problem = read_value(spec, yaml_scalar(text, literal=True))
    if problem:
        raise EditRefused(problem)
    if value is None:
        raise EditRefused(f"{name}: give a value")
    return value


def _literal(name: str) -> bool:
    """Fields whose text is a date, a number or a code, written plain when it parses."""
    kind = sc.OPPORTUNITY.by_name[name].type.kind if name in sc.OPPORTUNITY.by_name else ""
    return kind in ("date", "money", "percent", "quantity", "integer", "currency")


def log_activity(
    target: Target,
    type_: str,
    summary: str | None,
    day: date | str,
    contact: str | None = None,
    follow_up: str | None = None,
    next_step: str | None = None,
    message_id: str | None = None,
    uid: str | None = None,
    quoted_body: str | None = None,
) -> Edit:
    """Append an activity (dated `day`, a date or YYYY-MM-DD text); optionally set follow_up
    and next_step.

    `message_id` and `uid` record the email or calendar event it was logged from;
    `quoted_body` is Markdown added at the end of the file's body (an email's text).
    """
    on: date = converted("date", day) if isinstance(day, str) else day
    # Stored as given but read back trimmed: trim first, so what is written is what is read.
    summary = summary.strip() if summary else summary
    contact = contact.strip() if contact else contact
    doc = Document(target.opp.path, target.data)
    converted("type", type_)
    item: list[tuple[str, str, bool]] = [("date", on.isoformat(), True), ("type", type_, True)]
    if contact:
        item.append(("contact", contact, False))
    if summary:
        item.append(("summary", summary, False))
    if message_id:
        item.append(("message_id", message_id, False))
    if uid:
        item.append(("uid", uid, False))
    doc.append_item("activities", item)
    if quoted_body:
        doc.append_body(quoted_body)
    expected = Activity(
        date=on,
        type=type_,
        contact=contact or "",
        summary=summary or "",
        message_id=message_id or "",
        uid=uid or "",
    )
    follow = converted("follow_up", follow_up) if follow_up else None
    if follow_up:
        doc.set_scalar("follow_up", follow_up.strip(), literal=True)
    if next_step is not None:
        converted("next_step", next_step)
        doc.set_scalar("next_step", next_step)

    def expect(opp: Any) -> str | None:
        got = [replace(a, line=1) for a in opp.activities]
        if expected not in got:
            return "the new activity does not read back as written"
        if follow is not None and opp.follow_up != follow:
            return "follow_up does not read back as written"
        if next_step is not None and opp.next_step != next_step.strip():
            return "next_step does not read back as written"
        return None

    return _finish(target, doc, f"log {type_} on {target.opp.id}", expect=expect)


def set_value(target: Target, name: str, text: str) -> Edit:
    """Set one scalar field of the opportunity to `text`, validated as the format requires."""
    if name == "stage":
        raise UsageError(
            "change the stage with `textcrm move OPPORTUNITY STAGE`: it enforces the stage's gate"
        )
    if name not in SETTABLE:
        from textcrm.suggest import did_you_mean as suggest

        raise UsageError(
            f"`{name}` is not a field `set` can change"
            + suggest(name, list(SETTABLE))
            + f" (fields: {', '.join(SETTABLE)}); edit lists by hand"
        )
    value = converted(name, text)
    doc = Document(target.opp.path, target.data)
    doc.set_scalar(name, text.strip() if _literal(name) else text, literal=_literal(name))

    def expect(opp: Any) -> str | None:
        return None if getattr(opp, name) == value else f"{name} does not read back as written"

    return _finish(target, doc, f"set {name} on {target.opp.id}", expect=expect)


def _pin(target: Target, doc: Document, products: Mapping[str, Product] | None = None) -> int:
    """Write the catalog price (from `products`, else the repository's catalog) into each line
    of the opportunity that takes its price from the catalog; the number of lines pinned."""
    from textcrm.checks.amounts import unpriced_lines
    from textcrm.money import plain

    # Every index first: adding a line to a block item moves the lines of the next ones.
    position = {}  # id(item) -> its rank among the items starting on its line
    for n, item in enumerate(target.opp.line_items):
        position[id(item)] = sum(1 for o in target.opp.line_items[:n] if o.line == item.line)
    found = [
        (doc.item_at_line("line_items", item.line, position[id(item)]), product)
        for item, product in unpriced_lines(target.repo, target.opp, products)
    ]
    for index, product in found:
        if index is None:  # pragma: no cover - the parser's line is the item's first line
            raise EditRefused(f"{doc.path}: cannot find a line item; edit it by hand")
        doc.add_to_item("line_items", index, "unit_price", plain(product.unit_price), True)
    return len(found)


def _lines_note(count: int) -> str:
    lines = "line" if count == 1 else "lines"
    return (
        f"unit_price written into {count} {lines} from the catalog: the deal keeps these "
        "prices when the catalog changes"
    )


def pin_prices(target: Target, products: Mapping[str, Product] | None = None) -> Edit:
    """Write the catalog prices into the lines that still take their price from the catalog."""
    doc = Document(target.opp.path, target.data)
    count = _pin(target, doc, products)
    if not count:
        return Edit(target.opp.path, target.data, target.data, f"pin prices on {target.opp.id}")
    lines = "line" if count == 1 else "lines"
    return _finish(target, doc, f"pin the catalog price of {count} {lines} on {target.opp.id}")


def catalog_at(root: Path, today: date, ref: str) -> Mapping[str, Product]:
    """The catalog (products.yaml) as it was at a commit."""
    from textcrm import git
    from textcrm.errors import GitError

    top = git.toplevel(root)
    commit = git.resolve(top, ref) if top is not None else None
    if commit is None:
        raise UsageError(f"--prices-at {ref}: not a commit in the git repository of {root}")
    try:
        reader = git.GitReader(root, commit=commit, top=top)
        return load(
            root, today, reader, paths=set(), use_cache=False, run_checks=False
        ).repository.products
    except GitError as exc:  # pragma: no cover - git failed between two calls
        raise UsageError(f"--prices-at {ref}: {exc.message}") from None


def pin_targets(root: Path, today: date, names: Iterable[str]) -> list[Target]:
    """The opportunities `pin-prices` works on: the named ones, else every quoted or closed
    deal that has a line taking its price from the catalog."""
    from textcrm.checks.amounts import price_promised, unpriced_lines

    wanted = list(names)
    if wanted:
        return [open_opportunity(root, today, name) for name in wanted]
    repo = load(root, today, run_checks=False).repository
    return [
        Target(repo, opp, read_bytes(root, opp.path))
        for opp in sorted(repo.opportunities.values(), key=lambda o: o.id)
        if price_promised(repo, opp) and unpriced_lines(repo, opp)
    ]


def move_stage(
    target: Target,
    stage_key: str,
    today: date,
    lost_reason: str | None = None,
    close_date: str | None = None,
    keep_probability: bool = False,
) -> Edit:
    """Move the opportunity to another stage, enforcing that stage's gate."""
    from textcrm.checks.stages import missing_for_gate
    from textcrm.money import plain
    from textcrm.suggest import did_you_mean as suggest

    config, opp = target.repo.config, target.opp
    stage = config.stage(stage_key)
    keys = [s.key for s in config.stages]
    if stage is None:
        raise UsageError(
            f"`{stage_key}` is not a stage in textcrm.yaml"
            + suggest(stage_key, keys)
            + f" (stages: {', '.join(keys)})"
        )
    if lost_reason is not None and stage.outcome != "lost":
        raise UsageError(f"--lost-reason is for a lost stage; {stage.key} is not one")
    if stage.key == opp.stage and lost_reason is None and close_date is None:
        raise EditRefused(f"{opp.id} is already in stage {stage.key}; nothing changed")
    after = replace(opp, lost_reason=lost_reason.strip()) if lost_reason else opp
    missing = missing_for_gate(after, stage.requires)
    if missing:
        hints = []
        for m in missing:
            if m == "lost_reason":
                hints.append("pass --lost-reason TEXT")
            elif m in SETTABLE:
                hints.append(f"`textcrm set {opp.id} {m} VALUE`")
        how = f" ({'; '.join(hints)})" if hints else ""
        raise EditRefused(
            f"cannot move {opp.id} to {stage.key}: the stage requires "
            + ", ".join(f"`{m}`" for m in missing)
            + f", missing or empty in {opp.path}; add {'it' if len(missing) == 1 else 'them'}"
            f" first{how}. Nothing changed."
        )
    doc = Document(opp.path, target.data)
    notes = []
    doc.set_scalar("stage", stage.key)
    if opp.has("probability") and not keep_probability:
        doc.set_scalar("probability", plain(stage.probability), literal=True)
        notes.append(
            f"probability set to the stage's {plain(stage.probability)}% "
            "(--keep-probability keeps your own)"
        )
    if close_date is not None:
        converted("close_date", close_date)
        doc.set_scalar("close_date", close_date.strip(), literal=True)
    elif stage.outcome is not None:
        doc.set_scalar("close_date", today.isoformat(), literal=True)
        notes.append(f"close_date set to today, {today.isoformat()} (--close-date to give another)")
    if lost_reason is not None:
        doc.set_scalar("lost_reason", lost_reason.strip())
    if stage.outcome is not None:  # a closed deal's prices never move again
        pinned = _pin(target, doc)
        if pinned:
            notes.append(_lines_note(pinned))
    wanted_reason = lost_reason.strip() if lost_reason is not None else None

    def expect(moved: Any) -> str | None:
        if moved.stage != stage.key:
            return "the stage does not read back as written"
        if wanted_reason is not None and moved.lost_reason != wanted_reason:
            return "lost_reason does not read back as written"
        return None

    return _finish(target, doc, f"move {opp.id} to {stage.key}", notes, expect)
