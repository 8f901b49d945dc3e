//! The plain-text report of an [`Evaluation`] (`vtrial cohort evaluate`).

use super::Evaluation;

impl Evaluation {
    /// A plain-text report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "real rows {}, synthetic rows {}", self.real_rows, self.synthetic_rows);
        if !self.real_columns_not_compared.is_empty() {
            let _ = writeln!(
                o,
                "not compared ({} real columns missing from the synthetic or training data): {}",
                self.real_columns_not_compared.len(),
                self.real_columns_not_compared.join(", ")
            );
        }
        let _ = writeln!(o, "{:<16} {:>6} {:>8} {:>10}", "column", "metric", "value", "|Δmissing|");
        for c in &self.columns {
            match c.value {
                Some(v) => {
                    let _ = writeln!(o, "{:<16} {:>6} {:>8.4} {:>10.4}", c.name, c.metric, v, c.missing_diff);
                }
                None => {
                    let _ = writeln!(
                        o,
                        "{:<16} {:>6} {:>8} {:>10.4}  ({})",
                        c.name,
                        c.metric,
                        "-",
                        c.missing_diff,
                        c.note.as_deref().unwrap_or("not computed")
                    );
                }
            }
        }
        let reason = |key: &str| {
            self.not_computed
                .iter()
                .find_map(|r| r.strip_prefix(key).and_then(|r| r.strip_prefix(": ")))
                .unwrap_or("no data")
                .to_string()
        };
        let mean_max = |mean: f64, max: f64, key: &str| {
            if mean.is_nan() {
                format!("not computed ({})", reason(key))
            } else {
                format!("mean {mean:.4}, max {max:.4}")
            }
        };
        let _ = writeln!(o, "KS (continuous): {}", mean_max(self.ks_mean, self.ks_max, "KS"));
        let _ = writeln!(o, "TV (categorical): {}", mean_max(self.tv_mean, self.tv_max, "TV"));
        match &self.spearman_max_abs_diff {
            Some((max, pair)) => {
                let _ = writeln!(o, "mean |Δρ| Spearman: {:.4} (max {max:.4}, {pair})", self.spearman_mean_abs_diff);
            }
            None => {
                let _ = writeln!(o, "mean |Δρ| Spearman: not computed ({})", reason("Spearman"));
            }
        }
        if let Some(skipped) = self.not_computed.iter().find(|r| r.starts_with("Spearman: ") && r.contains("left out")) {
            let _ = writeln!(o, "  note: {}", &skipped["Spearman: ".len()..]);
        }
        if self.detection_auc.is_nan() {
            let _ = writeln!(o, "detection AUC: not computed ({})", reason("detection AUC"));
        } else {
            let _ = writeln!(o, "detection AUC (GBDT, 5-fold CV, mean of 5 subsamples): {:.4}", self.detection_auc);
        }
        if self.not_computed.iter().any(|r| r.starts_with("privacy: ")) {
            let _ = writeln!(o, "privacy figures: not computed ({})", reason("privacy"));
        }
        if let Some(p) = &self.privacy {
            let _ = writeln!(o, "exact copies of training rows: {} of {}", p.exact_copies, p.synthetic_rows);
            let _ = writeln!(o, "DCR share (closer to train than holdout; ideal 0.5): {:.4}", p.dcr_share);
            let ratio = if p.dcr_p5_ratio.is_nan() {
                "ratio undefined: the holdout's is 0".to_string()
            } else {
                format!("ratio {:.3}", p.dcr_p5_ratio)
            };
            let _ = writeln!(
                o,
                "DCR 5th percentile: synthetic {:.4} vs holdout {:.4} ({ratio})",
                p.dcr_p5_synthetic, p.dcr_p5_holdout
            );
            if p.holdout_rows_in_train > 0 {
                let _ = writeln!(
                    o,
                    "warning: {} of {} real rows are identical to a training row: the real file is not a \
                     holdout the model never saw (carve one with `vtrial cohort split`), so the DCR \
                     figures above do not measure privacy",
                    p.holdout_rows_in_train, self.real_rows
                );
            }
        }
        o
    }
}
