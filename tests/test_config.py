from pathlib import Path

import pytest

from campaign.config import Config, find_config, load_config
from campaign.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert config.source is None
    assert "{ref}" in config.case_url
    assert config.state_dir.name == ".campaign"


def test_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[campaign]\ncases = "data/cases.csv"\nstate_dir = "state"\n'
        '[fetch]\nallowed_hosts = ["photos.example.org"]\nca_file = "ca.pem"\n',
    )
    config = load_config(path)
    assert config.cases == tmp_path.resolve() / "data" / "cases.csv"
    assert config.state_dir == tmp_path.resolve() / "state"
    assert config.fetch.allowed_hosts == ("photos.example.org",)
    assert config.fetch.ca_file == tmp_path.resolve() / "ca.pem"


def test_unknown_key_names_it_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, '[campaign]\norganisaton = "X"\n')
    with pytest.raises(
        ConfigError, match=r"campaign\.organisaton.*did you mean 'campaign\.organisation'"
    ):
        load_config(path)


def test_unknown_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'fecth'"):
        load_config(write(tmp_path, "[fecth]\nmax_bytes = 1\n"))


def test_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fetch.max_bytes must be a whole number"):
        load_config(write(tmp_path, '[fetch]\nmax_bytes = "big"\n'))


def test_case_url_needs_ref_and_https(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\{ref\}"):
        load_config(write(tmp_path, '[campaign]\ncase_url = "https://x.org/c/"\n'))
    with pytest.raises(ConfigError, match="https"):
        load_config(write(tmp_path, '[campaign]\ncase_url = "http://x.org/{ref}"\n'))


def test_bad_toml_names_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="campaign.toml: not valid TOML"):
        load_config(write(tmp_path, "[campaign\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_find_config_prefers_explicit_then_cwd(tmp_path: Path) -> None:
    assert find_config(None, tmp_path) is None
    write(tmp_path, "")
    assert find_config(None, tmp_path) == tmp_path / "campaign.toml"
    assert find_config(Path("x.toml"), tmp_path) == Path("x.toml")


def test_repr_holds_no_secret_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SECRET", "hunter2-very-secret")
    config = load_config(write(tmp_path, '[campaign]\ncase_ref_secret_env = "MY_SECRET"\n'))
    assert "hunter2" not in repr(config)
    assert isinstance(config, Config)


def test_an_organisation_name_that_closure_notices_may_not_say_is_refused(tmp_path: Path) -> None:
    from campaign.config import load_config
    from campaign.errors import ConfigError

    path = tmp_path / "campaign.toml"
    path.write_text('[campaign]\norganisation = "Child Safety Network"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'safety'"):
        load_config(path)


def test_withdrawal_grace_days(tmp_path: Path) -> None:
    from campaign.config import load_config
    from campaign.errors import ConfigError

    path = tmp_path / "campaign.toml"
    path.write_text("[withdrawal]\ngrace_days = 7\n", encoding="utf-8")
    assert load_config(path).grace_days == 7
    path.write_text("[withdrawal]\ngrace_days = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="grace_days"):
        load_config(path)
