import os
import stat
from pathlib import Path

import pytest

from campaign.identifiers import CASE_REF_PATTERN, case_ref, ref_secret


def test_case_ref_is_stable_opaque_and_keyed() -> None:
    ref = case_ref("DEMO-US-001", b"secret-a")
    assert CASE_REF_PATTERN.fullmatch(ref)
    assert ref == case_ref("DEMO-US-001", b"secret-a")
    assert ref != case_ref("DEMO-US-001", b"secret-b")
    assert ref != case_ref("DEMO-US-002", b"secret-a")
    assert "DEMO" not in ref


def test_refs_do_not_collide_in_a_large_batch() -> None:
    refs = {case_ref(f"C-{number}", b"k") for number in range(20_000)}
    assert len(refs) == 20_000


def test_secret_from_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REF_KEY", "from-env")
    assert ref_secret("REF_KEY", tmp_path / "state", create=True) == b"from-env"
    assert not (tmp_path / "state").exists()


def test_secret_file_is_created_once_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REF_KEY", raising=False)
    state = tmp_path / "state"
    first = ref_secret("REF_KEY", state, create=True)
    assert ref_secret("REF_KEY", state, create=True) == first
    mode = stat.S_IMODE(os.stat(state / "case-ref.key").st_mode)
    assert mode == 0o600


def test_without_create_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REF_KEY", raising=False)
    assert ref_secret("REF_KEY", tmp_path / "state", create=False)
    assert not (tmp_path / "state").exists()
