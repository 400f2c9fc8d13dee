"""The network directory: the real topology, the overlay links, refusals naming the table and key, and dumping."""

import base64
from pathlib import Path

import pytest

from rilo_node.core.errors import TopologyError
from rilo_node.core.topology import (
    REGIONS,
    Directory,
    NodeInfo,
    dump_topology,
    parse_topology,
)
from rilo_node.node.directory import default_topology_path, load_topology

REAL = load_topology(default_topology_path())
RILO_IDS = {"rilo-ap", "rilo-me", "rilo-na", "rilo-we", "rilo-ece", "rilo-cis",
            "rilo-wa", "rilo-ca", "rilo-esa", "rilo-sa", "rilo-car", "rilo-cam"}
KEY = base64.b64encode(bytes(range(32))).decode()


# --- the real topology --------------------------------------------------------

def test_the_real_topology_has_the_secretariat_and_exactly_the_twelve_rilos():
    assert set(REAL.rilos()) == RILO_IDS
    wco = REAL.get("wco")
    assert wco == NodeInfo("wco", "secretariat", None, None, name="WCO Secretariat", country="BE", city="Brussels")


def test_every_region_has_at_least_one_rilo():
    for region in REGIONS:
        assert any(REAL.get(r).region == region for r in REAL.rilos()), region


def test_each_rilo_is_its_own_area_and_has_a_host_city_and_country():
    for rilo in REAL.rilos():
        node = REAL.get(rilo)
        assert node.area == rilo and node.name and node.city and node.country


def test_rilo_offices_sit_where_the_domain_notes_say():
    hosts = {r: (REAL.get(r).country, REAL.get(r).region) for r in REAL.rilos()}
    assert hosts == {
        "rilo-ap": ("KR", "AP"), "rilo-me": ("SA", "MENA"), "rilo-na": ("MA", "MENA"),
        "rilo-we": ("DE", "EUR"), "rilo-ece": ("PL", "EUR"), "rilo-cis": ("RU", "EUR"),
        "rilo-wa": ("SN", "WCA"), "rilo-ca": ("CM", "WCA"), "rilo-esa": ("ZW", "ESA"),
        "rilo-sa": ("CL", "AMS"), "rilo-car": ("LC", "AMS"), "rilo-cam": ("GT", "AMS"),
    }


def test_every_member_listed_in_the_domain_notes_is_in_the_directory_once():
    members = [n.id for n in REAL if n.role == "member"]
    assert len(members) == len(set(members)) == 180
    assert {"de", "kr", "hk", "mo", "gy", "ai", "aw", "bm", "vg", "ky", "cw", "ms", "sx", "tc"} <= set(members)


def test_guyana_has_one_home_rilo_the_caribbean():
    assert REAL.get("gy").area == "rilo-car"
    assert "gy" not in REAL.members_of("rilo-sa")


def test_a_members_region_is_its_rilos_region_and_its_country_is_its_own():
    for node in REAL:
        if node.role == "member":
            assert node.country == node.id.upper()
            if node.area is not None:
                assert node.region == REAL.get(node.area).region


def test_us_ca_and_mx_have_no_area_and_peer_with_the_secretariat():
    for member in ("us", "ca", "mx"):
        node = REAL.get(member)
        assert (node.region, node.area) == ("AMS", None)
        assert REAL.peers(member) == ("wco",)


def test_the_default_topology_ships_inside_the_package():
    path = default_topology_path()
    assert path.parts[-3:] == ("rilo_node", "data", "topology.toml") and path.exists()


def test_config_topology_toml_in_the_repo_is_the_shipped_one():
    repo_copy = Path(__file__).resolve().parents[2] / "config" / "topology.toml"
    assert repo_copy.resolve() == default_topology_path().resolve()


# --- the overlay --------------------------------------------------------------

def test_a_member_peers_only_with_its_rilo():
    assert REAL.peers("de") == ("rilo-we",)
    assert REAL.peers("gy") == ("rilo-car",)


def test_a_rilo_peers_with_the_secretariat_every_other_rilo_and_its_members():
    expected = {"wco"} | (RILO_IDS - {"rilo-we"}) | set(REAL.members_of("rilo-we"))
    assert set(REAL.peers("rilo-we")) == expected
    assert len(REAL.peers("rilo-we")) == len(expected)


def test_the_secretariat_peers_with_every_rilo_and_the_members_without_one():
    assert set(REAL.peers("wco")) == RILO_IDS | {"us", "ca", "mx"} | {"interpol", "unodc", "europol"}


