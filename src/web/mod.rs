//! The browser app: a Leptos page (`app`, `ui`, `draw`) and the inference worker (`worker`),
//! both built by Trunk from this crate for wasm32. `state` is plain Rust, tested on the host.

pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
mod draw;
#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;
