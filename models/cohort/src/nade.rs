//! The neural generator: a NADE (neural autoregressive distribution estimator, Larochelle &
//! Murray 2011) over the token alphabet of every column.
//!
//! p(x) = ∏_j p(x_j | x_<j), with one shared hidden layer h_j = relu(c + Σ_{i<j} W[x_i]) and
//! a softmax head per column. Why this model (see the README for the measurements): it
//! gives an exact likelihood (so training is plain maximum likelihood with early stopping on
//! a validation split, no adversarial or ELBO tuning), it models categorical, binned
//! continuous and missing tokens with one mechanism, and sampling is one cheap pass per
//! column: the hidden pre-activation is updated by an embedding lookup (O(H) per column),
//! not a full matrix product.
//!
//! Training runs in libtorch (tch); the trained weights are kept as plain `f32` vectors, so a
//! [`Nade`] is `Sync` and each sampling worker builds its own tensors.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor, nn, nn::OptimizerConfig};

use crate::error::CohortError;
use crate::rng::{Purpose, stream};
use crate::safetensors::F32Tensor;

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NadeConfig {
    /// Hidden units.
    pub hidden: usize,
    /// Most epochs of the early-stopping run.
    pub max_epochs: usize,
    /// Stop when validation NLL has not improved for this many epochs.
    pub patience: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// L2 penalty on the one-hot input embedding and the per-token output weights, per
    /// 1,000 training rows: the loss is the mean NLL per row plus
    /// `½ · weight_decay · 1000 / n_rows · ‖θ‖²`, i.e. a fixed Gaussian prior on the
    /// weights whose pull weakens as data grows (a constant per-row decay would not).
    pub weight_decay: f64,
    /// The same for the positional (ordinal) input and output slopes.
    #[serde(default)]
    pub structured_decay: f64,
    /// Share of the training rows used for early stopping (then all rows are refitted).
    pub val_fraction: f64,
    /// Seed of the initialisation, split and minibatch order.
    pub seed: u64,
    /// Dropout on the hidden layer during training.
    #[serde(default)]
    pub dropout: f64,
    /// Refit on all rows for the best number of epochs (else keep the early-stopped model,
    /// which never saw the validation rows).
    #[serde(default = "yes")]
    pub refit: bool,
    /// Direct linear paths between ordered columns (penalised like the positional slopes):
    /// column j's logits get `s_t · Σ_{i<j} α_ji · s(x_i)`, with `s` the token's normal score
    /// (a Gaussian copula inside the NADE: a linear regression of each ordered column's score
    /// on the earlier ones), next to the hidden
    /// layer (MADE/NADE "direct connections"). Without it, strong linear pairs (sbp–dbp)
    /// had to pass through the small, heavily regularised hidden layer and came out weak.
    #[serde(default)]
    pub linear: bool,
    /// L2 penalty of the direct paths α, per 1,000 rows (`None`: `structured_decay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_decay: Option<f64>,
    /// Centre the direct paths' prior on the Gaussian copula of the training rows (and start
    /// there): α is penalised by ‖α − α₀‖², α₀_j· = β_j / σ²_j from the least-squares
    /// regression of column j's normal scores on the earlier columns' (the natural parameters
    /// of the Gaussian conditional), instead of ‖α‖². The penalties then shrink the NADE
    /// towards the copula rather than towards independence.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub copula_prior: bool,
}

fn yes() -> bool {
    true
}

impl Default for NadeConfig {
    fn default() -> Self {
        NadeConfig {
            hidden: 32,
            max_epochs: 400,
            patience: 40,
            batch: 64,
            lr: 2e-3,
            weight_decay: 0.08,
            structured_decay: 0.08,
            val_fraction: 0.2,
            seed: 20261127,
            dropout: 0.0,
            refit: true,
            linear: true,
            linear_decay: None,
            copula_prior: true,
        }
    }
}

