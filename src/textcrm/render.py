"""Jinja2 environment and template filters; the only importer of jinja2, markdown and nh3.

Templates only lay out values computed in Python; the filters here format them (money with
Babel through `money.format_money`, dates, percentages) and render Markdown notes to HTML that
is sanitized whatever a contributor writes in a file.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markdown as markdown_lib
import nh3

from textcrm.layout import TEMPLATES_DIR, OutsideRepository, resolve_inside
from textcrm.money import format_money, format_number, plain

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "abbr": {"title"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


class _RepositoryTemplates(jinja2.FileSystemLoader):
    """The CRM repository's templates/ overrides, each resolved with `layout.resolve_inside`:
    one that leads outside the repository (a symlink) is skipped, and the shipped template
    of that name is used instead (`textcrm check` reports it)."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root / TEMPLATES_DIR))
        self.root = root

    def _safe(self, name: str) -> bool:
        try:
            resolve_inside(self.root, f"{TEMPLATES_DIR}/{name}")
        except OutsideRepository:
            return False
        return True

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if not self._safe(template):
            raise jinja2.TemplateNotFound(template)
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        return [name for name in super().list_templates() if self._safe(name)]


def override(root: Path | None, name: str) -> Path | None:
    """The repository's own templates/NAME when there is one that stays inside the
    repository, else None (the shipped template is used)."""
    if root is None:
        return None
    try:
        path = resolve_inside(root, f"{TEMPLATES_DIR}/{name}")
    except OutsideRepository:
        return None
    return path if path.is_file() else None


@functools.cache
def packaged_templates() -> Path:
    """The default templates: `textcrm/templates` in an installed wheel, else the checkout's."""
    shipped = Path(str(resources.files("textcrm") / "templates"))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[2] / "templates"


@functools.cache
def _markdown() -> markdown_lib.Markdown:
    # One converter per process, reset between texts: building a new one (loading the
    # extensions) costs more than converting a typical note. Rendering is single-threaded.
    return markdown_lib.Markdown(extensions=["extra", "sane_lists"], output_format="html")


def markdown_to_html(text: str) -> str:
    """Render Markdown notes to sanitized HTML: no script, no event handlers, no javascript:."""
    html = _markdown().reset().convert(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def money_filter(value: Decimal | None, currency: str, locale: str = "en_US") -> str:
    if value is None:
        return ""
    return format_money(value, currency, locale)


def percent_filter(value: Decimal | None) -> str:
    return "" if value is None else f"{plain(value)}%"


def date_filter(value: date | None, fmt: str = "iso") -> str:
    if value is None:
        return ""
    if fmt == "iso":
        return value.isoformat()
    if fmt == "short":
        return f"{value:%b} {value.day}"
    if fmt == "long":
        return f"{value:%B} {value.day}, {value.year}"
    return value.strftime(fmt)


def number_filter(value: Decimal | int | None, locale: str = "en_US") -> str:
    if value is None:
        return ""
    return format_number(Decimal(value), locale)


FILTERS: dict[str, Any] = {
    "money": money_filter,
    "percent": percent_filter,
    "date": date_filter,
    "number": number_filter,
    "plain": lambda v: "" if v is None else plain(v),
}


def _loader(root: Path | None, extra_dirs: list[Path]) -> jinja2.BaseLoader:
    """Extra folders first, then the repository's overrides (kept inside it), then ours."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(extra_dirs)] if extra_dirs else []
    if root is not None and (root / TEMPLATES_DIR).is_dir():
        loaders.append(_RepositoryTemplates(root))
    loaders.append(jinja2.FileSystemLoader(packaged_templates()))
    return jinja2.ChoiceLoader(loaders)


def environment(root: Path | None, extra_dirs: list[Path] | None = None) -> jinja2.Environment:
    """A Jinja2 environment with autoescaping on, strict undefined values, and our filters."""
    env = jinja2.Environment(
        loader=_loader(root, extra_dirs or []),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml", "svg"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.filters["markdown"] = lambda text: jinja2.utils.markupsafe.Markup(markdown_to_html(text))
    return env


def markup(html: str) -> Any:
    """Mark already-safe HTML (sanitized Markdown) so autoescaping leaves it as it is."""
    return jinja2.utils.markupsafe.Markup(html)


# What a template can raise (a broken override in the CRM's own templates/), so that callers
# report it as a user problem without importing jinja2 themselves.
TemplateError = jinja2.TemplateError
TemplateSyntaxError = jinja2.TemplateSyntaxError


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a template by name with a documented view model."""
    return env.get_template(name).render(**context)


def render_string(source: str, **context: Any) -> str:
    """Render a template given as text (for new-record templates), autoescape off."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env.from_string(source).render(**context)
