//! `vtrial cohort …`: train the generator, sample cohorts, evaluate synthetic data.
//!
//! Thin layer over `vtrial_cohort`; all logic lives in the library.

use std::path::{Path, PathBuf};

use anyhow::Context;
use vtrial_cohort::evaluate::{EvalOptions, evaluate_files};
use vtrial_cohort::{CohortModel, Generator, SampleOptions, TrainOptions};

/// Synthetic patient cohorts.
#[derive(Debug, clap::Args)]
pub struct CohortArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CohortCommand,
}

/// The cohort subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CohortCommand {
    /// Train the neural generator (and the copula baseline) on a covariate CSV.
    Train {
        /// Covariate file (e.g. ../shared/reference-data/nhefs-train.csv).
        #[arg(long)]
        data: PathBuf,
        /// Creatinine file (age, sex, creatinine); default: flchain-train.csv next to --data.
        #[arg(long)]
        creatinine_data: Option<PathBuf>,
        /// Output weights (.safetensors); the metadata goes to the same name with .json.
        #[arg(long)]
        out: PathBuf,
        /// Training seed.
        #[arg(long, default_value_t = 20261127)]
        seed: u64,
        /// Columns to leave out (comma-separated, any case), besides the identifiers seqn, id
        /// and row, which are always left out. A name the file lacks is an error.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
    },
    /// Sample a cohort (every patient satisfies --where); writes CSV plus a .meta.json with units.
    Sample {
        /// Patients.
        #[arg(long)]
        n: usize,
        /// Seed (same seed, same cohort, any thread count).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Inclusion criteria, e.g. "age >= 65 and egfr < 60 and sex == 'F'".
        #[arg(long = "where")]
        criteria: Option<String>,
        /// Output file: .csv or .parquet (by extension); the units go to <out>.meta.json.
        #[arg(long)]
        out: PathBuf,
        /// Model weights (.safetensors); default: the shipped model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Generator: neural (default) or copula (baseline).
        #[arg(long, default_value = "neural")]
        generator: String,
        /// Most patients generated before giving up on rare criteria.
        #[arg(long, default_value_t = 20_000_000)]
        max_draws: usize,
    },
    /// Compare a synthetic table with real data (fidelity, detection AUC, privacy).
    Evaluate {
        /// Real data (e.g. a holdout never trained on).
        #[arg(long)]
        real: PathBuf,
        /// Synthetic data.
        #[arg(long)]
        synthetic: PathBuf,
        /// Training data of the generator (enables the privacy figures).
        #[arg(long)]
        train: Option<PathBuf>,
        /// Write the report as JSON here as well.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Split a CSV into a training part and a holdout (each row's fields kept; written back as
    /// CSV with LF line ends, no byte-order mark, quotes only where needed).
    Split {
        /// Input file.
        #[arg(long)]
        data: PathBuf,
        /// Share of rows for the holdout.
        #[arg(long, default_value_t = 0.3)]
        fraction: f64,
        /// Seed of the split.
        #[arg(long, default_value_t = 20261127)]
        seed: u64,
        /// Training part.
        #[arg(long)]
        train_out: PathBuf,
        /// Holdout part.
        #[arg(long)]
        holdout_out: PathBuf,
    },
}