/// What training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Epoch with the best validation NLL (the refit on all rows runs this many epochs).
    pub best_epoch: usize,
    /// Validation NLL (nats per row) at the best epoch.
    pub val_nll: f64,
    /// Training NLL (nats per row) of the final refit.
    pub train_nll: f64,
    /// Rows used.
    pub rows: usize,
}

/// The early-rejection callback of [`Nade::sample_tokens_screened`]: (column just drawn,
/// surviving rows, their tokens so far per column) → which rows to keep.
pub type ScreenFn<'a> = dyn FnMut(usize, &[usize], &[Vec<i64>]) -> Vec<bool> + 'a;

/// Trained NADE weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Nade {
    /// Tokens per column, in model order.
    pub sizes: Vec<usize>,
    /// Hidden units.
    pub hidden: usize,
    /// Input embedding, (Σ sizes) × hidden, row-major.
    pub w: Vec<f32>,
    /// Hidden bias.
    pub c: Vec<f32>,
    /// Output weights per column, hidden × size.
    pub v: Vec<Vec<f32>>,
    /// Output bias per column.
    pub b: Vec<Vec<f32>>,
    /// Direct linear paths (empty when the model has none): α, D × D row-major (row j:
    /// column j's weights on the scores of the earlier columns; zero on and above the
    /// diagonal), ...
    pub lin_alpha: Vec<f32>,
    /// ... and each column's token scores.
    pub lin_v: Vec<Vec<f32>>,
}

struct Vars {
    /// One-hot input embedding, S × H.
    u: Tensor,
    /// Per-column input slope on the token's numeric position, D × H.
    p_in: Tensor,
    c: Tensor,
    v: Vec<Tensor>,
    /// Per-column output slopes on position and position², H each.
    q: Vec<Tensor>,
    r: Vec<Tensor>,
    b: Vec<Tensor>,
    /// Token positions (S), their column index (S), per-column position vectors.
    pos: Tensor,
    col_of: Tensor,
    pos_j: Vec<Tensor>,
    /// Per-column token scores of the direct paths.
    score_j: Vec<Tensor>,
    /// Direct linear paths α (D × D, strictly lower triangle used), when enabled.
    alpha: Option<Tensor>,
    /// Centre of α's prior (zeros, or the copula's natural parameters).
    alpha0: Tensor,
    /// Token → (its column's) position matrix, S × D.
    pos_mat: Tensor,
    /// Strictly-lower-triangular mask, D × D.
    lower: Tensor,
}

impl Vars {
    /// The effective input embedding U + pos ⊗ p_in[col].
    fn w(&self) -> Tensor {
        &self.u + self.pos.unsqueeze(1) * self.p_in.index_select(0, &self.col_of)
    }
    /// The effective output weights of column j: V + q ⊗ pos + r ⊗ pos².
    fn v_eff(&self, j: usize) -> Tensor {
        let m = &self.pos_j[j];
        &self.v[j] + self.q[j].unsqueeze(1) * m.unsqueeze(0) + self.r[j].unsqueeze(1) * (m * m).unsqueeze(0)
    }
    /// The masked direct-path matrix α ⊙ lower.
    fn alpha_eff(&self) -> Option<Tensor> {
        self.alpha.as_ref().map(|a| a * &self.lower)
    }
}

