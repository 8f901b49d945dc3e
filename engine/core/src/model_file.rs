//! PK model files (TOML): the structural model, its parameters as expressions of data
//! columns and random effects, per-compartment dose modifiers, variability and residual error.
//!
//! ```toml
//! [model]
//! structure = "one_cmt_oral"     # or a NONMEM name: advan2; see `Structure`
//! scale = "V / 1000"             # output = amount in the central compartment / scale
//! output = "CP"                  # name of the output column (default CP)
//!
//! [parameters]                   # expressions of data columns, other parameters and ETAs
//! CL = "1.1 * (WT / 70)^0.75 * exp(ETA_CL)"
//! V  = "20 * exp(ETA_V)"
//! KA = 1.5
//!
//! [dosing.2]                     # NONMEM's F2, ALAG2, R2 (RATE = -1), D2 (RATE = -2)
//! F = "BIOAV"
//! ALAG = "LAGT"
//!
//! [random_effects]
//! names = ["ETA_CL", "ETA_V"]
//! omega = [[0.09, 0.01], [0.01, 0.04]]   # or the diagonal: [0.09, 0.04]
//!
//! [residual_error]               # additive SD, proportional CV, or both; or exponential SD
//! proportional = 0.1
//! ```
//!
//! Unknown keys are rejected; every error names the file, line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;
use vtrial_expr::{Compiled, Expr};
use vtrial_pk::ParamTiming;
use vtrial_pk::linear::{LinearParams, LinearPk, Structure};
use vtrial_pk::nonlinear::{Dynamics, LinearOde, MichaelisMenten, OdeModel, OdePk, Transit};
use vtrial_pk::ode::SolverOptions;
use vtrial_pk::population::{Omega, ResidualError};
use nalgebra::DMatrix;

