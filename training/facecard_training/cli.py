"""Command line: `python -m facecard_training build [options]`."""

import argparse
import json
import logging
import os
import random
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "facecard"
)


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """Return $FACECARD_UTKFACE_DIR, or else ../shared/data/utkface-dev.

    The fallback path is relative to the repository's parent folder. An empty
    FACECARD_UTKFACE_DIR counts as unset, because Path("") would be the
    current folder.
    """
    configured = environ.get("FACECARD_UTKFACE_DIR", "")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data" / "utkface-dev"


DEFAULT_DATA = default_data_dir(os.environ)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every option's unit and default in its help."""
    parser = argparse.ArgumentParser(
        prog="python -m facecard_training",
        description="Rebuild facecard's ONNX models, metrics and manifest.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser(
        "build",
        help="run every step and write models/",
        description="Run every step and write the models, metrics and manifest.",
    )
    build.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help="folder for npm tarballs and cached FaceRes outputs "
        "(default: %(default)s)",
    )
    build.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help="folder of UTKFace crops named AGE_GENDER_RACE_DATETIME.jpg.chip.jpg; "
        "when it does not exist, --smoke uses synthetic-label crops of face-api's "
        "demo photos instead "
        "(default: $FACECARD_UTKFACE_DIR if set, else %(default)s)",
    )
    build.add_argument(
        "--out-dir",
        type=Path,
        help="output folder (default: models/, or a new temporary folder with --smoke)",
    )
    build.add_argument(
        "--split-file",
        type=Path,
        help="where to write the split (default: training/split.json, "
        "or split.json in the output folder with --smoke)",
    )

    build.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the split, CV folds and every RNG (default: %(default)s)",
    )
    build.add_argument(
        "--validation-fraction",
        type=float,
        default=0.2,
        help="share of duplicate groups held out per race (default: %(default)s)",
    )

    build.add_argument(
        "--near-duplicate-threshold",
        type=float,
        default=0.93,
        help="FaceRes descriptor cosine similarity at or above which two crops "
        "count as duplicates (default: %(default)s)",
    )
    build.add_argument(
        "--framing-padding",
        type=float,
        default=2.0,
        help="side of the black canvas each crop is centered on before BlazeFace "
        "measures its framing, in crop sides (default: %(default)s)",
    )
    build.add_argument(
        "--folds",
        type=int,
        default=5,
        help="cross-validation folds on the train split; --smoke uses 3 "
        "(default: %(default)s)",
    )
    build.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="crops per FaceRes onnxruntime call (default: %(default)s)",
    )

    build.add_argument(
        "--smoke",
        action="store_true",
        help="quick check: a few crops per race, small grids, outputs to a "
        "temporary folder; runs without the UTKFace folder; takes about a minute",
    )
    build.add_argument(
        "--smoke-per-race",
        type=int,
        default=20,
        help="crops per race in --smoke mode (default: %(default)s)",
    )
    build.add_argument(
        "--skip-tract-check",
        action="store_true",
        help="do not run the tract_check cargo example at the end",
    )
    build.add_argument("--verbose", action="store_true", help="log debug messages")

    report = commands.add_parser(
        "report",
        help="print metrics.json as Markdown tables",
        description="Print the validation metrics of a build as Markdown tables.",
    )
    report.add_argument(
        "metrics",
        type=Path,
        nargs="?",
        default=REPO_ROOT / "models" / "metrics.json",
        help="metrics file to read (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, seed the RNGs and run the command; return the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "report":
        from facecard_training.evaluate import markdown_report

        print(markdown_report(json.loads(args.metrics.read_text())), end="")
        return 0

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    random.seed(args.seed)
    np.random.seed(args.seed)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tf2onnx").setLevel(logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)

    # TensorFlow is imported here, after TF_CPP_MIN_LOG_LEVEL is set.
    from facecard_training import pipeline

    out_dir = args.out_dir
    if out_dir is None:
        out_dir = (
            Path(tempfile.mkdtemp(prefix="facecard-smoke-"))
            if args.smoke
            else REPO_ROOT / "models"
        )
    split_file = args.split_file
    if split_file is None:
        split_file = (
            out_dir / "split.json"
            if args.smoke
            else REPO_ROOT / "training" / "split.json"
        )

    config = pipeline.BuildConfig(
        repo_root=REPO_ROOT,
        cache_dir=args.cache_dir,
        data_dir=args.data_dir,
        out_dir=out_dir,
        split_file=split_file,
        seed=args.seed,
        validation_fraction=args.validation_fraction,
        near_duplicate_threshold=args.near_duplicate_threshold,
        framing_padding=args.framing_padding,
        folds=3 if args.smoke else args.folds,
        batch_size=args.batch_size,
        smoke=args.smoke,
        smoke_per_race=args.smoke_per_race,
        tract_check=not args.skip_tract_check,
    )
    try:
        return pipeline.build(config)
    except (FileNotFoundError, RuntimeError, ValueError) as error:
        logging.getLogger("facecard_training").error("build failed: %s", error)
        return 1


if __name__ == "__main__":
    sys.exit(main())