fn build_vars(
    vs: &nn::VarStore,
    sizes: &[usize],
    positions: &[Vec<f32>],
    scores: &[Vec<f32>],
    hidden: usize,
    linear: bool,
    alpha0: Option<&[f64]>,
) -> Vars {
    let root = vs.root();
    let s: usize = sizes.iter().sum();
    let d = sizes.len() as i64;
    let h = hidden as i64;
    let std_in = 1.0 / (sizes.len() as f64).sqrt();
    let std_out = 1.0 / (hidden as f64).sqrt();
    let u = root.var("u", &[s as i64, h], nn::Init::Randn { mean: 0.0, stdev: std_in });
    let p_in = root.var("p_in", &[d, h], nn::Init::Randn { mean: 0.0, stdev: std_in });
    let c = root.zeros("c", &[h]);
    let mut v = Vec::new();
    let mut q = Vec::new();
    let mut r = Vec::new();
    let mut b = Vec::new();
    for (j, &k) in sizes.iter().enumerate() {
        v.push(root.var(&format!("v{j}"), &[h, k as i64], nn::Init::Randn { mean: 0.0, stdev: std_out }));
        q.push(root.var(&format!("q{j}"), &[h], nn::Init::Randn { mean: 0.0, stdev: std_out }));
        r.push(root.zeros(&format!("r{j}"), &[h]));
        b.push(root.zeros(&format!("b{j}"), &[k as i64]));
    }
    let flat: Vec<f32> = positions.iter().flatten().copied().collect();
    let col_of: Vec<i64> =
        sizes.iter().enumerate().flat_map(|(j, &k)| std::iter::repeat_n(j as i64, k)).collect();
    let du = sizes.len();
    let mut pos_mat = vec![0f32; s * du];
    let flat_scores: Vec<f32> = scores.iter().flatten().copied().collect();
    for (t, (&c, &p)) in col_of.iter().zip(&flat_scores).enumerate() {
        pos_mat[t * du + c as usize] = p;
    }
    let lower: Vec<f32> = (0..du * du).map(|i| if i % du < i / du { 1.0 } else { 0.0 }).collect();
    let alpha = linear.then(|| root.zeros("alpha", &[d, d]));
    let alpha0 = match alpha0 {
        Some(a0) => Tensor::from_slice(&a0.iter().map(|&x| x as f32).collect::<Vec<f32>>()).view([d, d]),
        None => Tensor::zeros([d, d], (Kind::Float, Device::Cpu)),
    };
    if let (Some(al), true) = (&alpha, linear && alpha0.abs().sum(Kind::Float).double_value(&[]) > 0.0) {
        // Start at the prior's centre (a trained parameter: copied outside the graph).
        tch::no_grad(|| {
            al.shallow_clone().copy_(&alpha0);
        });
    }
    Vars {
        u,
        p_in,
        c,
        v,
        q,
        r,
        b,
        pos: Tensor::from_slice(&flat),
        col_of: Tensor::from_slice(&col_of),
        pos_j: positions.iter().map(|p| Tensor::from_slice(p)).collect(),
        score_j: scores.iter().map(|p| Tensor::from_slice(p)).collect(),
        alpha,
        alpha0,
        pos_mat: Tensor::from_slice(&pos_mat).view([s as i64, d]),
        lower: Tensor::from_slice(&lower).view([d, d]),
    }
}

fn offsets(sizes: &[usize]) -> Vec<usize> {
    let mut o = Vec::with_capacity(sizes.len());
    let mut acc = 0;
    for &k in sizes {
        o.push(acc);
        acc += k;
    }
    o
}

/// Mean NLL (nats per row) of a batch: `x` one-hot (B × S), `t` tokens (B × D).
fn nll(vars: &Vars, sizes: &[usize], x: &Tensor, t: &Tensor, dropout: f64) -> Tensor {
    let off = offsets(sizes);
    let n = x.size()[0];
    let mut a = vars.c.unsqueeze(0).expand([n, vars.c.size()[0]], false);
    let mut loss = Tensor::zeros([], (Kind::Float, Device::Cpu));
    let w = vars.w();
    // Direct paths: M[:, j] = Σ_{i<j} α_ji pos(x_i).
    let lin = vars.alpha_eff().map(|al| x.matmul(&vars.pos_mat).matmul(&al.tr()));
    for (j, &k) in sizes.iter().enumerate() {
        let h = if dropout > 0.0 { a.relu().dropout(dropout, true) } else { a.relu() };
        let base = h.matmul(&vars.v_eff(j)) + &vars.b[j];
        let logits = match &lin {
            Some(m) => base + m.narrow(1, j as i64, 1) * vars.score_j[j].unsqueeze(0),
            None => base,
        };
        loss += logits.cross_entropy_for_logits(&t.select(1, j as i64));
        // Not `+=`: the first `a` is an expanded view of a trained parameter (no in-place ops).
        #[allow(clippy::assign_op_pattern)]
        {
            a = a + x.narrow(1, off[j] as i64, k as i64).matmul(&w.narrow(0, off[j] as i64, k as i64));
        }
    }
    loss
}

