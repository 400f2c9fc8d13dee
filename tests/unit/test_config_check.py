"""rilo_node.node.check.check_config on node folders: each problem is found and names its key or file."""

from __future__ import annotations

import datetime
import os
import tomllib

import pytest
import tomli_w

from rilo_node.node.check import check_config
from rilo_node.node.config import update_config
from rilo_node.node.pki import CertificateAuthority, write_pem
from rilo_node.node.provision import init_node_dir


@pytest.fixture(scope="module")
def ca():
    return CertificateAuthority.create("check test CA")


@pytest.fixture
def folder(tmp_path, topology_path, ca):
    return init_node_dir(tmp_path / "de", "de", topology_path, ca=ca).path


def problems(folder, **kw) -> list[str]:
    return check_config(folder / "node.toml", **kw).problems


def test_a_fresh_folder_passes(folder):
    report = check_config(folder / "node.toml")
    assert report.ok and report.role == "member" and report.signing_key_id.startswith("de:")
    assert report.summary().endswith(f"valid until {report.cert_not_after:%Y-%m-%d}")


def test_a_certificate_of_another_node_is_named(folder, ca):
    cert, key = ca.issue_node("fr")
    write_pem(folder / "tls" / "node.pem", cert)
    write_pem(folder / "tls" / "node.key", key, private=True)
    found = problems(folder)
    assert any(p.startswith("tls.cert") and "node:fr, not node:de" in p for p in found)
    assert any(p.startswith("tls.cert") and "does not name de.node.rilo" in p for p in found)


def test_a_tls_key_that_is_not_the_certificates_is_named(folder, ca):
    _, key = ca.issue_node("de")
    write_pem(folder / "tls" / "node.key", key, private=True)
    expected = (f"tls.key ({folder / 'tls' / 'node.key'}): not the key of the certificate in tls.cert "
                f"({folder / 'tls' / 'node.pem'})")
    assert [p for p in problems(folder) if p.startswith("tls.key")] == [expected]


def test_an_expired_certificate_is_named(folder):
    years_later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=900)
    found = problems(folder, now=years_later)
    assert any(p.startswith("tls.cert") and "not now" in p for p in found)


def test_files_that_are_not_keys_or_certificates_are_named(folder):
    (folder / "keys" / "signing.key").write_text("not a key\n")
    (folder / "tls" / "ca.pem").write_text("not a certificate\n")
    found = problems(folder)
    assert any(p.startswith("signing.key") for p in found)
    assert any(p.startswith("tls.ca") and "not a PEM certificate" in p for p in found)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_key_file_is_named(folder):
    (folder / "keys" / "signing.key").chmod(0)
    assert any(p.startswith("signing.key") and "cannot read" in p for p in problems(folder))


def test_an_insecure_node_needs_no_tls_files(tmp_path, topology_path):
    path = init_node_dir(tmp_path / "de", "de", topology_path, insecure=True).path
    for name in ("ca.pem", "node.pem", "node.key"):
        (path / "tls" / name).unlink()
    config = tomllib.loads((path / "node.toml").read_text())
    del config["tls"]
    (path / "node.toml").write_text(tomli_w.dumps(config))
    report = check_config(path / "node.toml")
    assert report.ok, report.problems
    assert "insecure (no TLS)" in report.summary()


def test_validation_required_without_a_home_rilo_is_named(tmp_path, topology_path, ca):
    path = init_node_dir(tmp_path / "wco", "wco", topology_path, ca=ca).path
    update_config(path / "node.toml", {"validation": {"required": True}})
    assert [p for p in problems(path) if p.startswith("validation.required")]


def test_a_directory_that_does_not_load_is_named(folder):
    (folder / "topology.toml").write_text("[nodes.de]\nnonsense = 1\n")
    [problem] = problems(folder)
    assert problem.startswith("node.topology: ")


def test_a_config_that_cannot_be_read_is_a_problem_not_a_traceback(tmp_path):
    assert check_config(tmp_path).problems == ["cannot read the config: Is a directory"]
    (tmp_path / "node.toml").write_bytes(b"\xff\xfe")
    [problem] = check_config(tmp_path / "node.toml").problems
    assert problem.startswith("cannot read the config: ")
