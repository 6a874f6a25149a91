//! Argument parsing and output for the `facecard` binary (host only).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use facecard::eval::{parse_label, EvalReport, Evaluation, GroupMetrics};
use facecard::pipeline::Facecard;
use facecard::predict::FaceAttributes;
use facecard::present::{render_table, ImageResult, Results};
use facecard::{decode, RACE_LABELS};

/// Folder of the shipped models, used when `--models` is not given.
const DEFAULT_MODELS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models");

/// Images between two progress lines of `eval`.
const PROGRESS_EVERY: usize = 100;

#[derive(Parser)]
#[command(
    name = "facecard",
    version,
    about = "Estimate gender, age and race (UTKFace's five labels) for every face in a photo, \
             on this machine. Every value is a statistical estimate, not a fact about a person."
)]
struct Cli {
    /// Folder with blazeface.onnx and attributes.onnx.
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_MODELS_DIR)]
    models: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find every face in each photo and estimate its gender, age and race.
    Predict {
        /// Photos to analyse (JPEG, PNG, WebP, GIF or BMP).
        #[arg(required = true, value_name = "PHOTO")]
        photos: Vec<PathBuf>,
        /// Print the results as facecard/1 JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Print a table of the milliseconds each stage took per photo, on stderr.
        #[arg(long)]
        timings: bool,
    },
    /// Score the models on a folder of UTKFace-named images (AGE_GENDER_RACE_*.jpg).
    Eval {
        /// Folder of images named AGE_GENDER_RACE_DATETIME.jpg.
        dir: PathBuf,
        /// Treat each image as one face crop framed like UTKFace's (no detection).
        #[arg(long)]
        crops: bool,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// Score at most this many labelled images (in file-name order).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
}

pub fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();

    let facecard = match Facecard::load_dir(&cli.models) {
        Ok(facecard) => facecard,
        Err(error) => {
            eprintln!("facecard: {error}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Predict {
            photos,
            json,
            timings,
        } => predict(&facecard, &photos, json, timings),
        Command::Eval {
            dir,
            crops,
            json,
            limit,
        } => eval(&facecard, &dir, crops, json, limit),
    }
}