/// A model-file error with its place.
#[derive(Debug, Error)]
pub enum ModelFileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Something at a place in the file.
    #[error("{path}:{line}:{column}: {message}")]
    At {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what would be valid.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelFile {
    model: RawModel,
    #[serde(default)]
    parameters: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    dosing: BTreeMap<Spanned<String>, RawDosing>,
    random_effects: Option<RawRandomEffects>,
    residual_error: Option<Spanned<RawResidual>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    structure: Spanned<String>,
    description: Option<String>,
    scale: Option<Spanned<toml::Value>>,
    output: Option<String>,
    param_timing: Option<Spanned<String>>,
    units: Option<Units>,
    solver: Option<Spanned<String>>,
    rtol: Option<f64>,
    atol: Option<f64>,
    transit_compartments: Option<Spanned<i64>>,
}

/// Units of a model, for documentation and output metadata.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Units {
    /// Time unit (e.g. "h").
    pub time: Option<String>,
    /// Amount unit (e.g. "mg").
    pub amount: Option<String>,
    /// Volume unit (e.g. "L").
    pub volume: Option<String>,
    /// Unit of the output (e.g. "ug/L").
    pub output: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct RawDosing {
    F: Option<Spanned<toml::Value>>,
    ALAG: Option<Spanned<toml::Value>>,
    R: Option<Spanned<toml::Value>>,
    D: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRandomEffects {
    names: Spanned<Vec<String>>,
    omega: Spanned<toml::Value>,
    iov: Option<RawIov>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIov {
    occasion: Spanned<String>,
    names: Spanned<Vec<String>>,
    omega: Spanned<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResidual {
    additive: Option<f64>,
    proportional: Option<f64>,
    exponential: Option<f64>,
}

/// An expression with the place it was written, compiled against the model's inputs.
#[derive(Debug, Clone)]
pub struct ModelExpr {
    /// Source text.
    pub source: String,
    /// The compiled form; its slots are the model's inputs (see [`PkModelFile::inputs`]).
    pub compiled: Compiled,
    /// Where it was written (line, column of the first character).
    pub at: (usize, usize),
}

/// Dose modifiers of one compartment.
#[derive(Debug, Clone, Default)]
pub struct DoseModifiers {
    /// Bioavailability F.
    pub f: Option<ModelExpr>,
    /// Lag time ALAG.
    pub alag: Option<ModelExpr>,
    /// Modeled rate R (used by RATE = -1 records).
    pub rate: Option<ModelExpr>,
    /// Modeled duration D (used by RATE = -2 records).
    pub duration: Option<ModelExpr>,
}

/// The structural model of a model file and how it is solved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelStructure {
    /// A linear compartment model, in closed form or (`solver = "ode"`) by ODE.
    Linear {
        /// Which one.
        structure: Structure,
        /// Solve by ODE instead of the closed form.
        ode: bool,
    },
    /// Michaelis–Menten elimination (`one_cmt_mm`, `one_cmt_oral_mm`, `two_cmt_mm`,
    /// `two_cmt_oral_mm`).
    MichaelisMenten {
        /// With a depot (first-order absorption).
        depot: bool,
        /// With a peripheral compartment.
        peripheral: bool,
    },
    /// Transit-compartment absorption into one compartment (`transit_one_cmt`).
    Transit {
        /// Number of transit compartments.
        n: usize,
    },
}

/// Names of the nonlinear structures, for messages.
const NONLINEAR_NAMES: [&str; 5] = ["one_cmt_mm", "one_cmt_oral_mm", "two_cmt_mm", "two_cmt_oral_mm", "transit_one_cmt"];

impl ModelStructure {
    /// Canonical name.
    pub fn name(&self) -> &'static str {
        match *self {
            ModelStructure::Linear { structure, .. } => structure.name(),
            ModelStructure::MichaelisMenten { depot, peripheral } => NONLINEAR_NAMES[usize::from(depot) + 2 * usize::from(peripheral)],
            ModelStructure::Transit { .. } => NONLINEAR_NAMES[4],
        }
    }

    /// Number of compartments.
    pub fn n_cmt(&self) -> usize {
        match *self {
            ModelStructure::Linear { structure, .. } => structure.n_cmt(),
            ModelStructure::MichaelisMenten { depot, peripheral } => 1 + usize::from(depot) + usize::from(peripheral),
            ModelStructure::Transit { n } => Transit::compartments(n),
        }
    }

    /// Zero-based index of the central compartment.
    pub fn central(&self) -> usize {
        match *self {
            ModelStructure::Linear { structure, .. } => structure.central(),
            ModelStructure::MichaelisMenten { depot, .. } => usize::from(depot),
            ModelStructure::Transit { n } => Transit::central_of(n),
        }
    }

    /// Whether compartment 1 is a depot.
    pub fn has_depot(&self) -> bool {
        match *self {
            ModelStructure::Linear { structure, .. } => structure.has_depot(),
            ModelStructure::MichaelisMenten { depot, .. } => depot,
            ModelStructure::Transit { .. } => true,
        }
    }

    /// Structural parameters: (name, required). Optional ones default to 0.
    pub fn parameters(&self) -> Vec<(&'static str, bool)> {
        match *self {
            ModelStructure::Linear { structure, .. } => structure.parameter_names().iter().map(|&n| (n, true)).collect(),
            ModelStructure::MichaelisMenten { depot, peripheral } => {
                let mut p = vec![("VMAX", true), ("KM", true), ("V", true), ("CL", false)];
                if depot {
                    p.push(("KA", true));
                }
                if peripheral {
                    p.extend([("Q", true), ("V2", true)]);
                }
                p
            }
            ModelStructure::Transit { .. } => vec![("MTT", true), ("KA", true), ("CL", true), ("V", true)],
        }
    }

    /// The dynamics for structural parameter values (in [`ModelStructure::parameters`] order).
    pub fn dynamics(&self, values: &[f64], options: &SolverOptions) -> Result<Dynamics, vtrial_pk::PkError> {
        let named = |name: &str| self.parameters().iter().position(|(n, _)| *n == name).map_or(0.0, |i| values[i]);
        match *self {
            ModelStructure::Linear { structure, ode } => {
                let mut p = LinearParams::default();
                for ((name, _), v) in self.parameters().iter().zip(values) {
                    p.set(name, *v);
                }
                if ode {
                    Ok(Dynamics::Ode(OdePk::new(OdeModel::Linear(LinearOde::new(structure, p)?), options.clone())))
                } else {
                    Ok(Dynamics::Closed(LinearPk::new(structure, p)?))
                }
            }
            ModelStructure::MichaelisMenten { depot, peripheral } => {
                let m = MichaelisMenten {
                    vmax: named("VMAX"),
                    km: named("KM"),
                    v: named("V"),
                    cl: named("CL"),
                    ka: depot.then(|| named("KA")),
                    peripheral: peripheral.then(|| (named("Q"), named("V2"))),
                };
                m.validate()?;
                Ok(Dynamics::Ode(OdePk::new(OdeModel::MichaelisMenten(m), options.clone())))
            }
            ModelStructure::Transit { n } => {
                let m = Transit { n, mtt: named("MTT"), ka: named("KA"), cl: named("CL"), v: named("V") };
                m.validate()?;
                Ok(Dynamics::Ode(OdePk::new(OdeModel::Transit(m), options.clone())))
            }
        }
    }
}

/// A checked model file.
#[derive(Debug, Clone)]
pub struct PkModelFile {
    /// Where it came from.
    pub path: PathBuf,
    /// The structural model.
    pub structure: ModelStructure,
    /// ODE solver settings (ODE models only).
    pub solver: SolverOptions,
    /// Free text.
    pub description: Option<String>,
    /// Name of the output column.
    pub output: String,
    /// Units, for documentation.
    pub units: Units,
    /// Parameter timing between records.
    pub param_timing: ParamTiming,
    /// Names of the model's inputs: the data set's covariate columns, then the parameters
    /// (in evaluation order), then the random effects. Every expression's slots follow it.
    pub inputs: Vec<String>,
    /// Number of covariate inputs at the start of `inputs`.
    pub n_covariates: usize,
    /// Parameters in evaluation order: (name, expression, index in `inputs`).
    pub parameters: Vec<(String, ModelExpr, usize)>,
    /// Index in `parameters` of each structural parameter, in [`ModelStructure::parameters`]
    /// order; `None` for an optional one left out (it is 0).
    pub structural: Vec<Option<usize>>,
    /// The output scale: output = central amount / scale.
    pub scale: ModelExpr,
    /// Dose modifiers by zero-based compartment.
    pub dosing: Vec<DoseModifiers>,
    /// Between-subject random effects (ETAs), checked positive definite.
    pub omega: Option<Omega>,
    /// Between-occasion random effects: the data column numbering occasions and their Ω.
    pub iov: Option<(String, Omega)>,
    /// Residual error of the output (`ResidualError::None`: DV is not simulated).
    pub residual: ResidualError,
    /// Things that are allowed but probably mistakes (`file:line:column: …`), e.g. a
    /// parameter nothing uses.
    pub warnings: Vec<String>,
}

/// Turns byte offsets of the TOML text into line and column.
struct Locator<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Locator<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ModelFileError {
        let (line, column) = self.line_col(offset);
        ModelFileError::At { path: self.path.into(), line, column, message: message.into() }
    }
}

impl PkModelFile {
    /// Reads a model file; `covariates` are the data set's covariate columns.
    pub fn read(path: impl AsRef<Path>, covariates: &[String]) -> Result<PkModelFile, ModelFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ModelFileError::Io { path: path.into(), source })?;
        PkModelFile::parse(&text, path, covariates)
    }

    /// Parses model-file text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path, covariates: &[String]) -> Result<PkModelFile, ModelFileError> {
        let loc = Locator { text, path };
        let raw: RawModelFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            loc.error(offset, e.message().trim_end().to_string())
        })?;
        let structure = model_structure(&loc, &raw.model)?;
        let mut solver = SolverOptions::default();
        if let Some(rtol) = raw.model.rtol {
            solver.rtol = rtol;
        }
        if let Some(atol) = raw.model.atol {
            solver.atol = atol;
        }
        if !(solver.rtol >= 0.0 && solver.atol > 0.0 && solver.rtol.is_finite() && solver.atol.is_finite()) {
            return Err(loc.error(raw.model.structure.span().start, "[model] rtol must be >= 0 and atol > 0"));
        }
        let param_timing = match raw.model.param_timing.as_ref().map(|s| s.get_ref().to_ascii_lowercase()) {
            None => ParamTiming::Nocb,
            Some(s) if s == "nocb" => ParamTiming::Nocb,
            Some(s) if s == "locf" => ParamTiming::Locf,
            Some(s) => {
                let at = raw.model.param_timing.as_ref().expect("some").span().start;
                return Err(loc.error(at, format!("param_timing '{s}' is not valid; expected \"nocb\" (NONMEM) or \"locf\" (mrgsolve)")));
            }
        };

        // Random effects: ETAs, then IOV effects, both inputs of the expressions.
        let omega = match &raw.random_effects {
            None => None,
            Some(re) => Some(omega_matrix(&loc, "omega", &re.names, &re.omega)?),
        };
        let iov = match raw.random_effects.as_ref().and_then(|re| re.iov.as_ref()) {
            None => None,
            Some(iov) => {
                let column = iov.occasion.get_ref();
                if !covariates.iter().any(|c| c.eq_ignore_ascii_case(column)) {
                    return Err(loc.error(iov.occasion.span().start, format!("occasion column '{column}' is not in the data set (its columns: {})", covariates.join(", "))));
                }
                Some((column.clone(), omega_matrix(&loc, "iov.omega", &iov.names, &iov.omega)?))
            }
        };
        let eta_names: Vec<String> =
            omega.iter().flat_map(|o| o.names().iter().cloned()).chain(iov.iter().flat_map(|(_, o)| o.names().iter().cloned())).collect();

        // Parameters, ordered so that each comes after those it uses.
        let mut sources = Vec::new();
        for (name, value) in &raw.parameters {
            let (src, offset) = expression_text(&loc, value)?;
            let expr = parse_expr(&loc, &src, offset)?;
            sources.push((name.get_ref().clone(), name.span().start, src, offset, expr));
        }
        let order = evaluation_order(&loc, &sources, covariates, &eta_names)?;
        let mut inputs: Vec<String> = covariates.to_vec();
        let param_names: Vec<String> = order.iter().map(|&k| sources[k].0.clone()).collect();
        inputs.extend(param_names.iter().cloned());
        inputs.extend(eta_names.iter().cloned());
        let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        // Every name an expression reads (upper case), to find parameters nothing uses.
        let used: std::cell::RefCell<BTreeSet<String>> = Default::default();
        let compile = |src: &str, offset: usize, expr: &Expr| -> Result<ModelExpr, ModelFileError> {
            used.borrow_mut().extend(expr.variables().iter().map(|v| v.to_ascii_uppercase()));
            let compiled = expr.compile_ignore_case(&input_refs).map_err(|e| {
                let column = match &e {
                    vtrial_expr::BindError::UnknownVariable { column, .. } | vtrial_expr::BindError::Ambiguous { column, .. } => *column,
                };
                loc.error(offset + column.saturating_sub(1), e.to_string())
            })?;
            Ok(ModelExpr { source: src.to_string(), compiled, at: loc.line_col(offset) })
        };
        let mut parameters = Vec::new();
        for (rank, &k) in order.iter().enumerate() {
            let (name, _, src, offset, expr) = &sources[k];
            parameters.push((name.clone(), compile(src, *offset, expr)?, covariates.len() + rank));
        }
        let defined = |name: &str| parameters.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(name));
        let nonmem = trans4_names(raw.model.structure.get_ref(), &defined);
        let mut structural = Vec::new();
        for (needed, required) in structure.parameters() {
            let found = match nonmem.iter().find(|(ours, _)| *ours == needed) {
                Some((_, theirs)) => parameters.iter().position(|(n, _, _)| n.eq_ignore_ascii_case(theirs)),
                None => parameters.iter().position(|(n, _, _)| n.eq_ignore_ascii_case(needed) || is_alias(needed, n)),
            };
            match found {
                Some(p) => structural.push(Some(p)),
                None if !required => structural.push(None),
                None => {
                    let at = text.find("[parameters]").unwrap_or(0);
                    let all: Vec<&str> = structure.parameters().iter().filter(|p| p.1).map(|p| p.0).collect();
                    return Err(loc.error(
                        at,
                        format!("structure {} needs parameter {needed}; define {} in [parameters]", structure.name(), all.join(", ")),
                    ));
                }
            }
        }

        let (scale_src, scale_offset) = match &raw.model.scale {
            Some(v) => expression_text(&loc, v)?,
            // The central volume under the name the file gives it (V, V1, VC, or V2 with
            // NONMEM's ADVAN4/12 numbering).
            None => {
                let v = structure.parameters().iter().position(|(n, _)| *n == "V").and_then(|i| structural[i]);
                (v.map_or_else(|| "V".to_string(), |p| parameters[p].0.clone()), raw.model.structure.span().start)
            }
        };
        let scale = compile(&scale_src, scale_offset, &parse_expr(&loc, &scale_src, scale_offset)?)?;

        let mut dosing = vec![DoseModifiers::default(); structure.n_cmt()];
        for (cmt_name, d) in &raw.dosing {
            let cmt = compartment_index(structure, cmt_name.get_ref()).ok_or_else(|| {
                loc.error(
                    cmt_name.span().start,
                    format!(
                        "[dosing.{}]: no such compartment; {} has compartments 1..={}{}",
                        cmt_name.get_ref(),
                        structure.name(),
                        structure.n_cmt(),
                        if structure.has_depot() { " (or \"depot\", \"central\")" } else { " (or \"central\")" }
                    ),
                )
            })?;
            let one = |v: &Option<Spanned<toml::Value>>| -> Result<Option<ModelExpr>, ModelFileError> {
                match v {
                    None => Ok(None),
                    Some(v) => {
                        let (src, offset) = expression_text(&loc, v)?;
                        Ok(Some(compile(&src, offset, &parse_expr(&loc, &src, offset)?)?))
                    }
                }
            };
            dosing[cmt] = DoseModifiers { f: one(&d.F)?, alag: one(&d.ALAG)?, rate: one(&d.R)?, duration: one(&d.D)? };
        }

        let residual = match &raw.residual_error {
            None => ResidualError::None,
            Some(r) => residual_error(&loc, r)?,
        };
        // A parameter nothing reads is most likely a misnamed one (ALAG1 in [parameters]
        // instead of ALAG in [dosing.1], TVCL never used in CL): say so, without failing.
        let used = used.into_inner();
        let warnings = parameters
            .iter()
            .enumerate()
            .filter(|(p, (name, _, _))| !structural.contains(&Some(*p)) && !used.contains(&name.to_ascii_uppercase()))
            .map(|(_, (name, expr, _))| {
                let (line, column) = expr.at;
                format!(
                    "{}:{line}:{column}: parameter {name} is not used (not a structural parameter of {}: {}; not read by the scale, a dose modifier or another parameter)",
                    path.display(),
                    structure.name(),
                    structure.parameters().iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        let output = raw.model.output.clone().unwrap_or_else(|| "CP".into());
        let n_cmt = structure.n_cmt();
        let taken = ["ID", "TIME", "EVID", "DV"].iter().any(|c| output.eq_ignore_ascii_case(c))
            || output.to_ascii_uppercase().strip_prefix('A').and_then(|k| k.parse::<usize>().ok()).is_some_and(|k| k >= 1 && k <= n_cmt);
        if taken || output.trim().is_empty() {
            let at = text.find("output").unwrap_or(0);
            return Err(loc.error(at, format!("output name '{output}' is taken by another output column (ID, TIME, EVID, DV, A1…A{n_cmt}); choose another, e.g. \"CP\"")));
        }
        Ok(PkModelFile {
            path: path.into(),
            structure,
            solver,
            description: raw.model.description.clone(),
            output,
            units: raw.model.units.clone().unwrap_or_default(),
            param_timing,
            n_covariates: covariates.len(),
            inputs,
            parameters,
            structural,
            scale,
            dosing,
            omega,
            iov,
            residual,
            warnings,
        })
    }

    /// Number of between-subject random effects.
    pub fn n_etas(&self) -> usize {
        self.omega.as_ref().map_or(0, Omega::dim)
    }

    /// Number of between-occasion random effects.
    pub fn n_iov(&self) -> usize {
        self.iov.as_ref().map_or(0, |(_, o)| o.dim())
    }
}

/// The `[model]` structure, with its solver and transit settings.
fn model_structure(loc: &Locator<'_>, raw: &RawModel) -> Result<ModelStructure, ModelFileError> {
    let name = raw.structure.get_ref().to_ascii_lowercase();
    let ode = match raw.solver.as_ref().map(|s| s.get_ref().to_ascii_lowercase()) {
        None => false,
        Some(s) if s == "closed_form" => false,
        Some(s) if s == "ode" => true,
        Some(s) => {
            let at = raw.solver.as_ref().expect("some").span().start;
            return Err(loc.error(at, format!("solver '{s}' is not valid; expected \"closed_form\" or \"ode\"")));
        }
    };
    let structure = if let Some(structure) = Structure::from_name(&name) {
        ModelStructure::Linear { structure, ode }
    } else if let Some(k) = NONLINEAR_NAMES[..4].iter().position(|n| *n == name) {
        ModelStructure::MichaelisMenten { depot: k % 2 == 1, peripheral: k >= 2 }
    } else if name == NONLINEAR_NAMES[4] {
        let n = raw.transit_compartments.as_ref().ok_or_else(|| {
            loc.error(raw.structure.span().start, "transit_one_cmt needs [model] transit_compartments = N (a whole number >= 1)")
        })?;
        if *n.get_ref() < 1 || *n.get_ref() > 200 {
            return Err(loc.error(n.span().start, "transit_compartments must be a whole number from 1 to 200"));
        }
        ModelStructure::Transit { n: *n.get_ref() as usize }
    } else {
        let names: Vec<&str> = Structure::ALL.iter().map(|s| s.name()).chain(NONLINEAR_NAMES).collect();
        return Err(loc.error(
            raw.structure.span().start,
            format!("unknown structure '{}'; expected one of {} (or advan1-4, advan11, advan12)", raw.structure.get_ref(), names.join(", ")),
        ));
    };
    if let (Some(n), false) = (&raw.transit_compartments, matches!(structure, ModelStructure::Transit { .. })) {
        return Err(loc.error(n.span().start, "transit_compartments applies to structure transit_one_cmt only"));
    }
    Ok(structure)
}

/// NONMEM's TRANS4 names where they differ from ours, as (ours, NONMEM's): with a depot,
/// NONMEM numbers the central compartment 2, so ADVAN4 has CL, V2 (central), Q, V3, KA and
/// ADVAN12 CL, V2, Q3, V3, Q4, V4, KA. Used when the structure is written `advan4` /
/// `advan12` and the parameters use that numbering (V3, resp. V4, is defined and no V, V1
/// or VC); otherwise our names (V central, V2 and V3 peripheral) apply. ADVAN3 and ADVAN11 (V1, Q2, V2, Q3,
/// V3) agree with ours through the aliases V1 and Q2.
fn trans4_names(structure: &str, defined: &dyn Fn(&str) -> bool) -> &'static [(&'static str, &'static str)] {
    let central_named_ours = ["V", "V1", "VC"].iter().any(|v| defined(v));
    match structure.to_ascii_lowercase().as_str() {
        "advan4" if defined("V3") && !central_named_ours => &[("V", "V2"), ("V2", "V3")],
        "advan12" if defined("V4") && !central_named_ours => &[("V", "V2"), ("Q", "Q3"), ("V2", "V3"), ("Q3", "Q4"), ("V3", "V4")],
        _ => &[],
    }
}

