//! Leptos components of the page. Each one wires signals to the view, and the state they show
//! lives in [`crate::web::state`].

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};

use crate::present::FaceResult;
use crate::web::state::{Analysis, ModelState};
use crate::RACE_LABELS;

#[component]
pub fn PrivacyNote() -> impl IntoView {
    view! {
        <p class="privacy">
            "Your photos are processed on this device and never uploaded. The models run in "
            "your browser, and nothing you pick leaves the page."
        </p>
    }
}

#[component]
pub fn ModelStatus(
    model: ReadSignal<ModelState>,
    retry: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let failed = move || matches!(model.get(), ModelState::Failed(_));
    view! {
        <div class="model-status" data-model=move || match model.get() {
            ModelState::Loading { .. } => "loading",
            ModelState::Ready => "ready",
            ModelState::Failed(_) => "failed",
        }>
            <Show when=move || !model.get().is_ready() && !failed()>
                <progress max="1" value=move || model.get().fraction().unwrap_or(0.0)></progress>
            </Show>
            <span role="status">{move || model.get().describe()}</span>
            <Show when=failed>
                <button class="retry" on:click=move |_| retry()>"Retry"</button>
            </Show>
        </div>
    }
}

/// Returns the first file of a drop or paste, if any.
fn first_file(files: Option<web_sys::FileList>) -> Option<File> {
    files.and_then(|list| list.get(0))
}

#[component]
pub fn PhotoPicker(
    on_file: impl Fn(File) + Copy + Send + Sync + 'static,
    enabled: Signal<bool>,
) -> impl IntoView {
    let dragging = RwSignal::new(false);

    // Paste works anywhere on the page, not only on the drop zone.
    let paste = window_event_listener(ev::paste, move |event| {
        if let Some(file) = first_file(event.clipboard_data().and_then(|data| data.files())) {
            event.prevent_default();
            on_file(file);
        }
    });
    on_cleanup(move || paste.remove());

    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        dragging.set(false);
        if let Some(file) = first_file(event.data_transfer().and_then(|data| data.files())) {
            on_file(file);
        }
    };
    let on_change = move |event: ev::Event| {
        let Some(input) = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = first_file(input.files()) {
            on_file(file);
        }
        // Clearing the value lets the same file be picked again.
        input.set_value("");
    };

    view! {
        <div
            class="drop-zone"
            class:dragging=move || dragging.get()
            on:dragover=move |event: DragEvent| {
                event.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <label>
                "Choose a photo"
                <input type="file" accept="image/*" disabled=move || !enabled.get() on:change=on_change/>
            </label>
            <p>"or drop it here, or paste it. JPEG, PNG, WebP, GIF and BMP; up to 50 megapixels."</p>
        </div>
    }
}

#[component]
pub fn FaceCards(analysis: RwSignal<Analysis>) -> impl IntoView {
    let faces = move || {
        analysis.with(|a| {
            a.result
                .as_ref()
                .map(|r| r.faces.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <Show when=move || !faces().is_empty()>
            <p class="estimate-note">
                "Every value below is a statistical estimate from a model, not a fact about the "
                "person. \"Race\" means the five coarse labels of the UTKFace data set: White, "
                "Black, Asian, Indian and Others."
            </p>
        </Show>
        <ol class="cards">
            {move || faces().into_iter().enumerate().map(|(index, face)| view! { <FaceCard index=index face=face/> }).collect_view()}
        </ol>
    }
}

#[component]
fn FaceCard(index: usize, face: FaceResult) -> impl IntoView {
    let gender = format!("{:?}", face.gender.label).to_lowercase();
    let gender_text = format!(
        "{gender} (probability {:.0} %)",
        face.gender.probability * 100.0
    );
    let age_text = format!(
        "{:.0} years (range {:.0}–{:.0})",
        face.age.years, face.age.low, face.age.high
    );
    let bars = RACE_LABELS
        .iter()
        .zip(face.race.probabilities.to_array())
        .map(|(label, p)| {
            let percent = p * 100.0;
            view! {
                <li class="bar">
                    <span class="bar-label">{*label}</span>
                    <meter min="0" max="1" value=p aria-label=format!("{label}: {percent:.0} %")></meter>
                    <span class="bar-value">{format!("{percent:.0} %")}</span>
                </li>
            }
        })
        .collect_view();

    view! {
        <li class="card" data-face-index=index>
            <h2>{format!("Face {}", index + 1)}</h2>
            <dl>
                <dt>"Gender"</dt>
                <dd class="gender">{gender_text}</dd>
                <dt>"Age"</dt>
                <dd class="age">{age_text}</dd>
                <dt>"Race (UTKFace labels)"</dt>
                <dd class="race">
                    <ul class="bars">{bars}</ul>
                </dd>
                <dt>"Detection score"</dt>
                <dd class="score">{format!("{:.2}", face.score)}</dd>
            </dl>
        </li>
    }
}
