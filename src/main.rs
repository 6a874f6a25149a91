//! The `facecard` command line: `predict` estimates attributes for every face in photos, and
//! `eval` scores the models on a folder of UTKFace-named images.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

// The browser build has no command line; its entry point is the web app.
#[cfg(target_arch = "wasm32")]
fn main() {}