/// Structural parameter names and the aliases accepted for them.
fn is_alias(needed: &str, given: &str) -> bool {
    let g = given.to_ascii_uppercase();
    match needed {
        "V" => g == "V1" || g == "VC",
        "Q" => g == "Q2",
        _ => false,
    }
}

fn compartment_index(structure: ModelStructure, name: &str) -> Option<usize> {
    match name.to_ascii_lowercase().as_str() {
        "depot" if structure.has_depot() => Some(0),
        "central" => Some(structure.central()),
        n => n.parse::<usize>().ok().filter(|&c| c >= 1 && c <= structure.n_cmt()).map(|c| c - 1),
    }
}

/// The text of an expression value (a string or a number) and the byte offset of its
/// first character in the file.
fn expression_text(loc: &Locator<'_>, v: &Spanned<toml::Value>) -> Result<(String, usize), ModelFileError> {
    let start = v.span().start;
    match v.get_ref() {
        toml::Value::String(s) => {
            // Skip the opening quote (one, or three for a multi-line string).
            let quote = if loc.text[start..].starts_with("\"\"\"") || loc.text[start..].starts_with("'''") { 3 } else { 1 };
            Ok((s.clone(), start + quote))
        }
        toml::Value::Integer(i) => Ok((i.to_string(), start)),
        toml::Value::Float(f) => Ok((format!("{f:?}"), start)),
        other => Err(loc.error(start, format!("expected an expression (a string like \"1.1 * exp(ETA_CL)\") or a number, found {}", other.type_str()))),
    }
}

