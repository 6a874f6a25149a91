//! Drawing the photo with numbered face boxes and short labels on a canvas, and saving text as a
//! download.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlAnchorElement, HtmlCanvasElement, HtmlImageElement};

use crate::present::ImageResult;

/// Widest the canvas is drawn, in CSS pixels, however wide the window.
const MAX_CANVAS_WIDTH: f64 = 1200.0;

/// Box and label colour: bright enough to read on most photos, with a dark outline.
const BOX_COLOR: &str = "#ffd400";
const LABEL_BACKGROUND: &str = "rgba(0, 0, 0, 0.7)";

/// Loads the photo at `url` and draws it with the faces of `result` once it has loaded.
pub fn draw_photo(canvas: HtmlCanvasElement, url: String, result: ImageResult) {
    let image = match HtmlImageElement::new() {
        Ok(image) => image,
        Err(error) => {
            log::error!("creating an image element failed: {error:?}");
            return;
        }
    };
    let loaded = image.clone();
    let on_load = Closure::once_into_js(move || {
        if let Err(error) = paint(&canvas, &loaded, &result) {
            log::error!("drawing {} failed: {error:?}", result.file);
        }
    });
    image.set_onload(Some(on_load.unchecked_ref()));
    image.set_src(&url);
}

fn paint(
    canvas: &HtmlCanvasElement,
    image: &HtmlImageElement,
    result: &ImageResult,
) -> Result<(), JsValue> {
    // The browser draws JPEGs upright by their EXIF orientation, like the decoder, so the
    // result's coordinates (in the upright image) apply to the drawn image.
    let window = web_sys::window().ok_or("no window")?;
    let viewport = window.inner_width()?.as_f64().unwrap_or(MAX_CANVAS_WIDTH) - 32.0;
    let width = viewport.clamp(200.0, MAX_CANVAS_WIDTH);
    let scale = width / f64::from(result.width.max(1));
    let height = f64::from(result.height) * scale;
    let ratio = window.device_pixel_ratio().max(1.0);

    canvas.set_width((width * ratio) as u32);
    canvas.set_height((height * ratio) as u32);
    let style = canvas.style();
    style.set_property("width", &format!("{width}px"))?;
    style.set_property("height", &format!("{height}px"))?;

    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or("no 2d context")?
        .unchecked_into();
    context.scale(ratio, ratio)?;
    context.draw_image_with_html_image_element_and_dw_and_dh(image, 0.0, 0.0, width, height)?;

    context.set_line_width(2.0);
    context.set_font("bold 13px system-ui, sans-serif");
    for (index, face) in result.faces.iter().enumerate() {
        let [x, y, w, h] = face.bbox.map(|v| f64::from(v) * scale);
        context.set_stroke_style_str(BOX_COLOR);
        context.stroke_rect(x, y, w, h);

        let label = format!("{} {}", index + 1, face.short_label());
        let text_width = context.measure_text(&label)?.width();
        let label_y = if y > 18.0 { y - 18.0 } else { y + h };
        context.set_fill_style_str(LABEL_BACKGROUND);
        context.fill_rect(x, label_y, text_width + 8.0, 18.0);
        context.set_fill_style_str(BOX_COLOR);
        context.fill_text(&label, x + 4.0, label_y + 13.0)?;
    }
    Ok(())
}

/// Starts a download of `text` as a JSON file named `file_name`.
pub fn save_text(file_name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;

    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    web_sys::Url::revoke_object_url(&url)
}
