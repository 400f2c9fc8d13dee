"""The web interface's config keys, and that a node without it never loads the web stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rilo_node.core.errors import ConfigError
from rilo_node.node.config import parse_config

BASE = {"node": {"id": "de", "listen": "127.0.0.1:7400"},
        "tls": {"ca": "ca.pem", "cert": "node.pem", "key": "node.key"}, "signing": {"key": "signing.key"}}


def config(**web):
    return parse_config({**BASE, "web": web}, Path("/x/node.toml"))


def test_web_keys():
    assert config().web_listen is None and config().web_admin_totp is True
    assert config(listen="off").web_listen is None
    assert config(listen="127.0.0.1:8443", admin_totp=False).web_listen == "127.0.0.1:8443"
    assert config(listen="127.0.0.1:8443", admin_totp=False).web_admin_totp is False
    for bad, words in (({"listen": "nowhere"}, "web.listen"), ({"listen": "127.0.0.1:7400"}, "node.listen too"),
                       ({"admin_totp": "yes"}, "web.admin_totp"), ({"port": 1}, "unknown key web.port")):
        with pytest.raises(ConfigError, match=words):
            config(**bad)
    with pytest.raises(ConfigError, match="needs TLS"):
        parse_config({"node": {"id": "de", "listen": "127.0.0.1:7400", "insecure": True},
                      "signing": {"key": "k"}, "web": {"listen": "127.0.0.1:8443"}}, Path("/x/node.toml"))


def test_a_node_without_the_web_never_imports_the_web_stack():
    code = ("import sys, rilo_node.cli.main, rilo_node.cli.node, rilo_node.api.server, rilo_node.sim.cluster; "
            "print(','.join(m for m in ('starlette', 'uvicorn', 'jinja2', 'sse_starlette', 'argon2', 'pyotp', "
            "'rilo_node.web.app', 'rilo_node.node.users') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