fn one_hot(rows: &[Vec<usize>], sizes: &[usize]) -> (Tensor, Tensor) {
    let off = offsets(sizes);
    let s: usize = sizes.iter().sum();
    let d = sizes.len();
    let mut x = vec![0f32; rows.len() * s];
    let mut t = vec![0i64; rows.len() * d];
    for (r, row) in rows.iter().enumerate() {
        for j in 0..d {
            x[r * s + off[j] + row[j]] = 1.0;
            t[r * d + j] = row[j] as i64;
        }
    }
    (
        Tensor::from_slice(&x).view([rows.len() as i64, s as i64]),
        Tensor::from_slice(&t).view([rows.len() as i64, d as i64]),
    )
}

#[allow(clippy::too_many_arguments)]
fn run_epochs(
    rows: &[Vec<usize>],
    val: Option<&[Vec<usize>]>,
    sizes: &[usize],
    positions: &[Vec<f32>],
    scores: &[Vec<f32>],
    cfg: &NadeConfig,
    epochs: usize,
    purpose: Purpose,
) -> Result<(Nade, usize, f64, f64), CohortError> {
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let a0 = (cfg.linear && cfg.copula_prior).then(|| copula_alpha(rows, scores));
    let vars = build_vars(&vs, sizes, positions, scores, cfg.hidden, cfg.linear, a0.as_deref());
    let mut opt = nn::Adam::default().build(&vs, cfg.lr)?;
    let penalty = |vars: &Vars| -> Tensor {
        let sq = |t: &Tensor| t.square().sum(Kind::Float);
        let mut one_hot = sq(&vars.u);
        let mut structured = sq(&vars.p_in);
        let mut direct = Tensor::zeros([], (Kind::Float, Device::Cpu));
        if let Some(al) = vars.alpha_eff() {
            direct += sq(&(al - &vars.alpha0 * &vars.lower));
        }
        for j in 0..vars.v.len() {
            one_hot += sq(&vars.v[j]);
            structured = structured + sq(&vars.q[j]) + sq(&vars.r[j]);
        }
        let per_row = 1000.0 / rows.len() as f64;
        let lin_decay = cfg.linear_decay.unwrap_or(cfg.structured_decay);
        one_hot * (0.5 * cfg.weight_decay * per_row)
            + structured * (0.5 * cfg.structured_decay * per_row)
            + direct * (0.5 * lin_decay * per_row)
    };
    let (x, t) = one_hot(rows, sizes);
    let valt = val.map(|v| one_hot(v, sizes));
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut best = (f64::INFINITY, 0usize, None::<Nade>);
    let mut rng = stream(cfg.seed, purpose, 0);
    for epoch in 1..=epochs {
        order.shuffle(&mut rng);
        for chunk in order.chunks(cfg.batch) {
            let idx = Tensor::from_slice(&chunk.iter().map(|&i| i as i64).collect::<Vec<_>>());
            let loss = nll(&vars, sizes, &x.index_select(0, &idx), &t.index_select(0, &idx), cfg.dropout)
                + penalty(&vars);
            opt.backward_step(&loss);
        }
        if let Some((vx, vt)) = &valt {
            let v = tch::no_grad(|| nll(&vars, sizes, vx, vt, 0.0).double_value(&[]));
            if v < best.0 {
                best = (v, epoch, Some(export(&vars, sizes, cfg.hidden)));
            } else if epoch >= best.1 + cfg.patience {
                break;
            }
        }
    }
    let train_nll = tch::no_grad(|| nll(&vars, sizes, &x, &t, 0.0).double_value(&[]));
    match best.2 {
        Some(m) => Ok((m, best.1, best.0, train_nll)),
        None => Ok((export(&vars, sizes, cfg.hidden), epochs, f64::NAN, train_nll)),
    }
}