def test_peer_links_are_symmetric():
    for a in REAL.ids():
        for b in REAL.peers(a):
            assert a in REAL.peers(b), (a, b)


def test_peers_only_name_nodes_present_in_the_directory():
    small = REAL.subset(["de", "fr", "rilo-ece", "us", "kr"])
    assert small.peers("de") == ()
    assert small.peers("rilo-ece") == ()
    assert small.peers("us") == ()
    assert REAL.subset(["wco", "us", "rilo-ap", "kr"]).peers("wco") == ("rilo-ap", "us")


def test_peers_of_an_unknown_node_is_an_error():
    with pytest.raises(TopologyError, match="unknown node 'zz'"):
        REAL.peers("zz")


# --- the Directory ------------------------------------------------------------

def test_subset_keeps_the_directorys_order_and_refuses_unknown_ids():
    small = REAL.subset(["kr", "rilo-ap", "wco", "kr"])
    assert small.ids() == ("wco", "rilo-ap", "kr")
    with pytest.raises(TopologyError, match="unknown node 'zz'"):
        REAL.subset(["kr", "zz"])


def test_members_of_a_rilo_work_without_the_rilo_itself():
    assert REAL.subset(["de", "fr", "pl"]).members_of("rilo-we") == ("de", "fr")


def test_a_directory_is_a_container_of_nodes():
    assert "de" in REAL and "zz" not in REAL and 3 not in REAL
    assert len(REAL) == len(list(REAL)) == len(REAL.ids()) == 193 + 3  # and the three partners
    assert REAL.get("zz") is None


def test_directories_with_the_same_nodes_are_equal_whatever_the_order():
    nodes = list(REAL.subset(["wco", "rilo-we", "de"]))
    assert Directory(tuple(reversed(nodes))) == Directory(tuple(nodes))


def test_with_node_fields_changes_one_node_and_checks_the_result():
    changed = REAL.with_node_fields("de", address="127.0.0.1:7001", signing_key=KEY)
    assert changed.get("de").address == "127.0.0.1:7001" and changed.get("de").signing_key == KEY
    assert REAL.get("de").address is None
    with pytest.raises(TopologyError, match="signing_key of 'de'"):
        REAL.with_node_fields("de", signing_key="bm90IGEga2V5")
    with pytest.raises(TopologyError, match="address of 'de'"):
        REAL.with_node_fields("de", address="localhost")
    with pytest.raises(TopologyError, match="no field 'colour'"):
        REAL.with_node_fields("de", colour="red")
    with pytest.raises(TopologyError, match="cannot be changed"):
        REAL.with_node_fields("de", id="dd")


def test_from_dicts_reads_rows_like_the_policy_vectors():
    rows = [{"id": "wco", "role": "secretariat", "region": None, "area": None},
            {"id": "rilo-we", "role": "rilo", "region": "EUR", "area": "rilo-we"},
            {"id": "de", "role": "member", "region": "EUR", "area": "rilo-we", "address": "h:1"}]
    directory = Directory.from_dicts(rows)
    assert directory.get("de") == NodeInfo("de", "member", "EUR", "rilo-we", country="DE", address="h:1")


@pytest.mark.parametrize("row, message", [
    ({"id": "de", "role": "member", "region": "EUR", "area": "rilo-we", "colour": 1}, "unknown key 'colour'"),
    ({"role": "member"}, "missing 'id'"),
    ({"id": "de", "role": "admin", "region": "EUR", "area": None}, "unknown role 'admin'"),
    ({"id": "deu", "role": "member", "region": "EUR", "area": None}, "bad node id 'deu'"),
    ({"id": "de", "role": "member", "region": "EU", "area": None}, "unknown region 'EU'"),
    ({"id": "rilo-we", "role": "rilo", "region": "EUR", "area": None}, "must have itself as area"),
    ({"id": "wco", "role": "secretariat", "region": "EUR", "area": None}, "no region and no area"),
])
def test_from_dicts_refuses_bad_rows_naming_the_row(row, message):
    with pytest.raises(TopologyError, match=message) as caught:
        Directory.from_dicts([{"id": "wco", "role": "secretariat", "region": None, "area": None}, row])
    assert str(caught.value).startswith("directory[1]: ")


