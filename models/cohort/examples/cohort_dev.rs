//! Development driver with the same operations as `vtrial cohort` (for use before the CLI
//! is built): `split DATA FRACTION SEED TRAIN_OUT HOLDOUT_OUT`, `train DATA OUT [HIDDEN]`,
//! `sample MODEL|default N SEED OUT [neural|copula] [CRITERIA]`, `evaluate REAL SYN [TRAIN]`,
//! `diag REAL SYN` (detection AUC per column alone and with each column left out).
//! `train` takes optional positional settings: hidden, weight decay, dropout, bins, refit,
//! structured decay, direct linear paths, direct-path decay (`-`: the structured one),
//! copula-centred prior of the direct paths, seed, learning rate, sub-bins of the outermost bins,
//! smokeyrs modelled as the age smoking started (`true`/`false`) (the sweep in the README).

use std::path::Path;
use std::time::Instant;

use vtrial_cohort::{CohortModel, Generator, SampleOptions, TrainOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match a[0].as_str() {
        "split" => {
            let c = vtrial_cohort::split::split_file(Path::new(&a[1]), a[2].parse()?, a[3].parse()?, Path::new(&a[4]), Path::new(&a[5]))?;
            println!("{c:?}");
        }
        "train" => {
            let mut o = TrainOptions::new(&a[1]);
            if let Some(h) = a.get(3) {
                o.config.hidden = h.parse()?;
            }
            if let Some(h) = a.get(4) {
                o.config.weight_decay = h.parse()?;
            }
            if let Some(h) = a.get(5) {
                o.config.dropout = h.parse()?;
            }
            if let Some(h) = a.get(6) {
                o.transform.max_bins = h.parse()?;
            }
            if let Some(h) = a.get(7) {
                o.config.refit = h.parse()?;
            }
            if let Some(h) = a.get(8) {
                o.config.structured_decay = h.parse()?;
            }
            if let Some(h) = a.get(9) {
                o.config.linear = h.parse()?;
            }
            if let Some(h) = a.get(10).filter(|h| h.as_str() != "-") {
                o.config.linear_decay = Some(h.parse()?);
            }
            if let Some(h) = a.get(11) {
                o.config.copula_prior = h.parse()?;
            }
            if let Some(h) = a.get(12) {
                o.config.seed = h.parse()?;
            }
            if let Some(h) = a.get(13) {
                o.config.lr = h.parse()?;
            }
            if let Some(h) = a.get(14) {
                o.transform.edge_sub_bins = h.parse()?;
            }
            if let Some(h) = a.get(15) {
                o.relative = h.parse()?;
            }
            let t = Instant::now();
            let m = vtrial_cohort::train(&o)?;
            println!("trained in {:.1}s: {:?}", t.elapsed().as_secs_f64(), m.meta.report);
            if let Some(c) = &m.meta.creatinine {
                println!("creatinine: {:?}", c.report);
            }
            m.save(Path::new(&a[2]))?;
        }
        "sample" => {
            let m = if a[1] == "default" { CohortModel::default_model()? } else { CohortModel::load(Path::new(&a[1]))? };
            let mut o = SampleOptions::new(a[2].parse()?, a[3].parse()?);
            if a.get(5).map(String::as_str) == Some("copula") {
                o.generator = Generator::Copula;
            }
            o.criteria = a.get(6).cloned();
            let t = Instant::now();
            let (c, r) = vtrial_cohort::sample(&m, &o)?;
            let dt = t.elapsed().as_secs_f64();
            println!("{} rows in {dt:.3}s ({:.0}/s): {r:?}", c.n, c.n as f64 / dt);
            vtrial_cohort::output::write_cohort(&c, &r, &serde_json::json!({}), Path::new(&a[4]))?;
        }
        "evaluate" => {
            let e = vtrial_cohort::evaluate::evaluate_files(
                Path::new(&a[1]),
                Path::new(&a[2]),
                a.get(3).map(Path::new),
                &Default::default(),
            )?;
            print!("{}", e.to_text());
        }
        "diag" => {
            // Which columns give the synthetic data away: AUC on each column alone and
            // with each column left out.
            use vtrial_cohort::evaluate::detection::{GbtConfig, detection_auc};
            let r = vtrial_cohort::data::read_csv(Path::new(&a[1]))?;
            let s = vtrial_cohort::data::read_csv(Path::new(&a[2]))?;
            let (names, rc, sc) = vtrial_cohort::evaluate::aligned(r, s, &["seqn".into(), "id".into()]);
            let cfg = GbtConfig::default();
            let auc = |cols: &[usize]| {
                let rr: Vec<Vec<f64>> = cols.iter().map(|&j| rc[j].clone()).collect();
                let ss: Vec<Vec<f64>> = cols.iter().map(|&j| sc[j].clone()).collect();
                (0..3).map(|k| detection_auc(&rr, &ss, 5, 1 + k, &cfg)).sum::<f64>() / 3.0
            };
            let all: Vec<usize> = (0..names.len()).collect();
            println!("all {:.3}", auc(&all));
            for (j, name) in names.iter().enumerate() {
                let rest: Vec<usize> = all.iter().copied().filter(|&k| k != j).collect();
                println!("{name:<16} alone {:.3}  without {:.3}", auc(&[j]), auc(&rest));
            }
        }
        _ => return Err("unknown command".into()),
    }
    Ok(())
}