/// The Gaussian copula's natural parameters on the token normal scores (D × D, row-major,
/// strictly lower): row j is β_j / σ²_j of the least-squares regression (with intercept and
/// a small ridge) of column j's scores on the earlier columns' scores.
fn copula_alpha(rows: &[Vec<usize>], scores: &[Vec<f32>]) -> Vec<f64> {
    let d = scores.len();
    let n = rows.len() as f64;
    let z: Vec<Vec<f64>> = (0..d)
        .map(|j| {
            let col: Vec<f64> = rows.iter().map(|r| f64::from(scores[j][r[j]])).collect();
            let m = col.iter().sum::<f64>() / n;
            col.into_iter().map(|x| x - m).collect()
        })
        .collect();
    let cov = |a: usize, b: usize| z[a].iter().zip(&z[b]).map(|(x, y)| x * y).sum::<f64>() / n;
    let mut out = vec![0.0; d * d];
    for j in 1..d {
        let vj = cov(j, j);
        if vj < 1e-9 {
            continue;
        }
        // Normal equations (ridge 1e-3 on the diagonal), solved by Cholesky.
        let mut a = vec![0.0; j * j];
        let mut rhs = vec![0.0; j];
        for p in 0..j {
            rhs[p] = cov(p, j);
            for q in 0..j {
                a[p * j + q] = cov(p, q) + if p == q { 1e-3 } else { 0.0 };
            }
        }
        let Some(l) = crate::stats::cholesky(&a, j) else { continue };
        let mut y = vec![0.0; j];
        for p in 0..j {
            let s: f64 = (0..p).map(|q| l[p * j + q] * y[q]).sum();
            y[p] = (rhs[p] - s) / l[p * j + p];
        }
        let mut beta = vec![0.0; j];
        for p in (0..j).rev() {
            let s: f64 = (p + 1..j).map(|q| l[q * j + p] * beta[q]).sum();
            beta[p] = (y[p] - s) / l[p * j + p];
        }
        let explained: f64 = (0..j).map(|p| beta[p] * rhs[p]).sum();
        let resid = (vj - explained).max(0.05 * vj);
        for p in 0..j {
            out[j * d + p] = beta[p] / resid;
        }
    }
    out
}

fn export(vars: &Vars, sizes: &[usize], hidden: usize) -> Nade {
    let f = |t: &Tensor| Vec::<f32>::try_from(&t.detach().contiguous().view(-1)).expect("f32");
    Nade {
        sizes: sizes.to_vec(),
        hidden,
        w: f(&vars.w()),
        c: f(&vars.c),
        v: (0..sizes.len()).map(|j| f(&vars.v_eff(j))).collect(),
        b: vars.b.iter().map(f).collect(),
        lin_alpha: vars.alpha_eff().map_or_else(Vec::new, |al| f(&al)),
        lin_v: if vars.alpha.is_some() { vars.score_j.iter().map(f).collect() } else { Vec::new() },
    }
}

impl Nade {
    /// Trains on token rows (each row: one token per column, in model order). `positions`
    /// gives each token a standardised numeric position (bin midpoint or level value; 0 for
    /// text levels and the missing token): the input embedding and the output weights get a
    /// term linear (input) or quadratic (output) in it, so ordered columns share strength
    /// across neighbouring bins; the exported weights fold these terms in. First an
    /// early-stopping run on (1 − val_fraction) of the rows picks the number of epochs, then
    /// the model is refitted on all rows for that many epochs. libtorch runs on one thread
    /// here, so the same seed gives the same weights on the same machine.
    pub fn train(
        rows: &[Vec<usize>],
        sizes: &[usize],
        positions: &[Vec<f32>],
        scores: &[Vec<f32>],
        cfg: &NadeConfig,
    ) -> Result<(Nade, TrainReport), CohortError> {
        if rows.len() < 10 {
            return Err(CohortError::Invalid(format!("{} rows are too few to train on", rows.len())));
        }
        tch::set_num_threads(1);
        let mut idx: Vec<usize> = (0..rows.len()).collect();
        idx.shuffle(&mut stream(cfg.seed, Purpose::ValidationSplit, 0));
        let n_val = ((rows.len() as f64) * cfg.val_fraction).round() as usize;
        let (vi, ti) = idx.split_at(n_val.min(rows.len() - 1));
        let fit: Vec<Vec<usize>> = ti.iter().map(|&i| rows[i].clone()).collect();
        let val: Vec<Vec<usize>> = vi.iter().map(|&i| rows[i].clone()).collect();
        let (early, best_epoch, val_nll, fit_nll) =
            run_epochs(&fit, Some(&val), sizes, positions, scores, cfg, cfg.max_epochs, Purpose::Shuffle)?;
        let (model, train_nll) = if cfg.refit {
            let (m, _, _, t) = run_epochs(rows, None, sizes, positions, scores, cfg, best_epoch, Purpose::Refit)?;
            (m, t)
        } else {
            (early, fit_nll)
        };
        Ok((model, TrainReport { best_epoch, val_nll, train_nll, rows: rows.len() }))
    }

