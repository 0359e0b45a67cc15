"""New record files from their templates (`textcrm new`): the id, the values, the render."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm import schema as sc
from textcrm.edit.operations import converted
from textcrm.edit.refusals import EditRefused
from textcrm.edit.write import Edit
from textcrm.encode import yaml_scalar
from textcrm.errors import UsageError
from textcrm.loader import load
from textcrm.repository import Repository

# Days ahead of today for a new opportunity's close date when none is given.
DEFAULT_CLOSE_DAYS = 90


def new_id(kind: str, name: str, account: str | None = None) -> str:
    """The id of a new record: the slug of its name; an opportunity's starts with its account's."""
    base = layout.slug(name)
    if kind == "opportunity" and account and not base.startswith(account):
        base = f"{account}-{base}" if base else account
    return base


def _must_exist(repo: Repository, kind: str, record_id: str, option: str) -> None:
    from textcrm.suggest import did_you_mean as suggest

    if not repo.exists(kind, record_id):
        known = sorted(repo.ids.get(kind, frozenset()))
        raise EditRefused(
            f"{option} {record_id}: no such {kind} "
            f"(no {layout.record_path(kind, record_id)})" + suggest(record_id, known)
        )


def template_path(root: Path, kind: str) -> Path:
    """The new-record template: the CRM repository's own `templates/new/KIND.md` first."""
    from textcrm.render import override, packaged_templates

    name = f"new/{kind}.md"
    own = override(root, name)
    if own is not None:
        return own
    path = packaged_templates() / name
    if path.is_file():
        return path
    raise EditRefused(f"no template new/{kind}.md found")  # pragma: no cover


def _render_template(root: Path, kind: str, **context: Any) -> str:
    """Render the new-record template; a broken override is a message, not a traceback."""
    from textcrm.render import TemplateFailed, render_string

    path = template_path(root, kind)
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EditRefused(f"{shown} cannot be read: {exc}") from None
    try:
        return render_string(source, context, shown)
    except TemplateFailed as exc:
        raise EditRefused(exc.message) from None


def new_record(
    root: Path,
    today: date,
    kind: str,
    name: str,
    options: dict[str, str | None],
    record_id: str | None = None,
) -> Edit:
    """Create a record file from its template; an opportunity's `created` is today, or its
    close date when that is already past, unless given."""
    repo = load(root, today, paths=set(), use_cache=False, run_checks=False).repository
    config = repo.config
    opts = {k: (v.strip() if isinstance(v, str) else v) for k, v in options.items()}
    notes: list[str] = []
    if not name.strip():
        raise UsageError("give the new record a name")
    if opts.get("account"):
        _must_exist(repo, "account", str(opts["account"]), "--account")
    if opts.get("contact"):
        _must_exist(repo, "contact", str(opts["contact"]), "--contact")
    owner = opts.get("owner")
    if owner and config.owners is not None and config.owner(owner) is None:
        from textcrm.suggest import did_you_mean as suggest

        keys = [o.key for o in config.owners]
        raise EditRefused(
            f"--owner {owner}: not one of textcrm.yaml's owners "
            f"({', '.join(keys)})" + suggest(owner, keys)
        )
    values: dict[str, str] = {"name" if kind != "opportunity" else "title": name.strip()}
    if kind == "opportunity":
        stage_key = opts.get("stage") or config.open_stages[0].key
        stage = config.stage(stage_key)
        if stage is None:
            from textcrm.suggest import did_you_mean as suggest

            keys = [s.key for s in config.stages]
            raise UsageError(
                f"--stage {stage_key}: not a stage in textcrm.yaml"
                + suggest(stage_key, keys)
                + f" (stages: {', '.join(keys)})"
            )
        if not opts.get("amount") and stage.is_open:
            raise UsageError(
                "an open opportunity needs an estimate: pass --amount "
                "(list products as line_items in the file later)"
            )
        close = opts.get("close_date")
        if not close:
            close = (today + timedelta(days=DEFAULT_CLOSE_DAYS)).isoformat()
            notes.append(
                f"close_date set to {close} ({DEFAULT_CLOSE_DAYS} days from today); "
                "change it with `textcrm set`"
            )
        created = opts.get("created")
        if created:
            converted("created", created)
        else:
            created = today.isoformat()
            if stage.outcome and converted("close_date", close) < today:
                # A closed deal entered after the fact cannot have been created after it
                # closed: that would be a negative sales cycle.
                created = close
                notes.append(
                    f"created set to the close date {created}; give --created for the day "
                    "the deal was opened"
                )
        values.update(stage=stage.key, close_date=close, created=created)
        for key in ("account", "owner", "amount", "contact"):
            if opts.get(key):
                values[key] = str(opts[key])
        for key in ("close_date", "amount"):
            converted(key, values[key])
    else:
        values.update({k: str(v) for k, v in opts.items() if v})
    rid = record_id or new_id(kind, name, opts.get("account"))
    if not rid or layout.slug(rid) != rid:
        raise UsageError(
            f"`{rid or name}` does not make a usable id; pass --id "
            "(lower-case letters, digits and hyphens)"
        )
    path = layout.record_path(kind, rid)
    if repo.exists(kind, rid) or (root / path).exists():
        raise EditRefused(
            f"{path} already exists; not overwritten (pass --id to choose another id)"
        )
    literal = {"close_date", "created", "amount"}
    # `contact` sits inside a flow mapping in the template, where commas would split it.
    yaml_values = {
        k: yaml_scalar(v, flow=k == "contact", literal=k in literal) for k, v in values.items()
    }
    text = _render_template(
        root,
        kind,
        raw=values,
        id=rid,
        **{k: yaml_values.get(k, "") for k in sc.NEW_RECORD_VALUES[kind]},
    )
    label = "title" if kind == "opportunity" else "name"

    def expect(record: Any) -> str | None:
        if getattr(record, label) != values[label]:
            return f"the {label} does not read back as written"
        return None

    return Edit(path, None, text.encode("utf-8"), f"new {kind} {rid}", tuple(notes), expect)