def test_a_member_in_another_region_than_its_rilo_is_refused():
    with pytest.raises(TopologyError, match="member 'de' is in region 'AP' but its RILO 'rilo-we' is in 'EUR'"):
        Directory.from_dicts([{"id": "rilo-we", "role": "rilo", "region": "EUR", "area": "rilo-we"},
                              {"id": "de", "role": "member", "region": "AP", "area": "rilo-we"}])


def test_a_duplicate_id_in_rows_is_refused():
    row = {"id": "de", "role": "member", "region": "EUR", "area": None}
    with pytest.raises(TopologyError, match="duplicate node id 'de'"):
        Directory.from_dicts([row, row])


# --- refusals with the line and the reason ------------------------------------

SMALL = """\
# a small network
[regions.EUR]
name = "Europe"

[regions.AMS]
name = "Americas"

[secretariat]
id = "wco"

[rilos.rilo-we]
name = "RILO Western Europe"
region = "EUR"

[members]
rilo-we = [
  "de", "fr",
  "nl",
]

[unaffiliated]
AMS = ["us"]
"""


def refusal(text: str) -> str:
    with pytest.raises(TopologyError) as caught:
        parse_topology(text, "topology.toml")
    return str(caught.value)


def test_the_small_network_is_valid():
    directory = parse_topology(SMALL)
    assert directory.ids() == ("wco", "rilo-we", "de", "fr", "nl", "us")
    assert directory.get("nl") == NodeInfo("nl", "member", "EUR", "rilo-we", country="NL")


def test_an_unknown_region_is_refused_naming_its_table_and_key():
    text = SMALL.replace('region = "EUR"', 'region = "EU"')
    assert refusal(text) == ("topology.toml: rilos.rilo-we.region: "
                             "unknown region 'EU' (one of AMS, EUR, AP, MENA, ESA, WCA)")


def test_an_unknown_region_table_is_refused_naming_it():
    text = SMALL.replace("[regions.AMS]", "[regions.AFR]")
    assert refusal(text).startswith("topology.toml: regions.AFR: unknown region 'AFR'")


def test_a_region_that_is_not_declared_is_refused():
    text = SMALL.replace('AMS = ["us"]', 'AP = ["us"]')
    assert refusal(text) == "topology.toml: unaffiliated.AP: region 'AP' is not declared in [regions]"


def test_a_duplicate_member_is_refused_naming_the_table_of_the_repeat():
    text = SMALL.replace('  "nl",\n', '  "nl",\n  "de",\n')
    assert refusal(text) == "topology.toml: members.rilo-we: duplicate node id 'de'"


def test_a_member_under_two_keys_is_refused_at_the_second():
    text = SMALL.replace('AMS = ["us"]', 'AMS = ["us", "fr"]')
    assert refusal(text) == "topology.toml: unaffiliated.AMS: duplicate node id 'fr'"


def test_a_member_reporting_to_a_missing_rilo_is_refused():
    text = SMALL.replace("\n[unaffiliated]", 'rilo-zz = ["xx"]\n\n[unaffiliated]')
    assert refusal(text) == "topology.toml: members.rilo-zz: member 'xx' reports to unknown RILO 'rilo-zz'"


@pytest.mark.parametrize("old, new, at, key", [
    ("# a small network", "colour = 1", "colour", "colour"),
    ('name = "Europe"', 'name = "Europe"\nshort = "EU"', "short", "regions.EUR.short"),
    ('id = "wco"', 'id = "wco"\nregion = "EUR"', 'region = "EUR"', "secretariat.region"),
    ('name = "RILO Western Europe"', 'name = "RILO Western Europe"\nmembers = ["de"]', "members = ",
     "rilos.rilo-we.members"),
    ('AMS = ["us"]', 'AMS = ["us"]\n\n[nodes.de]\nadress = "h:1"', "adress", "nodes.de.adress"),
    ('AMS = ["us"]', 'AMS = ["us"]\n\n[extras]\nx = 1', "[extras]", "extras"),
])
def test_an_unknown_key_is_refused_naming_it(old, new, at, key):
    text = SMALL.replace(old, new)
    assert refusal(text).startswith(f"topology.toml: unknown key '{key}' (")


def test_an_office_name_in_a_nodes_table_is_refused_with_the_place_to_set_it():
    text = SMALL + '\n[nodes.rilo-we]\nname = "Cologne office"\n'
    assert refusal(text) == ("topology.toml: unknown key "
                             "'nodes.rilo-we.name' (an office's name, city and country are set in its own table)")


