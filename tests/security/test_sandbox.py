"""Template overrides are data: a hostile templates/ file cannot run code on a build, a quote,
`textcrm new` or serve, and gets a located message instead of a traceback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, TODAY
from quote_support import QUOTE_CONFIG, opportunity, quote_files

SANDBOX_HINT = "templates are data, not code (see docs/security.md)"


def popen(marker: Path) -> str:
    """The classic escape: from a Jinja2 global to the os module, then a shell command."""
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"


# Other ways out of a plain Jinja2 environment, each of which the sandbox refuses.
ESCAPES = {
    "globals-of-a-function": "{{ lipsum.__globals__['os'].popen('touch {m}').read() }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "format-string": "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
    "attr-filter": (
        "{{ (cycler|attr('__init__')|attr('__globals__'))['os'].popen('touch {m}').read() }}"
    ),
    "mutation": "{% set names = ['a'] %}{{ names.append('b') }}{{ names }}",
}


def build(run, root: Path):
    return run(["build", "--root", str(root), "--today", TODAY, "--no-cache"])


def test_site_override_cannot_run_code(make_repo, run, tmp_path):
    marker = tmp_path / "pwned"
    root = make_repo({"templates/index.html": "<p>Pipeline</p>\n" + popen(marker) + "\n"})
    result = build(run, root)
    assert not marker.exists()
    assert result.exit_code == 2
    assert result.stderr == (
        "textcrm: error: templates/index.html:2: template error: access to attribute '__init__' "
        f"of 'type' object is unsafe; {SANDBOX_HINT}\n"
    )


@pytest.mark.parametrize("payload", ESCAPES.values(), ids=ESCAPES.keys())
def test_every_known_escape_is_refused(make_repo, run, tmp_path, payload):
    marker = tmp_path / "pwned"
    page = '{% extends "base.html" %}{% block main %}' + payload + "{% endblock %}\n"
    root = make_repo({"templates/board.html": page.replace("{m}", str(marker))})
    result = build(run, root)
    assert not marker.exists()
    assert result.exit_code == 2
    assert result.stderr.startswith("textcrm: error: templates/board.html:1: template error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_include_cannot_read_outside_the_templates(make_repo, run, tmp_path, how):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    name = "../../secret.txt" if how == "relative" else str(secret)
    root = make_repo({"templates/board.html": "<p>Board</p>\n{% include '" + name + "' %}\n"})
    result = build(run, root)
    assert result.exit_code == 2
    assert result.stderr == (
        f"textcrm: error: templates/board.html:2: template error: no template {name!r}: a "
        "template can extend or include only the repository's templates/ and textcrm's own\n"
    )
    site = root / "_site"
    assert not any("hunter2" in p.read_text() for p in site.rglob("*.html"))


def test_shipped_templates_build_in_the_sandbox(make_repo, run):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    result = build(run, root)
    assert result.exit_code == 0, result.output
    page = (root / "_site/opportunities/acme.html").read_text()
    assert "<h1>Acme Corp - warehouse scanners" in page


@pytest.mark.parametrize("name", ["popen", "globals-of-a-function", "attr-filter"])
def test_the_payloads_do_run_outside_the_sandbox(tmp_path, name):
    """The control for the tests above: in a plain Jinja2 environment these payloads run."""
    import jinja2

    marker = tmp_path / "pwned"
    payload = popen(marker) if name == "popen" else ESCAPES[name].replace("{m}", str(marker))
    jinja2.Environment().from_string(payload).render()
    assert marker.exists()


def test_new_record_template_cannot_run_code(make_repo, run, tmp_path):
    marker = tmp_path / "pwned"
    root = make_repo({"templates/new/account.md": "---\nname: " + popen(marker) + "\n---\n"})
    result = run(["new", "account", "Hooli", "--root", str(root), "--dry-run"])
    assert not marker.exists()
    assert result.exit_code == 1
    assert result.stderr == (
        "textcrm: error: templates/new/account.md:2: template error: access to attribute "
        f"'__init__' of 'type' object is unsafe; {SANDBOX_HINT}\n"
    )
    assert not (root / "accounts/hooli.md").exists()


def test_quote_override_cannot_run_code(make_repo, run, tmp_path):
    marker = tmp_path / "pwned"
    files = quote_files(opportunity("  - {sku: SCN-200, quantity: 4}\n"))
    files["templates/quote.html"] = "<p>Quote</p>\n<p>" + popen(marker) + "</p>\n"
    root = make_repo(files, config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert not marker.exists()
    assert result.exit_code == 1
    assert result.stderr == (
        "textcrm: error: templates/quote.html:2: template error: access to attribute "
        f"'__init__' of 'type' object is unsafe; {SANDBOX_HINT}\n"
    )
    assert not list(root.glob("Q-*"))


def test_quote_override_breaks_the_site_build_not_the_machine(make_repo, run, tmp_path):
    marker = tmp_path / "pwned"
    files = quote_files(opportunity("  - {sku: SCN-200, quantity: 4}\n"))
    files["templates/quote.html"] = popen(marker) + "\n"
    root = make_repo(files, config=QUOTE_CONFIG)
    result = build(run, root)
    assert not marker.exists()
    assert result.exit_code == 2
    assert result.stderr.startswith("textcrm: error: templates/quote.html:1: template error: ")


def test_serve_reports_a_refused_template_and_keeps_serving(make_repo, tmp_path):
    from textcrm.site.serve import Session

    marker = tmp_path / "pwned"
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    session = Session(root, root / "_site", date(2026, 11, 28), use_cache=False)
    assert session.full().error == ""
    (root / "templates").mkdir()
    (root / "templates/board.html").write_text(popen(marker) + "\n")
    done = session.apply({"templates/board.html"})
    assert not marker.exists()
    assert done.error == (
        "templates/board.html:1: template error: access to attribute '__init__' of 'type' "
        f"object is unsafe; {SANDBOX_HINT}"
    )
    assert (root / "_site/index.html").is_file()  # the last good site stays


def test_remembered_verdicts_still_refuse_and_still_wrap_format():
    """The sandbox remembers its verdict on each (type, attribute): a second read of a safe
    attribute takes a shorter way, and must give what the first gave, while an unsafe one is
    still refused and `str.format` still goes through the sandbox's formatter every time."""
    from textcrm import render

    env = render.environment(None)
    reads = "{% set ns = namespace(f='x', g=1) %}" + "{{ ns.f }}{{ ns.g }}" * 3
    assert env.from_string(reads).render({}) == "x1x1x1"
    fmt = "{% for i in range(3) %}{{ '{0}-{1}'.format(i, 'a') }} {% endfor %}"
    assert env.from_string(fmt).render({}) == "0-a 1-a 2-a "
    escape = "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}"
    for _ in range(2):
        with pytest.raises(render.TemplateError, match="is unsafe"):
            env.from_string(escape).render({})
        with pytest.raises(render.TemplateError, match="unsafe"):
            env.from_string("{{ cycler.__init__ }}{{ cycler.__init__.__globals__ }}").render({})
