//! Decode: turns the bytes of a photo into an upright 8-bit RGB image.
//!
//! Input: the file's bytes. Output: [`DecodedImage`], with the EXIF orientation applied so that a
//! phone portrait comes out upright, and grayscale, 16-bit and alpha images converted to RGB.
//! Runs no model. Formats: JPEG, PNG, WebP, GIF (first frame) and BMP, through the `image` crate.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use thiserror::Error;

/// Largest image accepted, in pixels (50 megapixels: an 8,660 x 5,773 photo, above the 48 MP
/// sensors of current phones). The check reads the header, so nothing larger is ever decoded.
pub const MAX_PIXELS: u64 = 50_000_000;

/// Largest allocation the decoder may make, in bytes: room for a [`MAX_PIXELS`] image at 16 bits
/// per channel with alpha (8 bytes a pixel), which the decoder keeps before conversion to RGB.
const MAX_DECODER_ALLOC: u64 = MAX_PIXELS * 8;

/// Formats the pipeline decodes, in the order the error message lists them.
pub const SUPPORTED_FORMATS: [ImageFormat; 5] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::WebP,
    ImageFormat::Gif,
    ImageFormat::Bmp,
];

/// An upright RGB photo, ready for detection.
#[derive(Debug, Clone)]
pub struct DecodedImage {
    /// Pixels after the EXIF orientation was applied.
    pub pixels: RgbImage,
    /// The container format that was read.
    pub format: ImageFormat,
}

impl DecodedImage {
    pub fn width(&self) -> u32 {
        self.pixels.width()
    }

    pub fn height(&self) -> u32 {
        self.pixels.height()
    }
}

/// Errors from decoding a file into an image.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// The bytes match no image signature that `image` recognises.
    #[error(
        "the file is not a recognised image ({len} bytes, starting with {head}); \
         save it as JPEG, PNG, WebP, GIF or BMP and try again"
    )]
    NotAnImage { len: usize, head: String },

    /// The bytes are an image, in a format this build does not decode.
    #[error("{format} images are not supported; convert the file to JPEG or PNG and try again")]
    UnsupportedFormat { format: String },

    /// The header announces more pixels than [`MAX_PIXELS`].
    #[error(
        "the image is {width} x {height} pixels ({megapixels:.2} megapixels), above the limit of \
         {limit_megapixels} megapixels; scale it down and try again"
    )]
    TooLarge {
        width: u32,
        height: u32,
        megapixels: f64,
        limit_megapixels: u64,
    },

    /// The header announces a width or height of zero.
    #[error("the image has no pixels ({width} x {height}); the file is damaged")]
    Empty { width: u32, height: u32 },

    /// The format was recognised but the data is damaged or truncated.
    #[error(
        "the {format} data could not be decoded ({detail}); the file may be truncated or damaged"
    )]
    Corrupt {
        format: &'static str,
        /// The decoder's message, on one line.
        detail: String,
    },
}

/// Decodes `bytes` into an upright RGB image, checking the pixel count before decoding.
pub fn decode(bytes: &[u8]) -> Result<DecodedImage, DecodeError> {
    let format = sniff_format(bytes)?;

    // Read the header only, and reject oversized images before allocating their pixels.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    reader.limits(limits);
    let corrupt = |source: image::ImageError| DecodeError::Corrupt {
        format: format_name(format),
        detail: source
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;

    // A missing or unreadable EXIF block is not fatal: the photo is used as stored.
    let orientation = match decoder.orientation() {
        Ok(orientation) => orientation,
        Err(error) => {
            log::warn!("ignoring unreadable EXIF orientation: {error}");
            image::metadata::Orientation::NoTransforms
        }
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);

    Ok(DecodedImage {
        pixels: image.into_rgb8(),
        format,
    })
}

/// HEIF brands (bytes 8..12 after `ftyp`) that iPhones and other cameras write, which `image`
/// does not recognise, so they get a clear message instead of "not an image".
const HEIF_BRANDS: [&[u8; 4]; 5] = [b"heic", b"heix", b"hevc", b"mif1", b"msf1"];

/// Returns the usual name of a supported format, for messages.
fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        _ => "image",
    }
}