@pytest.mark.parametrize("old, new, at, reason", [
    ('"nl",', '"NL",', "members.rilo-we", "bad node id 'NL': a member id is its ISO 3166 alpha-2 code in lower case"),
    ('"nl",', '"nld",', "members.rilo-we", "bad node id 'nld': a member id is its ISO 3166 alpha-2 code in lower case"),
    ("[rilos.rilo-we]", "[rilos.rilo_we]", "rilos.rilo_we",
     "bad node id 'rilo_we': a RILO id is 'rilo-' and lower-case letters"),
    ('id = "wco"', 'id = "sec"', "secretariat.id", "bad node id 'sec': the Secretariat's id is 'wco'"),
])
def test_a_bad_node_id_is_refused_naming_where(old, new, at, reason):
    text = SMALL.replace(old, new)
    assert refusal(text) == f"topology.toml: {at}: {reason}"


@pytest.mark.parametrize("extra, at, reason", [
    ('[nodes.zz]\naddress = "h:1"', "", "[nodes.zz] describes unknown node 'zz'"),
    ('[nodes.de]\naddress = "nowhere"', "nodes.de.address", "address of 'de' must be 'host:port', not 'nowhere'"),
    ('[nodes.de]\nsigning_key = "abc"', "nodes.de.signing_key",
     "signing_key of 'de' must be the base64 of a raw 32-byte Ed25519 public key"),
    ('[nodes.de]\ncity = 5', "", "nodes.de.city must be a string"),
])
def test_a_bad_nodes_table_is_refused_naming_where(extra, at, reason):
    text = SMALL + "\n" + extra + "\n"
    assert refusal(text) == (f"topology.toml: {at}: {reason}" if at else f"topology.toml: {reason}")


def test_a_host_country_in_lower_case_is_refused():
    text = SMALL.replace('region = "EUR"', 'region = "EUR"\ncountry = "de"')
    assert refusal(text) == ("topology.toml: rilos.rilo-we.country: "
                             "country of 'rilo-we' must be an ISO 3166 alpha-2 code in upper case, not 'de'")


def test_a_toml_syntax_error_is_reported_with_tomllibs_line_and_column():
    message = refusal(SMALL.replace('name = "Europe"', 'name = "Europe'))
    assert message.startswith("topology.toml: ") and "line 3" in message


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(TopologyError, match="nothing.toml: cannot read"):
        load_topology(tmp_path / "nothing.toml")


def test_load_topology_names_the_file_in_errors(tmp_path):
    path = tmp_path / "topology.toml"
    path.write_text(SMALL.replace('region = "EUR"', 'region = "EU"'), encoding="utf-8")
    with pytest.raises(TopologyError) as caught:
        load_topology(path)
    assert str(caught.value).startswith(f"{path}: rilos.rilo-we.region: unknown region 'EU'")


# --- dumping ------------------------------------------------------------------

def test_dump_topology_round_trips_the_real_topology():
    assert parse_topology(dump_topology(REAL)) == REAL


def test_dump_topology_round_trips_a_cluster_directory_with_addresses_and_keys():
    cluster = REAL.subset(["wco", *REAL.rilos(), "de", "fr", "kr", "us", "gy"])
    for port, node_id in enumerate(cluster.ids(), 7000):
        cluster = cluster.with_node_fields(node_id, address=f"127.0.0.1:{port}", signing_key=KEY)
    cluster = cluster.with_node_fields("de", name='Zoll "Deutschland"\tHQ', city="Köln")
    text = dump_topology(cluster)
    assert parse_topology(text, "cluster.toml") == cluster
    assert "[nodes.de]" in text


def test_dump_topology_round_trips_the_policy_vector_directory():
    rows = [{"id": "wco", "role": "secretariat", "region": None, "area": None},
            {"id": "rilo-sa", "role": "rilo", "region": "AMS", "area": "rilo-sa"},
            {"id": "us", "role": "member", "region": "AMS", "area": None},
            {"id": "br", "role": "member", "region": "AMS", "area": "rilo-sa"}]
    directory = Directory.from_dicts(rows)
    assert parse_topology(dump_topology(directory)) == directory


def test_dump_topology_refuses_a_member_whose_rilo_is_absent():
    with pytest.raises(TopologyError, match="cannot write member 'de': its RILO 'rilo-we' is not in the directory"):
        dump_topology(REAL.subset(["wco", "de"]))
