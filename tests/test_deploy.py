"""The deployment files in deploy/ name the node's real command, flags and paths, and what they run works:
the systemd unit, its node.toml, the Containerfile, the Kubernetes manifests, the health check and the
compose lab's folders. (The linters run in scripts/test.)"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from rilo_node.cli.main import build_parser
from rilo_node.node.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "rilo-node.service"
SCRIPT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a systemd unit, in order, repeated keys kept."""
    out, section = [], ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def service(key: str) -> list[str]:
    return [v for s, k, v in unit_entries(UNIT) if s == "Service" and k == key]


def parsed(argv: list[str]):
    """What the real CLI makes of argv (the program name first): the command's function and flags."""
    assert Path(argv[0]).name in SCRIPT, f"{argv[0]} is not a command the package installs ({sorted(SCRIPT)})"
    return build_parser().parse_args(argv[1:])


def test_the_unit_runs_rilo_node_serve_on_a_config_in_its_state_directory():
    (exec_start,) = service("ExecStart")
    args = parsed(shlex.split(exec_start))
    assert args.func.__name__ == "cmd_serve"
    (state,) = service("StateDirectory")
    assert Path(args.config).parent == Path("/var/lib") / state
    assert service("WorkingDirectory") == [f"/var/lib/{state}"]
    (pre,) = service("ExecStartPre")
    pre_args = parsed(shlex.split(pre))
    assert pre_args.func.__name__ == "cmd_config_check" and pre_args.config == args.config


def test_the_unit_is_hardened():
    assert service("ProtectSystem") == ["strict"]
    assert service("NoNewPrivileges") == ["yes"]
    assert service("DynamicUser") == ["yes"] or service("User")
    assert service("CapabilityBoundingSet") == [""]
    assert len(service("LoadCredential")) == 2


def test_the_unit_s_credentials_are_the_keys_its_node_toml_reads(tmp_path):
    """LoadCredential hands node.key and signing.key to the service at /run/credentials/<unit>/; the
    example node.toml reads its two private keys there and everything else beside itself."""
    creds = {v.split(":", 1)[0]: v.split(":", 1)[1] for v in service("LoadCredential")}
    run_dir = Path("/run/credentials") / UNIT.name
    example = tomllib.loads((DEPLOY / "systemd" / "node.toml").read_text())
    assert {Path(example["tls"]["key"]), Path(example["signing"]["key"])} == {run_dir / name for name in creds}
    assert all(Path(src).is_absolute() and Path(src).name == name for name, src in creds.items())

    # The example is a config the node loads and `config check` passes, once its folder and the
    # credentials folder hold what `rilo-node init` makes.
    from rilo_node.node.check import check_config
    from rilo_node.node.directory import default_topology_path
    from rilo_node.node.provision import init_node_dir

    state, cred_dir = tmp_path / "state", tmp_path / "credentials"
    folder = init_node_dir(state, example["node"]["id"], default_topology_path())
    cred_dir.mkdir()
    shutil.copy(folder.path / "tls" / "node.key", cred_dir / "node.key")
    shutil.copy(folder.path / "keys" / "signing.key", cred_dir / "signing.key")
    text = (DEPLOY / "systemd" / "node.toml").read_text().replace(str(run_dir), str(cred_dir))
    (state / "node.toml").write_text(text)
    config = load_config(state / "node.toml")
    assert config.tls_key == cred_dir / "node.key" and config.signing_key == cred_dir / "signing.key"
    report = check_config(state / "node.toml")
    assert not report.problems, report.problems


def containerfile_instructions() -> dict[str, list[str]]:
    text = (DEPLOY / "Containerfile").read_text().replace("\\\n", " ")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.setdefault(word.upper(), []).append(rest.strip())
    return out


