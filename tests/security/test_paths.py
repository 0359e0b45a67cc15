"""Every file textcrm reads for a repository stays inside it: a company.logo, a record folder
or a template override leading outside (absolute, `..`, a symlink) is not read, `check`
reports it where the user can fix it, and no output carries the outside bytes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY, TODAY
from quote_support import COMPANY, LOGO, opportunity, quote_files
from textcrm.layout import OutsideRepository, resolve_inside

SECRET = b"GITHUB_TOKEN=ghp_0123456789abcdefSECRET\n"
LINE_ITEMS = "  - {sku: SCN-200, quantity: 2}\n"


def secret_outside(tmp_path: Path, name: str = "secret.svg") -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / name).write_bytes(SECRET)
    return outside / name


def leaks(data: bytes) -> bool:
    """True when `data` carries the secret, as text or base64-embedded (any alignment)."""
    if SECRET.strip() in data:
        return True
    return any(base64.b64encode(SECRET[i:])[4:-4] in data for i in range(3))


def all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def check(run, root: Path):
    return run(["check", "--root", str(root), "--today", TODAY, "--no-cache"])


def build(run, root: Path, out: Path):
    return run(["build", "--root", str(root), "--today", TODAY, "--no-cache", "-o", str(out)])


# --- the helper itself ------------------------------------------------------------------


def test_resolve_inside_refuses_every_way_out(tmp_path):
    root = tmp_path / "crm"
    (root / "inner").mkdir(parents=True)
    (root / "logo.svg").write_text(LOGO)
    (root / "alias.svg").symlink_to(root / "logo.svg")
    (root / "env.svg").symlink_to("/proc/self/environ")
    (root / "out").symlink_to(tmp_path, target_is_directory=True)
    assert resolve_inside(root, "alias.svg") == (root / "logo.svg").resolve()
    assert resolve_inside(root, "inner/not-yet.md") == (root / "inner/not-yet.md").resolve()
    refused = {
        "../secret": "climbs out of the repository with `..`",
        "inner/../../secret": "climbs out of the repository with `..`",
        "/etc/passwd": "is an absolute path, not one relative to the repository",
        "env.svg": "is a symlink leading outside the repository",
        "out/secret.svg": "goes through out/, a symlink leading outside the repository",
        "": "is not a file name",
    }
    for rel, reason in refused.items():
        with pytest.raises(OutsideRepository) as caught:
            resolve_inside(root, rel)
        assert caught.value.reason == reason, rel


# --- company.logo -----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["symlink", "dotdot", "absolute"])
def test_a_logo_outside_the_repository_is_never_embedded(run, make_repo, tmp_path, how):
    secret = secret_outside(tmp_path)
    logo = {"symlink": "logo.svg", "dotdot": "../outside/secret.svg", "absolute": str(secret)}
    files = quote_files(opportunity(LINE_ITEMS))
    files["logo.svg"] = None
    root = make_repo(files, config=DEFAULT_CONFIG + COMPANY.replace("logo.svg", logo[how]))
    if how == "symlink":
        (root / "logo.svg").symlink_to(secret)
    reason = {
        "symlink": "is a symlink leading outside the repository",
        "dotdot": "climbs out of the repository with `..`",
        "absolute": "is an absolute path, not one relative to the repository",
    }[how]

    result = check(run, root)
    assert result.exit_code == 1
    config_lines = (root / "textcrm.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(config_lines, 1) if "logo:" in text)
    assert (
        f"textcrm.yaml:{line}:3: error: company.logo `{logo[how]}` {reason}; it is not read: "
        "give the path of an image inside the repository, such as logo.svg [outside-repository]"
    ) in result.output
    assert not leaks(result.output.encode())

    out = tmp_path / "site"
    assert build(run, root, out).exit_code == 0
    quote_page = (out / "quotes/acme-scanners.html").read_bytes()
    assert f"company.logo `{logo[how]}` {reason}".encode() in quote_page
    assert not leaks(all_bytes(out))

    target = tmp_path / "quote.html"
    result = run(["quote", "acme-scanners", "--root", str(root), "-o", str(target)])
    assert result.exit_code == 1
    assert f"company.logo `{logo[how]}` {reason}" in result.output
    assert not target.exists()


def test_a_logo_symlink_inside_the_repository_still_works(run, make_repo, tmp_path):
    files = quote_files(opportunity(LINE_ITEMS))
    files["logo.svg"] = None
    files["brand/logo.svg"] = LOGO
    root = make_repo(files, config=DEFAULT_CONFIG + COMPANY)
    (root / "logo.svg").symlink_to(root / "brand/logo.svg")
    assert "outside-repository" not in check(run, root).output
    out = tmp_path / "site"
    assert build(run, root, out).exit_code == 0
    embedded = base64.b64encode(LOGO.encode())
    assert embedded in (out / "quotes/acme-scanners.html").read_bytes()


# --- record folders ---------------------------------------------------------------------


def test_a_record_folder_symlinked_outside_is_not_read(run, make_repo, tmp_path):
    outside = tmp_path / "outside" / "people"
    outside.mkdir(parents=True)
    (outside / "spy.md").write_bytes(b"---\nname: Spy\n---\n" + SECRET)
    root = make_repo({"opportunities/a.md": GOOD_OPPORTUNITY, "contacts/jane-doe.md": None})
    for stale in (root / "contacts").iterdir():
        stale.unlink()
    (root / "contacts").rmdir()
    (root / "contacts").symlink_to(outside, target_is_directory=True)

    result = check(run, root)
    assert result.exit_code == 1
    assert (
        "contacts:1:1: error: this folder is a symlink leading outside the repository; no file "
        "in it is read [outside-repository]"
    ) in result.output
    assert "spy" not in result.output
    out = tmp_path / "site"
    assert build(run, root, out).exit_code == 0
    assert not (out / "contacts/spy.html").exists()
    assert not leaks(all_bytes(out))


# --- template overrides -----------------------------------------------------------------


def test_a_template_override_symlinked_outside_is_not_read(run, make_repo, tmp_path):
    secret = secret_outside(tmp_path, "board.html")
    new_account = secret_outside(tmp_path, "account.md")
    root = make_repo({"opportunities/a.md": GOOD_OPPORTUNITY})
    (root / "templates/new").mkdir(parents=True)
    (root / "templates/board.html").symlink_to(secret)
    (root / "templates/style.css").symlink_to(secret)
    (root / "templates/new/account.md").symlink_to(new_account)

    result = check(run, root)
    assert result.exit_code == 1
    for rel in ("templates/board.html", "templates/new/account.md", "templates/style.css"):
        assert (
            f"{rel}:1:1: error: this template override is a symlink leading outside the "
            "repository; it is not read, and the template textcrm ships is used instead "
            "[outside-repository]"
        ) in result.output
    out = tmp_path / "site"
    assert build(run, root, out).exit_code == 0
    assert b"<h1>Board</h1>" in (out / "board.html").read_bytes()
    assert not leaks(all_bytes(out))

    result = run(["new", "account", "Zed Corp", "--root", str(root), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "+name: Zed Corp" in result.output
    assert not leaks(result.output.encode())


def test_a_templates_folder_symlinked_outside_is_not_used(run, make_repo, tmp_path):
    outside = tmp_path / "outside" / "templates"
    outside.mkdir(parents=True)
    (outside / "index.html").write_bytes(SECRET)
    root = make_repo({"opportunities/a.md": GOOD_OPPORTUNITY})
    (root / "templates").symlink_to(outside, target_is_directory=True)
    result = check(run, root)
    assert (
        "templates:1:1: error: this folder is a symlink leading outside the repository; no "
        "template override in it is used [outside-repository]"
    ) in result.output
    out = tmp_path / "site"
    assert build(run, root, out).exit_code == 0
    assert b"Pipeline dashboard" in (out / "index.html").read_bytes()
    assert not leaks(all_bytes(out))


# --- config and catalog -----------------------------------------------------------------


def test_a_catalog_symlinked_outside_is_not_read(run, make_repo, tmp_path):
    secret = secret_outside(tmp_path, "products.yaml")
    root = make_repo({"opportunities/a.md": GOOD_OPPORTUNITY, "products.yaml": None})
    (root / "products.yaml").symlink_to(secret)
    result = check(run, root)
    assert (
        "products.yaml:1:1: error: symlink points outside the repository; not followed "
        "[unreadable-file]"
    ) in result.output
    assert not leaks(result.output.encode())
    out = tmp_path / "site"
    assert build(run, root, out).exit_code == 0
    assert not leaks(all_bytes(out))


def test_a_config_symlinked_outside_is_not_read(run, make_repo, tmp_path):
    secret = secret_outside(tmp_path, "textcrm.yaml")
    root = make_repo({"opportunities/a.md": GOOD_OPPORTUNITY})
    (root / "textcrm.yaml").unlink()
    (root / "textcrm.yaml").symlink_to(secret)
    result = check(run, root)
    assert result.exit_code == 2
    assert (
        "textcrm.yaml:1:1: error: symlink points outside the repository; not followed "
        "[unreadable-file]"
    ) in result.output
    assert not leaks(result.output.encode())
