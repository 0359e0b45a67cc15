"""A record file's bytes to its model record: decode, split, compose, convert, report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textcrm import schema as sc
from textcrm.diagnostics import Diagnostic
from textcrm.model import (
    Account,
    Competitor,
    Config,
    Contact,
    Opportunity,
    Product,
    Stage,
    record_maker,
)
from textcrm.parse.records import (
    _missing,
    read_mapping,
)
from textcrm.parse.values import (
    NODE_BUDGET,
    BudgetExceeded,
    Context,
)
from textcrm.source import decode, split
from textcrm.suggest import did_you_mean as suggest
from textcrm.yamlnodes import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    compose,
    is_null,
)


def _quota_owner_keys(config_node: MappingNode) -> list[Node]:
    """The owner key nodes under `quotas.owners` and each `quotas.periods.*.owners`."""

    def child(node: Node, name: str) -> Node | None:
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and str(k.value) == name:
                    return v
        return None

    quotas = child(config_node, "quotas")
    if quotas is None:
        return []
    owner_maps = [child(quotas, "owners")]
    periods = child(quotas, "periods")
    if isinstance(periods, MappingNode):
        owner_maps += [child(v, "owners") for _, v in periods.value]
    return [
        k
        for m in owner_maps
        if isinstance(m, MappingNode)
        for k, _ in m.value
        if isinstance(k, ScalarNode)
    ]


def _front(path: str, data: bytes) -> tuple[Context, Node | None, str, int] | list[Diagnostic]:
    """Decode, split and compose a record file; a list of diagnostics when that fails."""
    text, problem = decode(path, data)
    if problem is not None or text is None:
        return [problem] if problem else []
    source, problem = split(path, text)
    if problem is not None or source is None:
        return [problem] if problem else []
    return _compose(path, source.front, source.front_line, source.body, source.body_line)


def _compose(
    path: str, front: str, first_line: int, body: str = "", body_line: int = 1
) -> tuple[Context, Node | None, str, int] | list[Diagnostic]:
    node, yaml_problem = compose(front)
    if yaml_problem is not None:
        line = yaml_problem.line + first_line
        message = yaml_problem.message
        if yaml_problem.context:
            start = yaml_problem.context_line + first_line
            message += f" ({yaml_problem.context} that started on line {start})"
        return [
            Diagnostic(
                path,
                line,
                yaml_problem.column + 1,
                "yaml-syntax",
                "error",
                f"invalid YAML: {message}",
            )
        ]
    ctx = Context(path, first_line)
    return ctx, node, body, body_line


def _top_mapping(ctx: Context, node: Node | None, what: str) -> bool:
    if isinstance(node, MappingNode):
        return True
    found = (
        "empty"
        if node is None or is_null(node)
        else ("a list" if isinstance(node, SequenceNode) else "a single value")
    )
    ctx.diagnostics.append(
        Diagnostic(
            ctx.path,
            1,
            1,
            "front-matter-missing",
            "error",
            f"the front matter is {found}; {what} needs a mapping of fields (`key: value` lines)",
        )
    )
    return False


_RECORD_KINDS: dict[str, tuple[sc.Record, Callable[[dict[str, Any]], Any]]] = {
    "opportunity": (sc.OPPORTUNITY, record_maker(Opportunity)),
    "account": (sc.ACCOUNT, record_maker(Account)),
    "contact": (sc.CONTACT, record_maker(Contact)),
    "competitor": (sc.COMPETITOR, record_maker(Competitor)),
}


def parse_record(kind: str, path: str, record_id: str, data: bytes) -> tuple[Any, list[Diagnostic]]:
    """Parse an opportunity, account, contact or competitor file into its model record."""
    spec, make_record = _RECORD_KINDS[kind]
    front = _front(path, data)
    if isinstance(front, list):
        return None, front
    ctx, node, body, body_line = front
    if not _top_mapping(ctx, node, f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"):
        return None, ctx.diagnostics
    assert node is not None
    failed: set[str] = set()
    try:
        result = read_mapping(node, spec, ctx, kind, top=True, failed=failed)
    except BudgetExceeded:
        return None, [_bomb(path)]
    if result is None:
        return None, ctx.diagnostics
    values, lines = result
    if kind != "opportunity" and _missing(values, spec):
        return None, ctx.diagnostics
    if kind == "opportunity":
        values["invalid"] = tuple(sorted(failed))
    values["id"] = record_id
    values["path"] = path
    values["body"] = body
    values["body_line"] = body_line
    values["lines"] = lines
    return make_record(values), ctx.diagnostics


def _bomb(path: str) -> Diagnostic:
    return Diagnostic(
        path,
        1,
        1,
        "yaml-syntax",
        "error",
        f"the front matter expands to more than {NODE_BUDGET:,} values (aliases used as a "
        '"billion laughs" bomb?); write the values out',
    )


def parse_catalog(path: str, data: bytes) -> tuple[tuple[Product, ...], list[Diagnostic]]:
    """Parse products.yaml (a plain YAML file: `products:` and a list of products)."""
    text, problem = decode(path, data)
    if problem is not None or text is None:
        return (), [problem] if problem else []
    composed = _compose(path, text, 1)
    if isinstance(composed, list):
        return (), composed
    ctx, node, _, _ = composed
    if node is None or is_null(node):
        return (), []
    try:
        result = read_mapping(node, sc.CATALOG, ctx, "products.yaml", top=True)
    except BudgetExceeded:
        return (), [_bomb(path)]
    if result is None:
        return (), ctx.diagnostics
    return tuple(result[0].get("products", ())), ctx.diagnostics


def parse_config(path: str, data: bytes) -> tuple[Config | None, list[Diagnostic]]:
    """Parse textcrm.yaml; any error diagnostic means the configuration cannot be used."""
    text, problem = decode(path, data)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    composed = _compose(path, text, 1)
    if isinstance(composed, list):
        return None, composed
    ctx, node, _, _ = composed
    if not isinstance(node, MappingNode):
        ctx.diagnostics.append(
            Diagnostic(
                path,
                1,
                1,
                "invalid-value",
                "error",
                "textcrm.yaml must be a mapping with at least `stages:`",
            )
        )
        return None, ctx.diagnostics
    try:
        result = read_mapping(node, sc.CONFIG, ctx, "textcrm.yaml", top=True)
    except BudgetExceeded:
        return None, [_bomb(path)]
    if result is None:
        return None, ctx.diagnostics
    values, lines = result
    stages: tuple[Stage, ...] = values.pop("stages", ())
    seen: dict[str, int] = {}
    for stage in stages:
        if stage.key in seen:
            ctx.diagnostics.append(
                Diagnostic(
                    path,
                    stage.line,
                    1,
                    "invalid-value",
                    "error",
                    f"stage `{stage.key}` is listed twice (first on line {seen[stage.key]})",
                )
            )
        seen.setdefault(stage.key, stage.line)
    if "stages" in lines and not stages:
        ctx.diagnostics.append(
            Diagnostic(
                path,
                lines["stages"],
                1,
                "missing-field",
                "error",
                "stages is empty; list the sales process's stages in order",
            )
        )
    owner_keys = [o.key for o in values.get("owners") or ()]
    if owner_keys and "quotas" in values:
        for key_node in _quota_owner_keys(node):
            key = str(key_node.value).strip()
            if key not in owner_keys:
                ctx.report(
                    key_node,
                    "invalid-value",
                    f"quotas: `{key}` is not one of `owners`" + suggest(key, owner_keys),
                )
    if any(d.severity == "error" for d in ctx.diagnostics) or not stages:
        return None, ctx.diagnostics
    return Config(stages=stages, **values), ctx.diagnostics
