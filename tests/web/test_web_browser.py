"""The web interface in a real browser: Debian's headless chromium through its chromium-driver (Selenium
with the system driver; nothing is downloaded at run time), against a simulated network started by
`rilo-node cluster up` (each node its own process, web on every node). Sign in; search and compare the
rows with `search --json`; open a record; a message posted at another node appears live; a message sent
from the room reaches the owner; a seizure holding HTML and script shows as text and runs nothing; a hit
check names the node that holds an identifier and leads to the request form for it.
axe-core (npm, installed into .tools/ by scripts/test) checks every page: no serious or critical
violations. The screenshots of docs/web.md are taken here."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time
from pathlib import Path

import pyotp
import pytest

from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "web"
NODES = ["wco", "rilo-we", "de", "fr"]
OP = "op-browser"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.directory import default_topology_path, load_topology

    tmp = tmp_path_factory.mktemp("webnet")
    topo = tmp / "topology.toml"
    topo.write_text(dump_topology(load_topology(default_topology_path()).subset(NODES)))
    workdir = tmp / "net"
    up = run_cli("cluster", "up", "--topology", topo, "--workdir", workdir, "--members-per-area", "all",
                 "--seed-records", "70", "--detach", timeout=240)
    assert up.returncode == 0, up.stderr
    assert "web interface of" in up.stderr and "analyst.password" in up.stderr
    try:
        data = json.loads((workdir / "cluster.json").read_text())
        created = run_cli("op", "create", "--name", "Browser test", "--members", "fr", "--id", OP,
                          "--purpose", "the browser tests", "--cluster", workdir, "--node", "de", check=True)
        assert created.returncode == 0
        wait_until(lambda: run_cli("op", "show", OP, "--cluster", workdir, "--node", "fr").returncode == 0,
                   "fr holds the operation")
        yield {"workdir": workdir, "data": data, "nodes": {n["id"]: n for n in data["nodes"]}}
    finally:
        run_cli("cluster", "down", "--workdir", workdir, timeout=120)


def wait_until(predicate, what: str, timeout: float = 30.0, driver=None):
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
    )

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None  # the page was being replaced (the redirect after a post): look again
        if value:
            return value
        time.sleep(0.2)
    shown = ""
    if driver is not None:  # what the browser showed, to tell why
        from selenium.webdriver.common.by import By

        shown = f" at {driver.current_url}:\n{driver.find_element(By.TAG_NAME, 'body').text[:3000]}"
    raise AssertionError(f"timed out waiting until {what}{shown}")


def spki_hash(pem_path: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(Path(pem_path).read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def driver(net):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which("chromedriver") and shutil.which("chromium"), \
        "Debian's chromium and chromium-driver are needed (scripts/test installs them)"
    assert AXE.is_file(), f"{AXE} is missing: scripts/test installs axe-core into .tools/"
    # The network's certificates only (the nodes' serving certificates, by their public keys): no other
    # certificate error is ignored. A real browser trusts the network CA instead (docs/operator-guide.md).
    pins = sorted({spki_hash(str(Path(n["data_dir"]) / "tls" / "node.pem")) for n in net["data"]["nodes"]})
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", f"--ignore-certificate-errors-spki-list={','.join(pins)}",
                f"--user-data-dir={net['workdir'].parent / 'chromium'}"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


def by_label(driver, label: str):
    from selenium.webdriver.common.by import By

    lab = driver.find_element(By.XPATH, f"//label[@for][normalize-space(.)='{label}' or "
                                        f"starts-with(normalize-space(.), '{label} ')]")
    return driver.find_element(By.ID, lab.get_attribute("for"))


def button(driver, text: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//button[normalize-space(.)='{text}']")


def sign_in(driver, net, node: str, user: str = "analyst") -> None:
    entry = net["nodes"][node]
    driver.delete_all_cookies()
    driver.get(entry["web"] + "/login")
    by_label(driver, "User name").send_keys(user)
    by_label(driver, "Password").send_keys(Path(entry["web_users"][user]).read_text().strip())
    if user == "admin":
        secret = (Path(entry["web_users"]["admin"]).with_name("admin.totp")).read_text().strip()
        by_label(driver, "One-time code").send_keys(pyotp.TOTP(secret).now())
    button(driver, "Sign in").click()
    wait_until(lambda: "/login" not in driver.current_url, f"{user} is signed in at {node}", driver=driver)


def axe_check(driver, name: str) -> None:
    """axe-core on the page as shown: no serious or critical violation; and its screenshot."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));")
    assert isinstance(result, list), result
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def cli_json(net, *args, node="de") -> dict:
    proc = run_cli(*args, "--json", "--cluster", net["workdir"], "--node", node, check=True)
    return json.loads(proc.stdout)


