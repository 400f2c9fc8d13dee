"""`rilo-node report` against a real node: its numbers are those of the statistics API, and every chart
draws in a real browser (Debian's headless chromium through its chromium-driver; scripts/test installs
both)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from html.parser import HTMLParser

import pytest

from tests.conftest import seizure_example

pytestmark = pytest.mark.slow

CASES = [
    # (record id tail, date, section, category, departure, detection, concealment, conveyance, items)
    ("01", "2026-01-10", "DRUGS", "COCAINE", "EC", "RISK_PROFILING", "IN_FREIGHT", "VESSEL", 1),
    ("02", "2026-01-22", "DRUGS", "CANNABIS", "MA", "ROUTINE_CONTROL", "IN_BAGGAGE", "AIR", 2),
    ("03", "2026-02-03", "REVENUE", "TOBACCO_PRODUCTS", "AE", "ROUTINE_CONTROL", "IN_TRANSPORT", "VEHICLE", 1),
    ("04", "2026-02-14", "DRUGS", "COCAINE", "EC", "INTELLIGENCE", "IN_FREIGHT", "VESSEL", 3),
    ("05", "2026-03-01", "IPR_HEALTH_SAFETY", "IPR_PRODUCTS", "CN", "RISK_PROFILING", "IN_MAIL", "MAIL", 1),
]


@pytest.fixture
def reported(served_node, tmp_path):
    node = served_node("de")
    for tail, day, section, category, dep, det, conc, conv, n in CASES:
        f = tmp_path / f"s{tail}.json"
        f.write_text(json.dumps(seizure_example(
            record_id=f"01JQ6ZK00000000000000000{tail}", seizure_date=day, departure_country=dep, detection=det,
            concealment=conc, conveyance=conv,
            items=[{"section": section, "category": category, "quantity": i + 1, "unit": "KG"} for i in range(n)])))
        node.cli("seizure", "add", "--file", f, check=True)
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    res = node.cli("report", "--scope", "local", "--out", out, check=True)
    assert res.stdout.strip() == str(out)
    return node, out


class Tables(HTMLParser):
    """The data tables of the report: name -> rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-table"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


def stats(node, group_by, *flt):
    out = json.loads(node.cli("stats", "--group-by", group_by, *flt, "--json", check=True).stdout)
    return {tuple(g["key"].get(f, "") or "(none)" for f in group_by.split(",")): (g["cases"], g["items"])
            for g in out["groups"]}


TABLES = [("month_section", "month,section"), ("routes", "departure_country,destination_country"),
          ("detection", "detection"), ("concealment", "concealment"), ("conveyance", "conveyance"),
          ("countries", "country")]


def test_the_report_gives_the_numbers_of_the_statistics_api(reported):
    node, out = reported
    for name, group_by in TABLES:
        check_table(node, out, name, group_by)
    # With a section and a period, the same filter as stats.
    narrow = out.with_name("drugs.html")
    node.cli("report", "--scope", "local", "--section", "drugs", "--from", "2026-01-15", "--to", "2026-02-28",
             "--out", narrow, check=True)
    for name, group_by in TABLES:
        check_table(node, narrow, name, group_by, "--section", "DRUGS", "--from", "2026-01-15", "--to", "2026-02-28")
    assert "section DRUGS" in narrow.read_text()
    bad = node.cli("report", "--from", "15.01.2026", "--out", narrow)
    assert bad.returncode == 2 and "--from" in bad.stderr


def check_table(node, out, name, group_by, *flt):
    want = stats(node, group_by, *flt)
    width = len(group_by.split(","))
    rows = list(csv.DictReader(io.StringIO(out.with_suffix(".csv").read_text())))
    got = {tuple(r[f"key{i + 1}"] for i in range(width)): (int(r["cases"]), int(r["items"]))
           for r in rows if r["table"] == name}
    assert got == want and (got or flt)
    parser = Tables()
    parser.feed(out.read_text())
    body = [r for r in parser.tables[name][1:] if not r[0].startswith("total")]
    assert {tuple(r[:width]): (int(r[width]), int(r[width + 1])) for r in body} == want
    if name != "routes":
        total = next(r for r in parser.tables[name] if r[0] == "total shown")
        assert (int(total[1]), int(total[2])) == (sum(c for c, _ in want.values()), sum(i for _, i in want.values()))


def test_the_report_is_one_self_contained_file(reported):
    _node, out = reported
    text = out.read_text()
    # Nothing to fetch: no script, stylesheet link or image, and every reference is inside the file.
    assert "<script" not in text and "<link" not in text and "<img" not in text and " src=" not in text
    assert re.findall(r'href="([^"]*)"', text) and all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', text))
    assert text.count('<figure class="chart"') == 5
    assert "Every node in scope answered." in text


def test_the_report_lists_what_is_provisional(reported):
    node, out = reported
    pending = json.loads(node.cli("seizure", "validations", "--pending", "--json", check=True).stdout)["seizures"]
    rows = [r for r in csv.DictReader(io.StringIO(out.with_suffix(".csv").read_text())) if r["table"] == "provisional"]
    want: dict = {}
    for v in pending:
        want[(v["origin"], v["state"])] = want.get((v["origin"], v["state"]), 0) + 1
    assert {(r["key1"], r["key2"]): int(r["cases"]) for r in rows} == want
    # Counts only: no record key leaves through the report.
    assert all(v["record_id"] not in out.read_text() for v in pending)
    if pending:
        assert f"{len(pending)} seizure(s) wait for validation" in out.read_text()
    else:
        assert "No seizure waits for validation" in out.read_text()


def test_every_chart_draws_in_headless_chromium(reported):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    assert shutil.which("chromedriver") and shutil.which("chromium"), \
        "Debian's chromium and chromium-driver are needed (scripts/test installs them)"
    _node, out = reported
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # The system driver, never one downloaded by Selenium Manager.
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.get(out.as_uri())
        charts = driver.execute_script("""
            return Array.from(document.querySelectorAll('figure.chart')).map(f => {
              const svg = f.querySelector('svg');
              const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
              const marks = svg ? Array.from(svg.querySelectorAll('path, rect, use'))
                  .filter(e => { const b = e.getBBox(); return b.width > 0 && b.height > 0; }).length : 0;
              return {name: f.dataset.chart, width: box.width, height: box.height, marks: marks};
            });""")
    finally:
        driver.quit()
    assert [c["name"] for c in charts] == ["month_section", "routes", "detection", "concealment", "conveyance"]
    for c in charts:
        assert c["width"] > 100 and c["height"] > 50 and c["marks"] > 5, c
