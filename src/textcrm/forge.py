"""Forge web-editor URLs: the `edit_url` pattern of a git remote, and a file's edit and
new-file links on GitHub, GitLab and Gitea (Forgejo, Codeberg).

Nothing here talks to a forge: the site only links to its pages, and the forge's web editor
does the editing (its CI runs `textcrm check` on the change).
"""

from __future__ import annotations

import re
from urllib.parse import quote

FORGES = ("github", "gitlab", "gitea")
# The part of a forge's edit URL before the branch, and the new-file URL's counterpart.
_EDIT = {"github": "/edit/", "gitlab": "/-/edit/", "gitea": "/_edit/"}
_NEW = {"github": "/new/", "gitlab": "/-/new/", "gitea": "/_new/"}
# The query parameters that prefill the new-file form: (file name, content).
_PREFILL = {
    "github": ("filename", "value"),
    "gitlab": ("file_name", "content"),
    "gitea": ("filename", "value"),
}
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?!//)(?P<path>.+)$")
_URL = re.compile(
    r"^(?P<scheme>ssh|https?|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::(?P<port>\d*))?/(?P<path>.+)$"
)


def forge_of_host(host: str) -> str | None:
    """github, gitlab or gitea for a host name that says which it is, else None."""
    host = host.split(":", 1)[0].casefold()
    if host == "github.com" or "github" in host:
        return "github"
    if host == "gitlab.com" or "gitlab" in host:
        return "gitlab"
    if host in ("gitea.com", "codeberg.org") or "gitea" in host or "forgejo" in host:
        return "gitea"
    return None


def parse_remote(url: str) -> tuple[str, str] | None:
    """(web host, owner/repo path) of a git remote URL: `git@host:owner/repo.git`,
    `ssh://git@host[:port]/owner/repo.git` or `https://host[:port]/owner/repo[.git]`."""
    text = url.strip()
    found = _URL.match(text) or (None if "://" in text else _SCP.match(text))
    if found is None:
        return None
    path = found["path"].strip("/").removesuffix(".git").strip("/")
    if "/" not in path:
        return None
    host = found["host"]
    # An https remote's port is the web server's too; an ssh port is not.
    if found.groupdict().get("scheme") == "https" and found["port"]:
        host += f":{found['port']}"
    return host, path


def edit_pattern(remote_url: str, branch: str, prefix: str = "") -> str | None:
    """The `edit_url` for a remote on a recognised forge, or None.

    `prefix` is the CRM's folder inside the git repository (`crm/`), `branch` the branch the
    forge edits.
    """
    parsed = parse_remote(remote_url)
    if parsed is None or not branch:
        return None
    host, path = parsed
    forge = forge_of_host(host)
    if forge is None:
        return None
    where = quote(branch, safe="/") + "/" + quote(prefix.strip("/") + "/", safe="/").lstrip("/")
    return f"https://{host}/{path}{_EDIT[forge]}{where}{{path}}"


def forge_of_pattern(pattern: str) -> str | None:
    """Which forge an `edit_url` points at, from the shape of its path (GitLab `/-/edit/`,
    Gitea `/_edit/`, GitHub `/edit/`); None when the shape is not one of these."""
    if not pattern.endswith("{path}"):
        return None
    for forge in ("gitlab", "gitea", "github"):
        if _EDIT[forge] in pattern:
            return forge
    return None


def edit_link(pattern: str, relpath: str) -> str:
    """The web-editor URL of a file (its path relative to the CRM root, URL-encoded)."""
    return pattern.replace("{path}", quote(relpath, safe="/"))


def new_file_link(pattern: str, folder: str, filename: str, content: str) -> str | None:
    """The forge's new-file URL in `folder`, with the file name and its content prefilled;
    None when the pattern is not a recognised forge's edit URL."""
    forge = forge_of_pattern(pattern)
    if forge is None:
        return None
    base, _, rest = pattern.partition(_EDIT[forge])
    where = rest[: -len("{path}")] + quote(folder, safe="/")
    name_key, content_key = _PREFILL[forge]
    query = f"{name_key}={quote(filename, safe='')}"
    if content:
        query += f"&{content_key}={quote(content, safe='')}"
    return f"{base}{_NEW[forge]}{where}?{query}"