def page_rows(driver) -> list[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    rows = []
    for tr in driver.find_elements(By.CSS_SELECTOR, "table.hits tbody tr"):
        cells = tr.find_elements(By.TAG_NAME, "td")
        if len(cells) == 8:
            rows.append((cells[5].text, cells[0].find_element(By.TAG_NAME, "a").text))
    return rows


def test_sign_in_search_matches_the_cli_and_open_a_record(net, driver):
    entry = net["nodes"]["de"]
    driver.delete_all_cookies()
    driver.get(entry["web"] + "/search")
    assert "/login" in driver.current_url
    axe_check(driver, "login")
    sign_in(driver, net, "de")
    assert driver.current_url.endswith("/search")
    from selenium.webdriver.support.ui import Select

    Select(by_label(driver, "Scope")).select_by_value("global")
    before = cli_json(net, "search", "--scope", "global", "--limit", "50")
    button(driver, "Search").click()
    wait_until(lambda: "nodes answered" in driver.page_source, "the search answered")
    after = cli_json(net, "search", "--scope", "global", "--limit", "50")
    expected = [(h["origin"], h["record_id"]) for h in before["hits"]]
    assert expected == [(h["origin"], h["record_id"]) for h in after["hits"]], "the network changed meanwhile"
    assert page_rows(driver) == expected
    assert f"{len(before['nodes'])} of {len(before['nodes'])} nodes answered" in driver.page_source
    axe_check(driver, "search")
    # The next page: as `--page-token` gives it.
    assert before.get("next_page_token")
    following = cli_json(net, "search", "--scope", "global", "--limit", "50", "--page-token",
                         before["next_page_token"])
    from selenium.webdriver.common.by import By

    driver.find_element(By.LINK_TEXT, "Next page").click()
    wait_until(lambda: "nodes answered" in driver.page_source, "the next page")
    assert page_rows(driver) == [(h["origin"], h["record_id"]) for h in following["hits"]]
    # A record.
    driver.find_element(By.CSS_SELECTOR, "table.hits tbody tr td a").click()
    wait_until(lambda: "/records/" in driver.current_url, "the record page")
    assert "Signature: verified" in driver.page_source and "TLP:" in driver.page_source
    axe_check(driver, "record")
    audit = run_cli("audit", "--json", "--limit", "10000", "--cluster", net["workdir"], "--node", "de", check=True)
    lines = [json.loads(x) for x in audit.stdout.splitlines()]
    assert any(e["action"] == "search" and e.get("user") == "analyst" for e in lines)
    assert any(e["action"] == "get" and e.get("user") == "analyst" for e in lines)
    assert all("user" not in e for e in lines if not e["actor"].startswith("web:"))


def test_a_message_posted_at_another_node_appears_live(net, driver):
    from selenium.webdriver.common.by import By

    sign_in(driver, net, "de")
    driver.get(net["nodes"]["de"]["web"] + f"/operations/{OP}")
    log = driver.find_element(By.CSS_SELECTOR, '[role="log"]')
    wait_until(lambda: "Live" in driver.find_element(By.ID, "live-state").text, "the event stream is open")
    run_cli("op", "post", OP, "--text", "posted at fr, live at de", "--cluster", net["workdir"], "--node", "fr",
            check=True)
    wait_until(lambda: "posted at fr, live at de" in log.text, "the message shows without a reload", timeout=20)
    assert "fr" in log.find_elements(By.CSS_SELECTOR, ".msg")[-1].find_element(By.CSS_SELECTOR, ".sender").text
    axe_check(driver, "operation")


def test_a_message_sent_from_the_room_reaches_the_owner(net, driver):
    sign_in(driver, net, "fr")
    driver.get(net["nodes"]["fr"]["web"] + f"/operations/{OP}")
    by_label(driver, "Message").send_keys("sent from fr's room")
    button(driver, "Send").click()
    wait_until(lambda: "sent from fr" in driver.page_source, "the room shows it")

    def at_owner():
        proc = run_cli("op", "messages", OP, "--json", "--cluster", net["workdir"], "--node", "de")
        return any(json.loads(x)["text"] == "sent from fr's room" and json.loads(x)["origin"] == "fr"
                   for x in proc.stdout.splitlines())

    wait_until(at_owner, "the owner holds the message")


def test_a_seizure_with_html_and_script_shows_as_text(net, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    sign_in(driver, net, "de")
    driver.get(net["nodes"]["de"]["web"] + f"/operations/{OP}")
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    driver.find_element(By.CSS_SELECTOR, 'input[name="template"][value="seizure"]').click()
    driver.find_element(By.TAG_NAME, "summary").click()
    by_label(driver, "Message").send_keys("seizure " + evil)
    driver.execute_script("arguments[0].value = '2026-11-20';", by_label(driver, "Seizure date"))
    by_label(driver, "Seizure country").send_keys("DE")
    Select(by_label(driver, "Seizure section")).select_by_value("DRUGS")
    Select(by_label(driver, "Seizure category")).select_by_value("COCAINE")
    by_label(driver, "Seizure description").send_keys(evil)
    button(driver, "Send").click()
    wait_until(lambda: "window.__pwned = 1" in driver.find_element(By.CSS_SELECTOR, '[role="log"]').text,
               "the seizure message shows as text", driver=driver)
    assert driver.execute_script("return window.__pwned") is None
    ref = driver.find_elements(By.CSS_SELECTOR, '[role="log"] .msg .refs a')[-1]
    ref.click()
    wait_until(lambda: "/records/de/" in driver.current_url, "the seizure's record page", driver=driver)
    assert evil in driver.find_element(By.TAG_NAME, "main").text
    assert driver.execute_script("return window.__pwned") is None
    assert "GROUP" in driver.page_source or "members of the operation" in driver.page_source


def test_every_other_page_passes_axe(net, driver):
    web = net["nodes"]["de"]["web"]
    sign_in(driver, net, "de", "admin")
    for name, path in [("stats", "/stats?group_by=section&scope=global"), ("requests", "/requests"),
                       ("request-new", "/requests/new?origin=fr&record_id=x"), ("hitcheck", "/hitcheck"),
                       ("operations", "/operations"),
                       ("admin", "/admin"), ("account", "/account"), ("not-found", "/records/xx/nothing")]:
        driver.get(web + path)
        axe_check(driver, name)
    # The chart and table: the groups `stats --json` gives for the same query (this node's own records).
    from selenium.webdriver.common.by import By

    expected = cli_json(net, "stats", "--group-by", "section", "--scope", "local")
    driver.get(web + "/stats?group_by=section&scope=local")
    rows = [tuple(td.text for td in tr.find_elements(By.TAG_NAME, "td"))
            for tr in driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")]
    assert expected["complete"] and expected["groups"]
    assert rows == [(g["key"]["section"], str(g["cases"]), str(g["items"])) for g in expected["groups"]]
    assert len(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect")) == len(expected["groups"])


def filter_versions(net, node: str, origin: str) -> dict:
    """The chunks of `origin`'s hit-check filter that `node` holds, and their versions."""
    import sqlite3

    from rilo_node.node.hitcheck import HIT_FILTER

    db = Path(net["nodes"][node]["data_dir"]) / "data" / "node.db"
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return dict(conn.execute("SELECT record_id, version FROM records WHERE origin = ? AND kind = ?",
                                 (origin, HIT_FILTER)))
    finally:
        conn.close()


def test_a_hit_check_names_the_holder_and_leads_to_the_request_form(net, driver, tmp_path):
    """After the page list above: its screenshot, of a check with a hit, is the one docs/web.md shows."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    before = filter_versions(net, "fr", "fr")
    seizure = tmp_path / "seizure.json"
    seizure.write_text(json.dumps({
        "seizure_date": "2026-03-14", "country": "FR",
        "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 40, "unit": "KG"}],
        "annex": {"identifiers": [{"type": "CONTAINER", "value": "CSQU 305438-3"}]}}))
    run_cli("seizure", "add", "--file", seizure, "--cluster", net["workdir"], "--node", "fr", check=True)
    wait_until(lambda: (own := filter_versions(net, "fr", "fr")) != before and filter_versions(net, "de", "fr") == own,
               "fr's new filter has reached de")
    sign_in(driver, net, "de")
    driver.get(net["nodes"]["de"]["web"] + "/hitcheck")
    Select(by_label(driver, "Type")).select_by_value("CONTAINER")
    by_label(driver, "Value").send_keys("csqu 305438-3")
    by_label(driver, "Case reference").send_keys("DE-2026-0042")
    button(driver, "Check").click()
    wait_until(lambda: "nodes answered" in driver.page_source, "the check answered", driver=driver)
    assert [li.text for li in driver.find_elements(By.CSS_SELECTOR, "ul.hit-nodes li")] == ["fr"]
    assert f"{len(NODES)} of {len(NODES)} nodes answered" in driver.page_source
    axe_check(driver, "hitcheck")
    driver.find_element(By.LINK_TEXT, "Request details").click()
    wait_until(lambda: "/requests/new" in driver.current_url, "the request form", driver=driver)
    assert by_label(driver, "Addressee").get_attribute("value") == "fr"
    assert by_label(driver, "Subject").get_attribute("value") == "hit/no-hit: CONTAINER (case DE-2026-0042)"


def test_cluster_up_writes_the_web_users_and_user_commands_manage_them(net, tmp_path):
    import stat

    workdir = net["workdir"]
    for entry in net["data"]["nodes"]:
        assert entry["web"].startswith("https://127.0.0.1:")
        assert set(entry["web_users"]) == {"viewer", "analyst", "admin"}
        for user, file in entry["web_users"].items():
            assert Path(file).name == f"{user}.password"
            assert stat.S_IMODE(Path(file).stat().st_mode) == 0o600
    totp = Path(net["nodes"]["de"]["web_users"]["admin"]).with_name("admin.totp")
    assert stat.S_IMODE(totp.stat().st_mode) == 0o600 and len(totp.read_text().strip()) >= 16
    conn = ["--cluster", workdir, "--node", "de"]
    users = {u["name"]: u for u in map(json.loads, run_cli("user", "list", "--json", *conn, check=True)
                                       .stdout.splitlines())}
    assert users["analyst"]["all_operations"] and users["admin"]["all_operations"] and users["admin"]["totp"]
    assert not users["viewer"]["all_operations"] and users["viewer"]["operations"] == []
    added = json.loads(run_cli("user", "add", "maria", "--role", "analyst", "--operations", OP, "--json", *conn,
                               check=True).stdout)
    assert len(added["password"]) >= 12 and added["operations"] == [OP]
    again = json.loads(run_cli("user", "grant", "maria", "--operations", OP, "--json", *conn, check=True).stdout)
    assert again["operations"] == [OP]
    short = tmp_path / "short"
    short.write_text("short\n")
    refused = run_cli("user", "passwd", "maria", "--password-file", short, *conn)
    assert refused.returncode == 2 and "password" in refused.stderr and "12" in refused.stderr
    assert run_cli("user", "grant", "maria", *conn).returncode == 2  # neither --operations nor --all-operations
    assert run_cli("user", "add", "maria", "--role", "viewer", *conn).returncode == 1  # exists
    assert run_cli("user", "add", "Bad Name", "--role", "viewer", *conn).returncode == 2
    assert json.loads(run_cli("user", "disable", "maria", "--json", *conn, check=True).stdout)["disabled"]
    bogus = run_cli("cluster", "up", "--web", "nowhere", "--workdir", tmp_path / "other", "--detach")
    assert bogus.returncode == 2 and "--web" in bogus.stderr
