"""`campaign alert`: exit codes, the CAP it prints and records, the texts it prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from campaign.cli import main
from campaign.config import load_config
from campaign.layouts.shorttext import sms_count
from campaign.state import open_state
from tests.captools import NS, parse, valid


@pytest.fixture
def cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(
        '[campaign]\ncase_url = "https://example.org/c/{ref}"\n'
        'photo_url = "https://example.org/p/{ref}.jpg"\nstate_dir = "state"\n'
        '[countries.US]\nhotline = "(202) 555-0100"\n'
    )
    return path


def alert(demo_dir: Path, config: Path, *args: str, cases: str = "cases.csv") -> Result:
    argv = ["alert", str(demo_dir / cases), *args, "--config", str(config), "--as-of", "2026-11-28"]
    return CliRunner().invoke(main, argv)


def test_cli_cap_prints_valid_cap_and_records_it(demo_dir: Path, cli_config: Path) -> None:
    result = alert(demo_dir, cli_config, "DEMO-US-001", "--format", "cap")
    assert result.exit_code == 0, result.output
    root = valid(result.stdout.encode("utf-8"))
    with open_state(load_config(cli_config)) as state:
        rows = state._db.execute("SELECT case_ref, identifier, msg_type FROM publications")
        ((case_ref, identifier, msg_type),) = rows.fetchall()
    assert identifier == root.findtext("cap:identifier", namespaces=NS)
    assert msg_type == "Alert" and f".{case_ref}." in identifier
    assert "recorded in" in result.stderr


def test_cli_refuses_gated_unknown_and_resolved_texts(demo_dir: Path, cli_config: Path) -> None:
    for case_id, fmt, message in [
        ("DEMO-AR-001", "cap", "not publishable"),
        ("NOPE", "sms", "no case with id 'NOPE'"),
        ("DEMO-MX-002", "wea", "resolved"),
        ("DEMO-MX-002", "cap", "nothing to cancel"),
    ]:
        result = alert(demo_dir, cli_config, case_id, "--format", fmt)
        assert result.exit_code == 1, result.output
        assert message in result.stderr and result.stdout == ""
    assert alert(demo_dir, cli_config, "DEMO-US-001", "--format", "fax").exit_code == 2
    bad = alert(demo_dir, cli_config, "DEMO-US-001", "--format", "sms", "--locale", "xx_YY")
    assert bad.exit_code == 2


def test_cli_resolved_case_prints_the_cancel(demo_dir: Path, cli_config: Path) -> None:
    text = (demo_dir / "cases.csv").read_text(encoding="utf-8")
    (demo_dir / "cases-before.csv").write_text(
        text.replace("DEMO-MX-002,resolved,", "DEMO-MX-002,active,"), encoding="utf-8"
    )
    before = alert(demo_dir, cli_config, "DEMO-MX-002", "--format", "cap", cases="cases-before.csv")
    assert before.exit_code == 0, before.output
    original = parse(before.stdout.encode("utf-8"))
    result = alert(demo_dir, cli_config, "DEMO-MX-002", "--format", "cap")
    assert result.exit_code == 0, result.output
    root = valid(result.stdout.encode("utf-8"))
    assert root.findtext("cap:msgType", namespaces=NS) == "Cancel"
    expected = ",".join(
        original.findtext(f"cap:{name}", namespaces=NS) for name in ("sender", "identifier", "sent")
    )
    assert root.findtext("cap:references", namespaces=NS) == expected
    assert "Diego" not in result.stdout


def test_cli_sms_in_spanish_prints_text_and_segments(demo_dir: Path, cli_config: Path) -> None:
    result = alert(demo_dir, cli_config, "DEMO-US-001", "--format", "sms", "--locale", "es")
    assert result.exit_code == 0, result.output
    head, *lines = result.stdout.rstrip("\n").split("\n")
    assert head.startswith("[es] SMS: ") and " segment" in head
    assert "Jaylen Brooks" in lines and "Estados Unidos" in result.stdout
    segments = int(head.split()[2])
    assert segments == sms_count("\n".join(lines)).segments <= 2
    wea = alert(demo_dir, cli_config, "DEMO-US-001", "--format", "wea")
    assert wea.exit_code == 0 and wea.stdout.count("[en] WEA") == 2
    social = alert(demo_dir, cli_config, "DEMO-US-001", "--format", "social", "--locale", "en")
    assert social.exit_code == 0 and "utm_medium=social" in social.stdout
