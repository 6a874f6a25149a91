//! The inference worker: loads both models once, then analyses one photo per request, so the
//! page never freezes while the models download, optimize and run.
//!
//! Input: [`Request`] messages from the page, each an array `[json, bytes?]`. Output:
//! [`Response`] messages as JSON strings. Runs the same [`Facecard`] pipeline as the CLI.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, ReadableStreamDefaultReader};
use web_time::Instant;

use crate::protocol::{Request, Response, ATTRIBUTES_URL, DETECTOR_URL};
use crate::Facecard;

/// The worker's state: the loaded pipeline, once both models are ready.
#[derive(Default)]
struct WorkerState {
    facecard: Option<Facecard>,
    loading: bool,
}

/// Starts the worker: installs the message handler, which lives as long as the worker.
pub fn start() {
    console_error_panic_hook::set_once();
    if let Err(error) = console_log::init_with_level(log::Level::Info) {
        web_sys::console::warn_1(&format!("console logging is unavailable: {error}").into());
    }

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = Rc::new(RefCell::new(WorkerState::default()));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        handle_message(&state, event.data());
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler must outlive this function, for the whole life of the worker.
    handler.forget();
    post(&Response::Started);
}

fn post(response: &Response) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    if let Err(error) = scope.post_message(&JsValue::from_str(&response.to_json())) {
        log::error!("posting a response to the page failed: {error:?}");
    }
}

fn handle_message(state: &Rc<RefCell<WorkerState>>, data: JsValue) {
    let message = Array::from(&data);
    let json = message.get(0).as_string().unwrap_or_default();
    let request: Request = match serde_json::from_str(&json) {
        Ok(request) => request,
        Err(error) => {
            log::error!("ignoring a message that is not a request ({error}): {json:?}");
            return;
        }
    };

    match request {
        Request::Load => {
            let mut current = state.borrow_mut();
            if current.facecard.is_some() {
                post(&Response::Ready { load_ms: 0.0 });
            } else if !current.loading {
                current.loading = true;
                spawn_local(load_models(Rc::clone(state)));
            }
        }
        Request::Analyze { id, file } => {
            let bytes = message
                .get(1)
                .dyn_into::<ArrayBuffer>()
                .map(|b| Uint8Array::new(&b).to_vec());
            post(&analyze(&state.borrow(), id, &file, bytes.ok()));
        }
    }
}

fn analyze(state: &WorkerState, id: u32, file: &str, bytes: Option<Vec<u8>>) -> Response {
    let Some(facecard) = &state.facecard else {
        return Response::Failed {
            id,
            message: "the models are not loaded yet; wait for \"ready\" and try again".to_owned(),
        };
    };
    let Some(bytes) = bytes else {
        return Response::Failed {
            id,
            message: format!("{file}: the page sent no file contents; pick the file again"),
        };
    };
    match facecard.analyze(file, &bytes) {
        Ok(result) => Response::Result { id, result },
        Err(error) => {
            log::warn!("{file}: {error}");
            Response::Failed {
                id,
                message: error.to_string(),
            }
        }
    }
}

/// Downloads both models with progress, then builds the pipeline.
async fn load_models(state: Rc<RefCell<WorkerState>>) {
    let started = Instant::now();
    let loaded = download_models().await.and_then(|(detector, attributes)| {
        Facecard::from_model_bytes(&detector, &attributes).map_err(|error| error.to_string())
    });

    let mut current = state.borrow_mut();
    current.loading = false;
    match loaded {
        Ok(facecard) => {
            current.facecard = Some(facecard);
            let load_ms = started.elapsed().as_secs_f64() * 1000.0;
            log::info!("models ready in {load_ms:.0} ms");
            post(&Response::Ready { load_ms });
        }
        Err(message) => {
            log::error!("loading the models failed: {message}");
            post(&Response::LoadFailed { message });
        }
    }
}

async fn download_models() -> Result<(Vec<u8>, Vec<u8>), String> {
    // Both requests start before either body is read, so the total size is known up front.
    let detector = open(DETECTOR_URL).await?;
    let attributes = open(ATTRIBUTES_URL).await?;
    let total = detector.1 + attributes.1;

    let mut loaded = 0;
    let detector_bytes = read_body(DETECTOR_URL, detector.0, &mut loaded, total).await?;
    let attributes_bytes = read_body(ATTRIBUTES_URL, attributes.0, &mut loaded, total).await?;
    Ok((detector_bytes, attributes_bytes))
}

/// Starts a download and returns the body reader with the announced size (0 when unknown).
async fn open(url: &str) -> Result<(ReadableStreamDefaultReader, u64), String> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let failed = |what: &str, error: JsValue| {
        format!("downloading {url} failed ({what}: {error:?}); check the connection and retry")
    };

    let response: web_sys::Response = JsFuture::from(scope.fetch_with_str(url))
        .await
        .map_err(|e| failed("network error", e))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!(
            "downloading {url} failed with HTTP status {}; retry, or reinstall the app",
            response.status()
        ));
    }
    let size = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|length| length.parse().ok())
        .unwrap_or(0);
    let body = response
        .body()
        .ok_or_else(|| format!("downloading {url} failed: the response has no body"))?;
    Ok((body.get_reader().unchecked_into(), size))
}

/// Reads a whole body, posting progress after each chunk.
async fn read_body(
    url: &str,
    reader: ReadableStreamDefaultReader,
    loaded: &mut u64,
    total: u64,
) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|error| format!("downloading {url} was interrupted ({error:?}); retry"))?;
        let done = Reflect::get(&chunk, &"done".into())
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(|error| format!("downloading {url} returned an unreadable chunk ({error:?})"))?
            .unchecked_into();
        bytes.extend(value.to_vec());
        *loaded += u64::from(value.length());
        post(&Response::Progress {
            loaded: *loaded,
            total,
        });
    }
}
