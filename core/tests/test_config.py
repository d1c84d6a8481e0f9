"""The access server's configuration sections: every key checked, errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from qhpc import ConfigError, Settings, load_settings


def test_server_sections_are_read_and_merged_key_by_key(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[server]\ndatabase = "postgresql://qhpc@db/qhpc"\nport = 9000\nmax_batch = 10\n'
                    '[quotas]\nmax_shots = 1000\nqpu_seconds_per_day = 60\n[quotas.users.alice]\nmax_shots = 5000\n'
                    '[sessions]\nidle_timeout = 30\n'
                    '[peers.siteB]\nurl = "https://b.example:8750/"\ntoken_file = "/etc/qhpc/b.token"\nretries = 1\n')
    user = tmp_path / "user.toml"
    user.write_text('[client]\nurl = "https://a.example"\ntoken_file = "~/.config/qhpc/token"\n[server]\nport = 9001\n')
    settings = load_settings(site).merged(__import__("tomllib").loads(user.read_text()), str(user))
    service = settings.service
    assert service.server.database == "postgresql://qhpc@db/qhpc" and service.server.port == 9001
    assert service.server.max_batch == 10 and service.server.max_attempts == 3  # defaults kept
    assert service.quotas.for_user("bob").max_shots == 1000
    alice = service.quotas.for_user("alice")
    assert alice.max_shots == 5000 and alice.qpu_seconds_per_day == 60.0  # the rest from [quotas]
    assert service.sessions.idle_timeout == 30.0 and service.sessions.max_lifetime == 8 * 3600
    peer = service.peers["siteB"]
    assert peer.url == "https://b.example:8750" and peer.retries == 1 and peer.timeout == 10.0
    assert service.client.url == "https://a.example"


@pytest.mark.parametrize("text, message", [
    ("[server]\nprot = 1\n", "server.prot: unknown setting (known in [server]: access_log"),
    ("[server]\nport = 70000\n", "server.port must be a whole number from 0 to 65535, not 70000"),
    ("[server]\nmax_body_bytes = \"1M\"\n", "server.max_body_bytes must be a whole number of at least 1024"),
    ('[server]\ntls_cert = "/c.pem"\n', "server.tls_cert and server.tls_key must be given together"),
    ("[quotas]\nmax_qubits = 0\n", "quotas.max_qubits must be a whole number of at least 1, not 0"),
    ("[quotas.users.alice]\nshots = 3\n", "quotas.users.alice.shots: unknown setting"),
    ("[sessions]\nidle_timeout = -1\n", "sessions.idle_timeout must be positive, not -1"),
    ("[peers.siteB]\ntimeout = 3\n", "peers.siteB.url is required"),
    ('[peers.siteB]\nurl = "ftp://b"\n', "peers.siteB.url must be an http:// or https:// URL"),
    ('[peers."site.B"]\nurl = "http://b"\n', "peers.site.B is not a valid peer name"),
    ('[peers.siteB]\nurl = "http://b"\nbackends = "ibm_perth"\n', "peers.siteB.backends must be a list of backend names"),
    ('[client]\ntoken = "qhpc_secret"\n', "client.token: unknown setting (known in [client]: ca_file, token_file, url)"),
    ("[serve]\nport = 1\n", "serve: unknown section"),
])
def test_a_bad_server_setting_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "site.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).startswith(f"{config}: ") and message in str(caught.value)


def test_defaults_need_no_file() -> None:
    service = Settings().service
    assert service.server.database is None and service.server.host == "127.0.0.1"
    assert service.quotas.for_user("anyone").max_queued == 1000 and service.peers == {}