/// Analyses each photo in turn; a failed photo is reported and the others still run.
fn predict(facecard: &Facecard, photos: &[PathBuf], json: bool, timings: bool) -> ExitCode {
    let mut results = Vec::new();
    let mut failures = 0;
    if timings {
        eprintln!(
            "{:<24} {:>6} {:>9} {:>9} {:>9} {:>9}",
            "photo", "faces", "decode", "detect", "align", "predict"
        );
    }
    for path in photos {
        match analyze_file(facecard, path) {
            Ok(result) => {
                if timings {
                    eprintln!("{}", timing_row(&result));
                }
                if json {
                    results.push(result);
                } else {
                    print!("{}", render_table(&result));
                }
            }
            Err(message) => {
                eprintln!("facecard: {}: {message}", path.display());
                failures += 1;
            }
        }
    }
    if json {
        match serde_json::to_string_pretty(&Results::new(results)) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("facecard: cannot write the results as JSON: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats one row of the `--timings` table, in milliseconds.
fn timing_row(result: &ImageResult) -> String {
    let t = result.timings_ms.unwrap_or_default();
    format!(
        "{:<24} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
        result.file,
        result.faces.len(),
        t.decode,
        t.detect,
        t.align,
        t.predict
    )
}

fn analyze_file(facecard: &Facecard, path: &Path) -> Result<ImageResult, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read the file: {error}"))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    facecard
        .analyze(&name, &bytes)
        .map_err(|error| error.to_string())
}

/// Scores every labelled image in `dir` and prints the report.
fn eval(
    facecard: &Facecard,
    dir: &Path,
    crops: bool,
    json: bool,
    limit: Option<usize>,
) -> ExitCode {
    let mut names = match list_files(dir) {
        Ok(names) => names,
        Err(error) => {
            eprintln!("facecard: cannot list {}: {error}", dir.display());
            return ExitCode::from(2);
        }
    };
    names.sort();

    let mut evaluation = Evaluation::default();
    let mut labelled = Vec::new();
    for name in names {
        match parse_label(&name) {
            Ok(label) => labelled.push((name, label)),
            Err(error) => evaluation.malformed.push(error.to_string()),
        }
    }
    labelled.truncate(limit.unwrap_or(usize::MAX));

    let total = labelled.len();
    for (done, (name, label)) in labelled.iter().enumerate() {
        match score_file(facecard, &dir.join(name), crops) {
            Ok(Some(predicted)) => evaluation.add(label, &predicted),
            Ok(None) => evaluation.no_face.push(name.clone()),
            Err(message) => evaluation.failed.push(format!("{name}: {message}")),
        }
        if (done + 1) % PROGRESS_EVERY == 0 || done + 1 == total {
            eprint!("\reval: {}/{total} images", done + 1);
            let _ = std::io::stderr().flush();
        }
    }
    if total > 0 {
        eprintln!();
    }

    let report = evaluation.report();
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("facecard: cannot write the report as JSON: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", render_report(&report));
    }
    if report.count == 0 {
        eprintln!("facecard: no image in {} could be scored", dir.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn list_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // metadata() follows symbolic links, so a folder of links to images works too.
        match std::fs::metadata(entry.path()) {
            Ok(metadata) if metadata.is_file() => {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            Ok(_) => {}
            Err(error) => log::warn!("skipping {}: {error}", entry.path().display()),
        }
    }
    Ok(names)
}

/// Predicts one labelled image: the crop itself with `crops`, else the largest face found.
fn score_file(
    facecard: &Facecard,
    path: &Path,
    crops: bool,
) -> Result<Option<FaceAttributes>, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read the file: {error}"))?;
    if crops {
        let image = decode::decode(&bytes).map_err(|error| error.to_string())?;
        return facecard
            .predict_crop(&image)
            .map(Some)
            .map_err(|error| error.to_string());
    }
    let result = facecard
        .analyze("", &bytes)
        .map_err(|error| error.to_string())?;
    let largest = result.faces.into_iter().max_by(|a, b| {
        let area = |f: &facecard::present::FaceResult| f.bbox[2] * f.bbox[3];
        area(a).total_cmp(&area(b))
    });
    Ok(largest.map(|face| FaceAttributes {
        gender: face.gender,
        age: face.age,
        race: face.race,
    }))
}

fn render_report(report: &EvalReport) -> String {
    let mut out = format!(
        "images scored: {}\ngender accuracy: {:.1}%\nrace accuracy: {:.1}%\nage MAE: {:.2} years\n",
        report.count,
        report.gender_accuracy * 100.0,
        report.race_accuracy * 100.0,
        report.age_mae
    );
    out += "\nrace confusion (rows: label, columns: predicted)\n";
    out += &format!("{:>8}", "");
    for label in RACE_LABELS {
        out += &format!("{label:>8}");
    }
    out += "\n";
    for (label, row) in RACE_LABELS.iter().zip(report.race_confusion) {
        out += &format!("{label:>8}");
        for count in row {
            out += &format!("{count:>8}");
        }
        out += "\n";
    }
    for (title, groups) in [
        ("by race", &report.by_race),
        ("by gender", &report.by_gender),
        ("by age band", &report.by_age_band),
    ] {
        out += &format!(
            "\n{title}\n{:>8} {:>6} {:>8} {:>8} {:>8}\n",
            "group", "count", "gender", "race", "age MAE"
        );
        for (group, metrics) in groups {
            out += &group_row(group, metrics);
        }
    }
    for (title, list) in [
        ("no face found", &report.no_face),
        ("could not be read", &report.failed),
        ("malformed names (not scored)", &report.malformed),
    ] {
        if !list.is_empty() {
            out += &format!("\n{title}: {}\n", list.len());
            for item in list {
                out += &format!("  {item}\n");
            }
        }
    }
    out
}

fn group_row(group: &str, metrics: &GroupMetrics) -> String {
    format!(
        "{group:>8} {:>6} {:>7.1}% {:>7.1}% {:>8.2}\n",
        metrics.count,
        metrics.gender_accuracy * 100.0,
        metrics.race_accuracy * 100.0,
        metrics.age_mae
    )
}