    /// Samples `n` token rows, one uniform per (row, column) from `u` (row-major n × D).
    /// Runs as libtorch ops on the calling thread (the caller caps libtorch's threads).
    pub fn sample_tokens(&self, u: &[f32], n: usize) -> Vec<u16> {
        self.sample_tokens_screened(u, n, &[], &mut |_, _, _| Vec::new()).0
    }

    /// [`Nade::sample_tokens`] with early rejection: after column `j` with `screen_at[j]`,
    /// `screen(j, rows, tokens)` gets the surviving rows (indices into `0..n`) and their
    /// tokens so far (`tokens[c][p]`: column `c ≤ j`, the `p`-th surviving row) and returns
    /// which to keep; the others are not generated further. Each row keeps its own uniforms,
    /// so a surviving row is drawn exactly as without screening. Returns the tokens
    /// (row-major n × D; dropped rows hold zeros) and which rows survived.
    pub fn sample_tokens_screened(
        &self,
        u: &[f32],
        n: usize,
        screen_at: &[bool],
        screen: &mut ScreenFn<'_>,
    ) -> (Vec<u16>, Vec<bool>) {
        let d = self.sizes.len();
        let h = self.hidden as i64;
        let off = offsets(&self.sizes);
        let w = Tensor::from_slice(&self.w).view([-1, h]);
        // Column-major noise, so each column's uniforms are one contiguous [n, 1] block.
        let mut ut = Tensor::from_slice(&u[..n * d]).view([n as i64, d as i64]).transpose(0, 1).contiguous();
        let mut a = Tensor::from_slice(&self.c).unsqueeze(0).repeat([n as i64, 1]);
        // Direct paths: lin[:, j] = Σ_{i<j} α_ji s(x_i), one rank-1 update per drawn column.
        let linear = !self.lin_alpha.is_empty();
        let alpha_t = if linear { Tensor::from_slice(&self.lin_alpha).view([d as i64, d as i64]).tr().contiguous() } else { Tensor::new() };
        let scores: Vec<Tensor> = if linear { self.lin_v.iter().map(|v| Tensor::from_slice(v)).collect() } else { Vec::new() };
        let mut lin = if linear { Tensor::zeros([n as i64, d as i64], (Kind::Float, Device::Cpu)) } else { Tensor::new() };
        let mut cols: Vec<Tensor> = Vec::with_capacity(d);
        let mut alive: Vec<usize> = (0..n).collect();
        for (j, &k) in self.sizes.iter().enumerate() {
            let m = alive.len() as i64;
            if m == 0 {
                return (vec![0; n * d], vec![false; n]);
            }
            let v = Tensor::from_slice(&self.v[j]).view([h, k as i64]);
            let b = Tensor::from_slice(&self.b[j]);
            // logits = b + relu(a) v; inverse-CDF draw: the first token whose CDF exceeds u.
            let mut logits = b.addmm(&a.relu(), &v);
            if linear && j > 0 {
                let _ = logits.addr_(&lin.select(1, j as i64), &scores[j]);
            }
            let cdf = logits.softmax(1, Kind::Float).cumsum(1, Kind::Float);
            let uj = ut.get(j as i64).view([m, 1]);
            let idx = uj.searchsorted(&cdf, false, true, "right", None::<Tensor>).view([-1]).clamp_max(k as i64 - 1);
            cols.push(idx);
            if screen_at.get(j).copied().unwrap_or(false) {
                let toks: Vec<Vec<i64>> = cols.iter().map(|t| Vec::<i64>::try_from(t).expect("i64")).collect();
                let keep = screen(j, &alive, &toks);
                if keep.iter().any(|k| !k) {
                    let sel: Vec<i64> = (0..alive.len()).filter(|&p| keep[p]).map(|p| p as i64).collect();
                    alive = sel.iter().map(|&p| alive[p as usize]).collect();
                    let sel = Tensor::from_slice(&sel);
                    a = a.index_select(0, &sel);
                    if linear {
                        lin = lin.index_select(0, &sel);
                    }
                    ut = ut.index_select(1, &sel);
                    for c in cols.iter_mut() {
                        *c = c.index_select(0, &sel);
                    }
                }
            }
            if j + 1 < d && !alive.is_empty() {
                a += w.narrow(0, off[j] as i64, k as i64).index_select(0, &cols[j]);
                if linear {
                    let _ = lin.addr_(&scores[j].index_select(0, &cols[j]), &alpha_t.get(j as i64));
                }
            }
        }
        let m = alive.len();
        let mut out = vec![0u16; n * d];
        let mut kept = vec![false; n];
        if m > 0 {
            let all = Tensor::stack(&cols, 1).to_kind(Kind::Int16).contiguous().view(-1);
            let flat: Vec<i16> = Vec::<i16>::try_from(&all).expect("i16");
            if m == n {
                return (flat.into_iter().map(|x| x as u16).collect(), vec![true; n]);
            }
            for (p, &r) in alive.iter().enumerate() {
                kept[r] = true;
                for j in 0..d {
                    out[r * d + j] = flat[p * d + j] as u16;
                }
            }
        }
        (out, kept)
    }

