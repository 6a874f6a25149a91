"""Entry point for `python -m facecard_training`."""

from facecard_training.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