fn parse_expr(loc: &Locator<'_>, src: &str, offset: usize) -> Result<Expr, ModelFileError> {
    Expr::parse(src).map_err(|e| loc.error(offset + e.column.saturating_sub(1), e.message.clone()))
}

type Source = (String, usize, String, usize, Expr);

/// Orders parameters so that each is evaluated after those it refers to.
fn evaluation_order(loc: &Locator<'_>, sources: &[Source], covariates: &[String], etas: &[String]) -> Result<Vec<usize>, ModelFileError> {
    let n = sources.len();
    let index_of = |name: &str| sources.iter().position(|s| s.0.eq_ignore_ascii_case(name));
    for (name, at, ..) in sources {
        if covariates.iter().chain(etas).any(|c| c.eq_ignore_ascii_case(name)) {
            return Err(loc.error(*at, format!("parameter {name} has the name of a data column or random effect; rename it")));
        }
    }
    let deps: Vec<Vec<usize>> = sources.iter().map(|s| s.4.variables().iter().filter_map(|v| index_of(v)).collect()).collect();
    let mut order = Vec::with_capacity(n);
    let mut state = vec![0u8; n]; // 0 new, 1 visiting, 2 done
    fn visit(k: usize, deps: &[Vec<usize>], state: &mut [u8], order: &mut Vec<usize>, path: &mut Vec<usize>) -> Result<(), Vec<usize>> {
        match state[k] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == k).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(k);
                return Err(cycle);
            }
            _ => {}
        }
        state[k] = 1;
        path.push(k);
        for &d in &deps[k] {
            visit(d, deps, state, order, path)?;
        }
        path.pop();
        state[k] = 2;
        order.push(k);
        Ok(())
    }
    for k in 0..n {
        visit(k, &deps, &mut state, &mut order, &mut Vec::new()).map_err(|cycle| {
            let names: Vec<&str> = cycle.iter().map(|&c| sources[c].0.as_str()).collect();
            loc.error(sources[cycle[0]].1, format!("parameters refer to each other in a cycle: {}", names.join(" -> ")))
        })?;
    }
    Ok(order)
}

