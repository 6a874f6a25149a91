//! The `facecard` binary. On the host it is the command line: `predict` estimates attributes for
//! every face in photos, and `eval` scores the models on a folder of UTKFace-named images. Built
//! by Trunk for wasm32, it is the browser page.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    facecard::web::app::start();
}