    /// p(x_col | x_<col = prefix), computed in plain Rust (used to tabulate small conditionals).
    pub fn conditional(&self, prefix: &[usize], col: usize) -> Vec<f64> {
        let h = self.hidden;
        let off = offsets(&self.sizes);
        let d = self.sizes.len();
        let mut a: Vec<f64> = self.c.iter().map(|&x| f64::from(x)).collect();
        let mut lin = 0.0;
        for (i, &tok) in prefix.iter().enumerate().take(col) {
            let row = &self.w[(off[i] + tok) * h..(off[i] + tok + 1) * h];
            for (ai, wi) in a.iter_mut().zip(row) {
                *ai += f64::from(*wi);
            }
            if !self.lin_alpha.is_empty() {
                lin += f64::from(self.lin_alpha[col * d + i]) * f64::from(self.lin_v[i][tok]);
            }
        }
        let k = self.sizes[col];
        let mut logits: Vec<f64> = self.b[col].iter().map(|&x| f64::from(x)).collect();
        if !self.lin_alpha.is_empty() {
            for (l, p) in logits.iter_mut().zip(&self.lin_v[col]) {
                *l += lin * f64::from(*p);
            }
        }
        for (hi, ai) in a.iter().enumerate() {
            let r = ai.max(0.0);
            if r != 0.0 {
                for (t, l) in logits.iter_mut().enumerate() {
                    *l += r * f64::from(self.v[col][hi * k + t]);
                }
            }
        }
        let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.into_iter().map(|x| x / s).collect()
    }

