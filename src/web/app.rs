//! The page: a photo goes in by picker, drag-and-drop or paste, the worker analyses it, and the
//! page draws each face's box on the photo and shows one card per face.

use js_sys::{Array, ArrayBuffer};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, MessageEvent, Worker};

use crate::protocol::{Request, Response};
use crate::web::draw;
use crate::web::state::{Analysis, ModelState, Status};
use crate::web::ui::{FaceCards, ModelStatus, PhotoPicker, PrivacyNote};

/// Script that starts the worker, as Trunk names it for the `facecard-worker` binary.
const WORKER_SCRIPT: &str = "./facecard-worker_loader.js";

/// Mounts the app on the page's body.
pub fn start() {
    console_error_panic_hook::set_once();
    if let Err(error) = console_log::init_with_level(log::Level::Info) {
        web_sys::console::warn_1(&format!("console logging is unavailable: {error}").into());
    }
    leptos::mount::mount_to_body(App);
}

/// Sends a request to the worker, with the photo's bytes transferred rather than copied.
fn send(worker: &Worker, request: &Request, bytes: Option<&ArrayBuffer>) {
    let message = Array::of1(&JsValue::from_str(&request.to_json()));
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        message.push(bytes);
        transfer.push(bytes);
    }
    if let Err(error) = worker.post_message_with_transfer(&message, &transfer) {
        log::error!("posting {request:?} to the worker failed: {error:?}");
    }
}

#[component]
pub fn App() -> impl IntoView {
    let (model, set_model) = signal(ModelState::Loading {
        loaded: 0,
        total: 0,
    });
    let analysis = RwSignal::new(Analysis::default());
    let photo_url = RwSignal::new(None::<String>);

    let worker = match Worker::new(WORKER_SCRIPT) {
        Ok(worker) => worker,
        Err(error) => {
            let message = format!("the browser could not start the analysis worker ({error:?}); use a current Chrome, Edge, Firefox or Safari");
            return view! { <p class="fatal" role="alert">{message}</p> }.into_any();
        }
    };
    let worker = StoredValue::new_local(worker);
    let on_response = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let json = event.data().as_string().unwrap_or_default();
        match serde_json::from_str::<Response>(&json) {
            Ok(Response::Started) => worker.with_value(|w| send(w, &Request::Load, None)),
            Ok(response) => apply_response(response, set_model, analysis),
            Err(error) => {
                log::error!("ignoring a worker message that is not a response ({error}): {json:?}")
            }
        }
    });
    worker.with_value(|w| w.set_onmessage(Some(on_response.as_ref().unchecked_ref())));
    // The page keeps one worker for its whole life, so its handler is never dropped.
    on_response.forget();

    let retry = move || {
        set_model.set(ModelState::Loading {
            loaded: 0,
            total: 0,
        });
        worker.with_value(|w| send(w, &Request::Load, None));
    };
    let choose = move |file: File| {
        if !model.get_untracked().is_ready() {
            analysis.update(|a| a.fail(0, "The models are still loading; pick the photo again once the status says ready.".to_owned()));
            return;
        }
        let name = file.name();
        let id = analysis.try_update(|a| a.start(&name)).unwrap_or(0);
        replace_photo_url(photo_url, &file);
        spawn_local(async move {
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    let buffer: ArrayBuffer = buffer.unchecked_into();
                    worker.with_value(|w| {
                        send(w, &Request::Analyze { id, file: name }, Some(&buffer))
                    });
                }
                Err(error) => analysis.update(|a| {
                    a.fail(
                        id,
                        format!("{name} could not be read ({error:?}); pick it again"),
                    )
                }),
            }
        });
    };

    let canvas = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        let result = analysis.with(|a| a.result.clone());
        if let (Some(result), Some(url), Some(canvas)) = (result, photo_url.get(), canvas.get()) {
            draw::draw_photo(canvas, url, result);
        }
    });

    view! {
        <header>
            <h1>"facecard"</h1>
            <p class="tagline">"Gender, age and race estimates for every face in a photo."</p>
        </header>
        <PrivacyNote/>
        <ModelStatus model=model retry=retry/>
        <PhotoPicker on_file=choose enabled=Signal::derive(move || model.get().is_ready())/>
        <section class="results" data-status=move || analysis.with(|a| a.status.as_str())>
            <Show when=move || analysis.with(|a| a.status == Status::Busy)>
                <p class="busy" role="status">{move || format!("Analysing {}…", analysis.with(|a| a.file.clone()))}</p>
            </Show>
            <Show when=move || analysis.with(|a| a.error.is_some())>
                <p class="error" role="alert">{move || analysis.with(|a| a.error.clone().unwrap_or_default())}</p>
            </Show>
            <Show when=move || analysis.with(|a| a.no_face_message().is_some())>
                <p class="notice" role="status">{move || analysis.with(|a| a.no_face_message().unwrap_or_default())}</p>
            </Show>
            <Show when=move || analysis.with(|a| a.result.is_some())>
                <canvas node_ref=canvas class="photo" aria-label="The photo with a numbered box on each face"></canvas>
                <button class="download" on:click=move |_| download_results(analysis)>"Download JSON"</button>
            </Show>
            <FaceCards analysis=analysis/>
        </section>
    }
    .into_any()
}

fn apply_response(
    response: Response,
    set_model: WriteSignal<ModelState>,
    analysis: RwSignal<Analysis>,
) {
    match response {
        // The message handler handles Started itself, by sending the first request.
        Response::Started => {}
        Response::Progress { loaded, total } => {
            set_model.set(ModelState::Loading { loaded, total })
        }
        Response::Ready { load_ms } => {
            log::info!("models ready after {load_ms:.0} ms in the worker");
            set_model.set(ModelState::Ready);
        }
        Response::LoadFailed { message } => set_model.set(ModelState::Failed(message)),
        Response::Result { id, result } => {
            if let Some(t) = &result.timings_ms {
                log::info!("{}: {} faces; decode {:.0} ms, detect {:.0} ms, align {:.0} ms, predict {:.0} ms", result.file, result.faces.len(), t.decode, t.detect, t.align, t.predict);
            }
            analysis.update(|a| a.finish(id, result));
        }
        Response::Failed { id, message } => analysis.update(|a| a.fail(id, message)),
    }
}

/// Points the photo URL at `file`, releasing the previous one.
fn replace_photo_url(photo_url: RwSignal<Option<String>>, file: &File) {
    if let Some(old) = photo_url.get_untracked() {
        if let Err(error) = web_sys::Url::revoke_object_url(&old) {
            log::warn!("releasing {old} failed: {error:?}");
        }
    }
    match web_sys::Url::create_object_url_with_blob(file) {
        Ok(url) => photo_url.set(Some(url)),
        Err(error) => {
            log::error!("showing {} failed: {error:?}", file.name());
            photo_url.set(None);
        }
    }
}

/// Saves the current results as `facecard-results.json`.
fn download_results(analysis: RwSignal<Analysis>) {
    let Some(json) = analysis.with_untracked(Analysis::results_json) else {
        return;
    };
    if let Err(error) = draw::save_text("facecard-results.json", &json) {
        analysis.update(|a| a.fail(0, format!("the download could not start ({error:?})")));
    }
}
