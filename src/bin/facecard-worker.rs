//! The browser's inference worker, built by Trunk for wasm32 (see `src/web/worker.rs`).

#[cfg(target_arch = "wasm32")]
fn main() {
    facecard::web::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("facecard-worker runs only in the browser; use `facecard` on this machine");
    std::process::ExitCode::from(2)
}