/// Identifies the format from the leading bytes, never from a file name.
fn sniff_format(bytes: &[u8]) -> Result<ImageFormat, DecodeError> {
    if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && HEIF_BRANDS.iter().any(|b| &bytes[8..12] == *b)
    {
        return Err(DecodeError::UnsupportedFormat {
            format: "HEIC/HEIF".to_owned(),
        });
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::NotAnImage {
        len: bytes.len(),
        head: hex_head(bytes),
    })?;
    if !SUPPORTED_FORMATS.contains(&format) {
        let name = format
            .extensions_str()
            .first()
            .map_or("this", |ext| ext)
            .to_uppercase();
        return Err(DecodeError::UnsupportedFormat { format: name });
    }
    Ok(format)
}

fn check_size(width: u32, height: u32) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Empty { width, height });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(DecodeError::TooLarge {
            width,
            height,
            megapixels: pixels as f64 / 1e6,
            limit_megapixels: MAX_PIXELS / 1_000_000,
        });
    }
    Ok(())
}

/// Formats up to the first eight bytes as hex, so a message shows what the file starts with.
fn hex_head(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing".to_owned();
    }
    let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma, Rgba};

    fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn decode_rejects_text() {
        let error = decode(b"hello, this is not a photo").unwrap_err();
        assert!(matches!(error, DecodeError::NotAnImage { len: 26, .. }));
        assert!(error.to_string().contains("68 65 6c 6c"));
    }

    #[test]
    fn decode_rejects_empty_file() {
        let error = decode(&[]).unwrap_err();
        assert!(error.to_string().contains("starting with nothing"));
    }

    #[test]
    fn decode_rejects_truncated_png() {
        let image = DynamicImage::new_rgb8(64, 64);
        let bytes = encode(&image, ImageFormat::Png);
        let error = decode(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(matches!(error, DecodeError::Corrupt { .. }));
    }

    #[test]
    fn decode_converts_gray16_to_rgb() {
        let gray: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_pixel(5, 3, Luma([65535]));
        let bytes = encode(&DynamicImage::ImageLuma16(gray), ImageFormat::Png);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.pixels.dimensions(), (5, 3));
        assert_eq!(decoded.pixels.get_pixel(0, 0).0, [255, 255, 255]);
    }

    #[test]
    fn decode_drops_alpha() {
        let rgba: ImageBuffer<Rgba<u8>, Vec<u8>> =
            ImageBuffer::from_pixel(4, 4, Rgba([10, 20, 30, 0]));
        let bytes = encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.pixels.get_pixel(3, 3).0, [10, 20, 30]);
    }

    #[test]
    fn decode_names_heic() {
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic");
        heic.extend_from_slice(&[0; 12]);
        let message = decode(&heic).unwrap_err().to_string();
        assert!(
            message.starts_with("HEIC/HEIF images are not supported"),
            "{message}"
        );
    }

    #[test]
    fn check_size_names_limit() {
        let error = check_size(10_000, 6_000).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("10000 x 6000"), "{message}");
        assert!(message.contains("limit of 50 megapixels"), "{message}");
    }

    #[test]
    fn check_size_rejects_zero_width() {
        assert!(matches!(check_size(0, 10), Err(DecodeError::Empty { .. })));
    }

    #[test]
    fn decode_rejects_oversized_header() {
        // A valid BMP header announcing 20,000 x 20,000 pixels, with no pixel data behind it.
        let mut bmp = Vec::new();
        bmp.extend_from_slice(b"BM");
        bmp.extend_from_slice(&(54u32).to_le_bytes());
        bmp.extend_from_slice(&[0; 4]);
        bmp.extend_from_slice(&(54u32).to_le_bytes());
        bmp.extend_from_slice(&(40u32).to_le_bytes());
        bmp.extend_from_slice(&(20_000i32).to_le_bytes());
        bmp.extend_from_slice(&(20_000i32).to_le_bytes());
        bmp.extend_from_slice(&(1u16).to_le_bytes());
        bmp.extend_from_slice(&(24u16).to_le_bytes());
        bmp.extend_from_slice(&[0; 24]);
        let error = decode(&bmp).unwrap_err();
        assert!(
            matches!(error, DecodeError::TooLarge { width: 20_000, .. }),
            "{error}"
        );
    }
}