/// A variance–covariance matrix given as rows or as its diagonal, checked by Cholesky.
fn omega_matrix(loc: &Locator<'_>, key: &str, names: &Spanned<Vec<String>>, omega: &Spanned<toml::Value>) -> Result<Omega, ModelFileError> {
    let names = names.get_ref().clone();
    let n = names.len();
    let at = omega.span().start;
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let bad = |what: String| loc.error(at, format!("{key}: {what}; give the {n}×{n} variance–covariance matrix of {} as rows, or its diagonal as a list of {n} variances", names.join(", ")));
    let toml::Value::Array(rows) = omega.get_ref() else { return Err(bad("expected an array".into())) };
    let matrix = if rows.iter().all(|r| number(r).is_some()) {
        if rows.len() != n {
            return Err(bad(format!("{} variances for {n} random effects", rows.len())));
        }
        DMatrix::from_fn(n, n, |i, j| if i == j { number(&rows[i]).expect("checked") } else { 0.0 })
    } else {
        let mut m = DMatrix::zeros(n, n);
        if rows.len() != n {
            return Err(bad(format!("{} rows for {n} random effects", rows.len())));
        }
        for (i, r) in rows.iter().enumerate() {
            let toml::Value::Array(cells) = r else { return Err(bad(format!("row {} is not an array", i + 1))) };
            let row: Option<Vec<f64>> = cells.iter().map(number).collect();
            match row {
                Some(row) if row.len() == n => m.row_mut(i).copy_from_slice(&row),
                _ => return Err(bad(format!("row {} must hold {n} numbers", i + 1))),
            }
        }
        m
    };
    Omega::new(key, names, matrix).map_err(|e| loc.error(at, e.to_string()))
}