/// Runs a cohort subcommand.
pub fn run(args: CohortArgs) -> anyhow::Result<()> {
    match args.command {
        CohortCommand::Train { data, creatinine_data, out, seed, exclude } => {
            let mut o = TrainOptions::new(&data);
            if creatinine_data.is_some() {
                o.creatinine_data = creatinine_data;
            }
            o.exclude.extend(exclude);
            o.config.seed = seed;
            let t = std::time::Instant::now();
            let m = vtrial_cohort::train(&o).with_context(|| format!("training on {}", data.display()))?;
            m.save(&out).with_context(|| format!("saving {}", out.display()))?;
            let r = &m.meta.report;
            eprintln!(
                "trained on {} rows ({} columns) in {:.1} s: {} epochs, validation NLL {:.3} nats/row; wrote {} and {}",
                r.rows,
                m.meta.columns.len(),
                t.elapsed().as_secs_f64(),
                r.best_epoch,
                r.val_nll,
                out.display(),
                vtrial_cohort::model::meta_path(&out).display()
            );
            match &m.meta.creatinine {
                Some(c) => eprintln!(
                    "creatinine | age, sex from {}: {} rows used, {} dropped (creatinine missing)",
                    c.data.file, c.data.rows_used, c.rows_dropped_missing
                ),
                None => eprintln!("no creatinine file: the model has no creatinine, eGFR or CrCl"),
            }
        }
        CohortCommand::Sample { n, seed, criteria, out, model, generator, max_draws } => {
            // Checked before sampling, so a wrong name fails at once.
            let format = crate::Format::of(&out)?;
            let m = match &model {
                Some(p) => CohortModel::load(p)?,
                None => CohortModel::default_model()?,
            };
            let mut o = SampleOptions::new(n, seed);
            o.criteria = criteria.clone();
            o.max_draws = max_draws;
            o.generator = match generator.as_str() {
                "neural" => Generator::Neural,
                "copula" => Generator::Copula,
                g => anyhow::bail!("unknown generator {g:?}: use neural or copula"),
            };
            let t = std::time::Instant::now();
            let (cohort, report) = vtrial_cohort::sample(&m, &o)?;
            let dt = t.elapsed().as_secs_f64();
            let prov = serde_json::json!({
                "seed": seed,
                "generator": generator,
                "criteria": criteria,
                "model": model.as_ref().map_or("default".to_string(), |p| p.display().to_string()),
                "training_data": m.meta.data.file,
                "training_data_fnv1a64": m.meta.data.fnv1a64,
                "engine_version": env!("CARGO_PKG_VERSION"),
            });
            crate::write_atomically(&out, |tmp| {
                match format {
                    crate::Format::Csv => vtrial_cohort::output::write_csv_file(&cohort, tmp)?,
                    crate::Format::Parquet => {
                        let csv = tmp.with_extension("csv");
                        let written = vtrial_cohort::output::write_csv_file(&cohort, &csv);
                        let converted = written.map_err(anyhow::Error::from).and_then(|()| csv_to_typed_parquet(&cohort, &csv, tmp));
                        let _ = std::fs::remove_file(&csv);
                        converted?;
                    }
                }
                Ok(())
            })?;
            vtrial_cohort::output::write_sidecar(&cohort, &report, &prov, &out)?;
            let implausible: usize = report.implausible.values().sum();
            eprintln!(
                "{} patients in {:.2} s; generated {}, implausible {} {:?}, rejected by criteria {}, acceptance rate {:.4} %; wrote {}",
                cohort.n,
                dt,
                report.drawn,
                implausible,
                report.implausible,
                report.rejected_by_criteria,
                100.0 * report.acceptance_rate,
                out.display()
            );
        }
        CohortCommand::Evaluate { real, synthetic, train, json } => {
            // The output location is checked before the (long) evaluation.
            if let Some(p) = &json {
                let mut inputs = vec![real.as_path(), synthetic.as_path()];
                inputs.extend(train.as_deref());
                crate::ensure_distinct_paths(&inputs, &[p])?;
                check_output_dir(p)?;
            }
            let e = evaluate_files(&real, &synthetic, train.as_deref(), &EvalOptions::default())?;
            if !e.real_columns_not_compared.is_empty() {
                eprintln!(
                    "warning: {} of {} real columns are not compared (missing from {}{}): {}",
                    e.real_columns_not_compared.len(),
                    e.real_columns_not_compared.len() + e.columns.len(),
                    synthetic.display(),
                    train.as_ref().map_or(String::new(), |t| format!(" or {}", t.display())),
                    e.real_columns_not_compared.join(", ")
                );
            }
            crate::out::print(&e.to_text());
            if let Some(p) = json {
                let text = serde_json::to_string_pretty(&e)? + "\n";
                crate::write_atomically(&p, |tmp| Ok(std::fs::write(tmp, text)?))?;
            }
        }
        CohortCommand::Split { data, fraction, seed, train_out, holdout_out } => {
            crate::ensure_distinct_paths(&[&data], &[&train_out, &holdout_out])?;
            let c = vtrial_cohort::split::split_file(&data, fraction, seed, &train_out, &holdout_out)?;
            eprintln!("{} rows to {}, {} rows to {}", c.train, train_out.display(), c.holdout, holdout_out.display());
        }
    }
    Ok(())
}

/// Fails, naming `path`, when its directory does not exist (before any work is done).
fn check_output_dir(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!("{}: cannot write here: the directory {} does not exist", path.display(), dir.display());
    }
    Ok(())
}

/// SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Converts the cohort's CSV to Parquet with the column types fixed by the cohort, not
/// guessed from the text (`vtrial_store::csv_to_parquet` infers them, and a cohort of women
/// only would get a BOOLEAN `sex`, 'F' read as false): labels VARCHAR, numeric columns
/// BIGINT when every value is whole, else DOUBLE; missing values NULL.
fn csv_to_typed_parquet(cohort: &vtrial_cohort::sample::Cohort, csv: &Path, parquet: &Path) -> anyhow::Result<()> {
    use vtrial_cohort::sample::ColumnData;
    let types: Vec<String> = cohort
        .columns
        .iter()
        .map(|c| {
            let ty = match &c.data {
                ColumnData::Text { .. } => "VARCHAR",
                ColumnData::Num(v) if v.iter().all(|x| !x.is_finite() || (x.fract() == 0.0 && x.abs() < 9e15)) => "BIGINT",
                ColumnData::Num(_) => "DOUBLE",
            };
            format!("{}: {}", literal(&c.name), literal(ty))
        })
        .collect();
    let sql = format!(
        "COPY (SELECT * FROM read_csv({}, header = true, auto_detect = false, delim = ',', quote = '\"', \
         nullstr = '', columns = {{{}}})) TO {} (FORMAT parquet)",
        literal(&csv.display().to_string()),
        types.join(", "),
        literal(&parquet.display().to_string())
    );
    // An in-memory DuckDB through the store crate (the CLI has no DuckDB of its own).
    let conn = vtrial_store::open(Path::new(":memory:"))?;
    conn.execute_batch(&sql).with_context(|| format!("writing {}", parquet.display()))
}