    /// The weights as named tensors (`{prefix}w`, `{prefix}c`, `{prefix}v{j}`, `{prefix}b{j}`).
    pub fn to_tensors(&self, prefix: &str, out: &mut BTreeMap<String, F32Tensor>) {
        let s: usize = self.sizes.iter().sum();
        out.insert(format!("{prefix}w"), F32Tensor { shape: vec![s, self.hidden], data: self.w.clone() });
        out.insert(format!("{prefix}c"), F32Tensor { shape: vec![self.hidden], data: self.c.clone() });
        for (j, &k) in self.sizes.iter().enumerate() {
            out.insert(
                format!("{prefix}v{j:03}"),
                F32Tensor { shape: vec![self.hidden, k], data: self.v[j].clone() },
            );
            out.insert(format!("{prefix}b{j:03}"), F32Tensor { shape: vec![k], data: self.b[j].clone() });
        }
        if !self.lin_alpha.is_empty() {
            let d = self.sizes.len();
            out.insert(format!("{prefix}alpha"), F32Tensor { shape: vec![d, d], data: self.lin_alpha.clone() });
            for (j, &k) in self.sizes.iter().enumerate() {
                out.insert(format!("{prefix}lv{j:03}"), F32Tensor { shape: vec![k], data: self.lin_v[j].clone() });
            }
        }
    }

    /// Reads weights written by [`Nade::to_tensors`], checking every shape.
    pub fn from_tensors(
        prefix: &str,
        sizes: &[usize],
        hidden: usize,
        t: &BTreeMap<String, F32Tensor>,
    ) -> Result<Nade, String> {
        let get = |name: String, shape: Vec<usize>| -> Result<Vec<f32>, String> {
            let x = t.get(&name).ok_or(format!("tensor {name} is missing"))?;
            if x.shape != shape {
                return Err(format!("tensor {name} has shape {:?}, expected {shape:?}", x.shape));
            }
            Ok(x.data.clone())
        };
        let s: usize = sizes.iter().sum();
        // Direct linear paths are optional (models trained without them have none).
        let linear = t.contains_key(&format!("{prefix}alpha"));
        Ok(Nade {
            sizes: sizes.to_vec(),
            hidden,
            w: get(format!("{prefix}w"), vec![s, hidden])?,
            c: get(format!("{prefix}c"), vec![hidden])?,
            v: sizes
                .iter()
                .enumerate()
                .map(|(j, &k)| get(format!("{prefix}v{j:03}"), vec![hidden, k]))
                .collect::<Result<_, _>>()?,
            b: sizes
                .iter()
                .enumerate()
                .map(|(j, &k)| get(format!("{prefix}b{j:03}"), vec![k]))
                .collect::<Result<_, _>>()?,
            lin_alpha: if linear { get(format!("{prefix}alpha"), vec![sizes.len(), sizes.len()])? } else { Vec::new() },
            lin_v: if linear {
                sizes.iter().enumerate().map(|(j, &k)| get(format!("{prefix}lv{j:03}"), vec![k])).collect::<Result<_, _>>()?
            } else {
                Vec::new()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Regression: samples must follow the learned dependence (column 1 copies column 0).
    #[test]
    fn learns_and_samples_a_deterministic_dependence() {
        let mut rng = stream(3, Purpose::Evaluate, 0);
        let rows: Vec<Vec<usize>> = (0..400)
            .map(|_| {
                let a = rng.random_range(0..4usize);
                vec![a, a, rng.random_range(0..3usize)]
            })
            .collect();
        let cfg = NadeConfig { hidden: 16, max_epochs: 200, patience: 20, weight_decay: 1e-4, ..NadeConfig::default() };
        let pos = vec![vec![0.0; 4], vec![0.0; 4], vec![0.0; 3]];
        let (m, _) = Nade::train(&rows, &[4, 4, 3], &pos, &pos, &cfg).unwrap();
        let n = 2000;
        let u: Vec<f32> = (0..n * 3).map(|_| rng.random::<f32>()).collect();
        let t = m.sample_tokens(&u, n);
        let agree = (0..n).filter(|&r| t[r * 3] == t[r * 3 + 1]).count();
        assert!(agree as f64 > 0.95 * n as f64, "agree {agree} of {n}");
        let p = m.conditional(&[2], 1);
        assert!(p[2] > 0.9, "{p:?}");
    }
}
