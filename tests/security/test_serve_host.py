"""`textcrm serve` answers only requests naming 127.0.0.1 or localhost: a web page that
rebinds its own name to 127.0.0.1 (DNS rebinding) gets a 400, pages and reload endpoint alike."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from datetime import date

import pytest

from conftest import GOOD_OPPORTUNITY
from textcrm.site.serve import VERSION_PATH, Session, start_server


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    from conftest import DEFAULT_CONFIG, DEFAULT_FILES, write_files

    root = tmp_path_factory.mktemp("serve") / "crm"
    write_files(
        root,
        {
            "textcrm.yaml": DEFAULT_CONFIG,
            **DEFAULT_FILES,
            "opportunities/acme.md": GOOD_OPPORTUNITY,
        },
    )
    session = Session(root, root / "_site", date(2026, 11, 28), use_cache=False)
    assert session.full().error == ""
    server = start_server(session, 0)
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def get(port: int, path: str, hosts: list[str]) -> tuple[int, bytes]:
    """GET `path` sending exactly these Host headers (none when the list is empty)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        for host in hosts:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/opportunities/acme.html", VERSION_PATH, "/pipeline.json"])
@pytest.mark.parametrize(
    "hosts",
    [
        ["attacker.example"],
        ["attacker.example:{port}"],
        ["127.0.0.1.attacker.example:{port}"],
        ["localhost.attacker.example"],
        ["127.0.0.2:{port}"],
        ["[::1]:{port}"],
        [],
        ["127.0.0.1:{port}", "attacker.example"],
    ],
    ids=[
        "other-name",
        "other-name-port",
        "suffix",
        "localhost-prefix",
        "other-loopback",
        "ipv6",
        "no-host",
        "two-hosts",
    ],
)
def test_other_hosts_get_400_and_nothing_of_the_site(port, path, hosts):
    status, body = get(port, path, [h.format(port=port) for h in hosts])
    assert status == 400
    assert b"Acme Corp" not in body and b"acme" not in body


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "localhost", "127.0.0.1"]
)
def test_local_names_are_served(port, host):
    status, body = get(port, "/opportunities/acme.html", [host.format(port=port)])
    assert status == 200
    assert b"Acme Corp - warehouse scanners" in body
    status, body = get(port, VERSION_PATH, [host.format(port=port)])
    assert (status, body) == (200, b"1")


def test_a_forwarded_port_keeps_working(port):
    """`ssh -L 9000:127.0.0.1:8000` sends Host: localhost:9000; the name is what matters."""
    assert get(port, "/", ["localhost:9000"])[0] == 200
