"""`textcrm init`: lay out a new CRM repository from the files in templates/init/.

Existing files are never overwritten, so running it again only adds what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from textcrm import __version__, git, layout
from textcrm.errors import EnvironmentFailure, GitError, UsageError

CI_FILES = {"github": ".github/workflows/textcrm.yml", "gitlab": ".gitlab-ci.yml"}


@dataclass(frozen=True)
class Outcome:
    """What init printed and its exit status."""

    text: str
    exit_code: int


def templates_dir() -> Path:
    """templates/init/ inside the installed package (the wheel), else in the checkout."""
    packaged = resources.files("textcrm") / "templates" / "init"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates" / "init"


def edit_url_for(top: Path, prefix: str) -> str | None:
    """The `edit_url` of the git remote when it is on GitHub, GitLab or Gitea, else None."""
    from textcrm.forge import edit_pattern

    found = git.remote(top)
    if found is None:
        return None
    name, url = found
    return edit_pattern(url, git.default_branch(top, name), prefix)


def planned_files(crm_dir: str, ci: str, edit_url: str | None = None) -> dict[str, tuple[str, str]]:
    """Files init writes: path relative to the CRM root (or, for CI files, to the git top,
    marked with a leading `/`) -> (template, its text after substitution)."""
    files: dict[str, tuple[str, str]] = {
        layout.CONFIG_FILE: ("textcrm.yaml", ""),
        layout.CATALOG_FILE: ("products.yaml", ""),
        ".gitignore": ("gitignore", ""),
    }
    for folder in layout.FOLDERS:
        files[f"{folder}/README.md"] = (f"folders/{folder}.md", "")
    if ci in CI_FILES:
        files["/" + CI_FILES[ci]] = (f"ci/{ci}.yml", "")
    base = templates_dir()
    out = {}
    for rel, (template, _) in files.items():
        text = (base / template).read_text(encoding="utf-8")
        text = text.replace("@CRM_DIR@", crm_dir).replace("@VERSION@", __version__)
        if rel == layout.CONFIG_FILE and edit_url:
            text += (
                '\n# The forge\'s web editor, for the site\'s "Edit this file" and "New ..." '
                "links\n# (filled in from the git remote by `textcrm init`).\n"
                f"edit_url: {edit_url}\n"
            )
        out[rel] = (template, text)
    return out


def init_repository(target: Path, ci: str = "github", hook: bool = True) -> Outcome:
    """Create (or complete) a CRM repository in `target`; say what was done."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    done: list[str] = []
    try:
        return _init(target, ci, hook, done)
    except OSError as exc:
        untouched = (
            "done before that: " + ", ".join(done) + "; nothing else was changed"
            if done
            else "nothing was changed"
        )
        raise EnvironmentFailure(
            f"cannot set up a CRM repository in {target}", exc, untouched
        ) from None


def _init(target: Path, ci: str, hook: bool, done: list[str]) -> Outcome:
    from textcrm.fsutil import atomic_write

    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    top = git.toplevel(root)
    if top is None:
        try:
            git.init(root)
        except GitError as exc:
            raise UsageError(f"cannot run `git init` in {root}: {exc.message}") from None
        top = root
        done.append("git init")
    prefix = git.crm_prefix(top, root)
    crm_dir = prefix.rstrip("/") or "."
    edit_url = edit_url_for(top, prefix)
    for rel, (_template, text) in planned_files(crm_dir, ci, edit_url).items():
        path = top / rel[1:] if rel.startswith("/") else root / rel
        if path.exists() or path.is_symlink():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
        done.append(f"created {_shown(path, root)}")
        if rel == layout.CONFIG_FILE and edit_url:
            done.append(f"edit_url set from the git remote: {edit_url}")
    if hook:
        from textcrm.hook import hook_path, install, is_current

        if not is_current(root):
            outcome = install(root)
            if outcome.exit_code:
                return Outcome("\n".join([*done, outcome.text.rstrip("\n")]) + "\n", 1)
            done.append(f"installed the pre-commit hook ({_shown(hook_path(root), root)})")
    if not done:
        return Outcome(f"textcrm: {root} is already set up; nothing changed\n", 0)
    lines = [f"textcrm: set up a CRM repository in {root}:"]
    lines += [f"  {line}" for line in done]
    lines += [
        "Next: add accounts/ and opportunities/ files, run `textcrm check`, and commit.",
    ]
    return Outcome("\n".join(lines) + "\n", 0)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