def test_the_image_runs_rilo_node_serve_as_an_unprivileged_user_with_a_grpc_health_check():
    ins = containerfile_instructions()
    argv = json.loads(ins["ENTRYPOINT"][-1]) + json.loads(ins["CMD"][-1])
    args = parsed(argv)
    assert args.func.__name__ == "cmd_serve"
    user = ins["USER"][-1].split(":")[0]
    assert user not in ("root", "0")
    assert Path(args.config).parent.as_posix() in ins["VOLUME"][-1] and ins["WORKDIR"][-1] == "/var/lib/rilo-node"
    health = ins["HEALTHCHECK"][-1]
    cmd = json.loads(health[health.index("CMD") + 3:].strip())
    assert "deploy/healthcheck.py " + cmd[1] in ins["COPY"]
    assert cmd[cmd.index("--config") + 1] == args.config


def test_the_kubernetes_node_has_health_probes_a_volume_of_its_own_and_the_real_command():
    docs = [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "node-de.yaml").read_text()) if d]
    (sts,) = [d for d in docs if d["kind"] == "StatefulSet"]
    (config_map,) = [d for d in docs if d["kind"] == "ConfigMap"]
    assert sts["spec"]["replicas"] == 1 and sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "state"
    pod = sts["spec"]["template"]["spec"]
    (node,) = pod["containers"]
    entry = json.loads(containerfile_instructions()["ENTRYPOINT"][-1])
    args = parsed(entry + node["args"])
    assert args.func.__name__ == "cmd_serve"
    mounts = {m["name"]: m["mountPath"] for m in node["volumeMounts"]}
    assert Path(args.config).parent.as_posix() == mounts["state"]
    health = containerfile_instructions()["HEALTHCHECK"][-1]
    image_check = json.loads(health[health.index("CMD") + 3:].strip())
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        cmd = node[probe]["exec"]["command"]
        assert cmd[:2] == image_check[:2] and cmd[cmd.index("--config") + 1] == args.config
    assert pod["securityContext"]["runAsNonRoot"] is True
    # node.toml (from the ConfigMap, copied onto the volume by the init container) reads what is mounted
    conf = tomllib.loads(config_map["data"]["node.toml"])
    for path in (conf["tls"]["key"], conf["signing"]["key"], conf["tls"]["ca"], conf["tls"]["cert"]):
        assert path.startswith(mounts["keys"] + "/")
    assert conf["node"]["topology"].startswith(mounts["directory"] + "/")
    assert conf["node"]["data_dir"].startswith(mounts["state"] + "/")
    (init,) = pod["initContainers"]
    assert init["command"][-1] == args.config


def test_the_health_check_says_serving_for_a_node_that_serves_and_fails_once_it_stops(tmp_path):
    from rilo_node.node.directory import default_topology_path
    from rilo_node.node.provision import init_node_dir
    from tests.e2e.conftest import ServedNode

    folder = init_node_dir(tmp_path / "de", "de", default_topology_path(), listen="127.0.0.1:0")
    node = ServedNode(folder.path).start()
    check = [sys.executable, str(DEPLOY / "healthcheck.py"), "--config", str(folder.config)]
    try:
        port = node.address.rsplit(":", 1)[1]
        # the health check dials the port node.toml gives: the one the node bound
        text = folder.config.read_text().replace('listen = "127.0.0.1:0"', f'listen = "127.0.0.1:{port}"')
        folder.config.write_text(text)
        ok = subprocess.run(check, capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0 and ok.stdout.strip() == "SERVING", ok.stderr
    finally:
        node.stop()
    down = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert down.returncode == 1 and "unhealthy: UNAVAILABLE" in down.stderr


def test_the_compose_lab_folders_are_three_offices_reaching_each_other_by_service_name(tmp_path):
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"wco", "rilo-we", "de"}
    sys.path.insert(0, str(DEPLOY / "compose"))
    try:
        from make_lab import make_lab
    finally:
        sys.path.pop(0)
    folders = make_lab(tmp_path / "lab")
    from rilo_node.node.directory import load_topology

    for folder in folders:
        node_id = folder.name
        (volume,) = services[node_id]["volumes"]
        assert volume == f"./lab/{node_id}:/var/lib/rilo-node"
        config = load_config(folder / "node.toml")
        assert config.listen == "0.0.0.0:7443"
        directory = load_topology(config.topology)
        assert {n.id: n.address for n in directory} == {s: f"{s}:7443" for s in services}
