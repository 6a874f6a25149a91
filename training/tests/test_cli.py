"""Tests for the command line's defaults."""

from pathlib import Path

from facecard_training import cli


def test_data_dir_from_environment() -> None:
    environ = {"FACECARD_UTKFACE_DIR": "/nonexistent"}
    assert cli.default_data_dir(environ) == Path("/nonexistent")


def test_data_dir_default_when_unset() -> None:
    expected = cli.REPO_ROOT.parent / "shared" / "data" / "utkface-dev"
    assert cli.default_data_dir({}) == expected


def test_data_dir_default_when_empty() -> None:
    expected = cli.REPO_ROOT.parent / "shared" / "data" / "utkface-dev"
    assert cli.default_data_dir({"FACECARD_UTKFACE_DIR": ""}) == expected