fn residual_error(loc: &Locator<'_>, r: &Spanned<RawResidual>) -> Result<ResidualError, ModelFileError> {
    let at = r.span().start;
    let raw = r.get_ref();
    let spec = match (raw.additive, raw.proportional, raw.exponential) {
        (None, None, None) => ResidualError::None,
        (Some(sd), None, None) => ResidualError::Additive { sd },
        (None, Some(cv), None) => ResidualError::Proportional { cv },
        (Some(additive_sd), Some(proportional_cv), None) => ResidualError::Combined { additive_sd, proportional_cv },
        (None, None, Some(sd)) => ResidualError::Exponential { sd },
        _ => return Err(loc.error(at, "residual_error: exponential cannot be combined with additive or proportional")),
    };
    spec.validate().map_err(|e| loc.error(at, e.to_string()))?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PkModelFile, ModelFileError> {
        PkModelFile::parse(text, Path::new("m.toml"), &["WT".to_string(), "BIOAV".to_string()])
    }

    const GOOD: &str = r#"
[model]
structure = "advan2"
scale = "V / 1000"

[parameters]
CL = "TVCL * exp(ETA_CL)"
TVCL = "1.1 * (WT/70)^0.75"
V = 20
KA = 1.5

[dosing.2]
F = "BIOAV"

[random_effects]
names = ["ETA_CL"]
omega = [0.09]

[residual_error]
proportional = 0.1
additive = 0.05
"#;

    #[test]
    fn parses_and_orders_parameters_by_dependency() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.structure, ModelStructure::Linear { structure: Structure::OneCmtOral, ode: false });
        let names: Vec<&str> = m.parameters.iter().map(|p| p.0.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("TVCL") < pos("CL"));
        assert_eq!(m.inputs.last().unwrap(), "ETA_CL");
        assert!(m.dosing[1].f.is_some() && m.dosing[0].f.is_none());
        assert_eq!(m.residual, ResidualError::Combined { additive_sd: 0.05, proportional_cv: 0.1 });
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn advan4_and_advan12_take_nonmem_trans4_names() {
        let nonmem = "[model]\nstructure = \"ADVAN4\"\n[parameters]\nCL = 1\nV2 = 20\nQ = 2\nV3 = 50\nKA = 1.2\n";
        let m = PkModelFile::parse(nonmem, Path::new("m.toml"), &[]).unwrap();
        let names: Vec<&str> = m.structural.iter().map(|p| m.parameters[p.unwrap()].0.as_str()).collect();
        assert_eq!(names, ["CL", "V2", "Q", "V3", "KA"], "our CL, V, Q, V2, KA");
        let ours = "[model]\nstructure = \"advan4\"\n[parameters]\nCL = 1\nV = 20\nQ = 2\nV2 = 50\nKA = 1.2\n";
        let m = PkModelFile::parse(ours, Path::new("m.toml"), &[]).unwrap();
        let names: Vec<&str> = m.structural.iter().map(|p| m.parameters[p.unwrap()].0.as_str()).collect();
        assert_eq!(names, ["CL", "V", "Q", "V2", "KA"]);
        let nonmem12 = "[model]\nstructure = \"advan12\"\n[parameters]\nCL = 1\nV2 = 20\nQ3 = 2\nV3 = 50\nQ4 = 1\nV4 = 80\nKA = 1.2\n";
        let m = PkModelFile::parse(nonmem12, Path::new("m.toml"), &[]).unwrap();
        let names: Vec<&str> = m.structural.iter().map(|p| m.parameters[p.unwrap()].0.as_str()).collect();
        assert_eq!(names, ["CL", "V2", "Q3", "V3", "Q4", "V4", "KA"]);
        // The default scale is the central volume by the file's own name for it.
        let v1 = "[model]\nstructure = \"advan1\"\n[parameters]\nCL = 1\nV1 = 20\n";
        assert_eq!(PkModelFile::parse(v1, Path::new("m.toml"), &[]).unwrap().scale.source, "V1");
        assert_eq!(m.scale.source, "V2");
    }

    #[test]
    fn unused_parameters_are_warned_about() {
        assert!(parse(GOOD).unwrap().warnings.is_empty(), "TVCL is read by CL");
        let m = parse(&GOOD.replace("KA = 1.5", "KA = 1.5\nALAG1 = 0.5")).unwrap();
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
        assert!(m.warnings[0].starts_with("m.toml:11:9: parameter ALAG1 is not used (not a structural parameter of one_cmt_oral: CL, V, KA;"), "{}", m.warnings[0]);
    }

    #[test]
    fn output_names_of_other_columns_are_refused() {
        for name in ["ID", "time", "A1", "a2", "DV"] {
            let m = GOOD.replace("scale = \"V / 1000\"", &format!("scale = \"V / 1000\"\noutput = \"{name}\""));
            assert!(message(&m).contains(&format!("output name '{name}' is taken")), "{name}: {}", message(&m));
        }
        let m = GOOD.replace("scale = \"V / 1000\"", "scale = \"V / 1000\"\noutput = \"A3\"");
        assert!(parse(&m).is_ok(), "a one-compartment oral model has A1 and A2 only");
    }

    #[test]
    fn errors_name_line_and_column() {
        let unknown_key = GOOD.replace("scale = ", "scael = ");
        assert!(message(&unknown_key).starts_with("m.toml:4:1: unknown field `scael`"), "{}", message(&unknown_key));
        let bad_expr = GOOD.replace("\"1.1 * (WT/70)^0.75\"", "\"1.1 * (WT/70)^\"");
        assert!(message(&bad_expr).starts_with("m.toml:8:"), "{}", message(&bad_expr));
        let unknown_var = GOOD.replace("(WT/70)", "(WTT/70)");
        let msg = message(&unknown_var);
        assert!(msg.starts_with("m.toml:8:16: unknown variable 'WTT'"), "{msg}");
        let missing = GOOD.replace("KA = 1.5", "");
        assert!(message(&missing).contains("structure one_cmt_oral needs parameter KA"));
        let cycle = GOOD.replace("V = 20", "V = \"KA * 2\"").replace("KA = 1.5", "KA = \"V / 2\"");
        assert!(message(&cycle).contains("cycle"), "{}", message(&cycle));
        let bad_cmt = GOOD.replace("[dosing.2]", "[dosing.5]");
        assert!(message(&bad_cmt).contains("no such compartment"));
        let not_pd = GOOD.replace("names = [\"ETA_CL\"]\nomega = [0.09]", "names = [\"ETA_CL\", \"ETA_V\"]\nomega = [[0.09, 0.5], [0.5, 0.04]]");
        let msg = message(&not_pd);
        assert!(msg.starts_with("m.toml:17:9: matrix omega is not positive definite"), "{msg}");
        let bad_structure = GOOD.replace("advan2", "advan99");
        assert!(message(&bad_structure).starts_with("m.toml:3:13: unknown structure 'advan99'"), "{}", message(&bad_structure));
    }
}
