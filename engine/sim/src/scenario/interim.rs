//! `[design.interim]` → [`Interim`]: looks, spending function and boundaries, checked
//! against the primary endpoint.

use vtrial_stats::Sided;
use vtrial_stats::group_sequential::{MAX_LOOKS, MIN_INFORMATION_STEP, Spending, efficacy_bounds};

use super::model::{Allocation, Endpoint, EndpointKind, Interim};
use super::raw::RawInterim;
use super::resolve::{R, bad};

/// Resolves the interim design for the resolved `endpoints` (the primary first).
pub(crate) fn resolve(raw: Option<&RawInterim>, endpoints: &[Endpoint], allocation: &Allocation) -> R<Option<Interim>> {
    let Some(raw) = raw else { return Ok(None) };
    let key = "design.interim";
    let primary = endpoints.first().filter(|e| e.primary && e.kind != EndpointKind::None);
    let Some(primary) = primary else {
        return bad(key, "interim looks analyse the primary endpoint, and this scenario has none ([endpoints.primary] with a kind and a method)");
    };
    if primary.treatments.len() != 1 {
        return bad(
            key,
            format!(
                "interim looks need a primary endpoint with one comparison (one treatment arm against the control); it has {}. \
                 Multi-arm group-sequential designs are not supported yet",
                primary.treatments.len()
            ),
        );
    }
    if matches!(allocation, Allocation::Cohorts) {
        return bad(key, "interim looks need a randomised design (looks take the first patients enrolled, and cohort arms enrol arm by arm)");
    }
    let mut information = raw.information.clone();
    if information.last() != Some(&1.0) {
        information.push(1.0);
    }
    if information.len() < 2 {
        return bad(format!("{key}.information"), "list at least one interim look before the final analysis, e.g. information = [0.5]");
    }
    if information.len() > MAX_LOOKS {
        return bad(format!("{key}.information"), format!("{} interim looks: at most {}", information.len() - 1, MAX_LOOKS - 1));
    }
    let mut previous = 0.0;
    for (i, &t) in information.iter().enumerate() {
        if !(t > previous && t <= 1.0) {
            return bad(
                format!("{key}.information[{i}]"),
                format!("{t}: information fractions increase strictly within (0, 1] (the final look is 1), e.g. [0.33, 0.67]"),
            );
        }
        if i > 0 && t - previous < MIN_INFORMATION_STEP - 1e-12 {
            // The implied final look is not in the file: name the last interim look.
            let at = i.min(raw.information.len() - 1);
            return bad(
                format!("{key}.information[{at}]"),
                format!("looks at {previous} and {t} are less than {MIN_INFORMATION_STEP} apart in information: make them one look"),
            );
        }
        previous = t;
    }
    let spending = match &raw.spending {
        None => Spending::OBrienFleming,
        Some(text) => Spending::parse(text).map_err(|m| super::resolve::KeyError { key: format!("{key}.spending"), message: m })?,
    };
    let h = &primary.hypothesis;
    let two_sided = h.sided == Sided::Two;
    if let Some(f) = raw.futility_z {
        if two_sided {
            return bad(format!("{key}.futility_z"), "a futility boundary needs a one-sided primary test (sided = 1 and better): a two-sided test has no direction to be futile in");
        }
        if !f.is_finite() {
            return bad(format!("{key}.futility_z"), format!("{f}: a z value, e.g. 0 (stop when the estimate points the wrong way)"));
        }
    }
    let one_sided_alpha = if two_sided { h.alpha / 2.0 } else { h.alpha };
    let bounds = efficacy_bounds(one_sided_alpha, &information, spending).map_err(|e| super::resolve::KeyError { key: key.into(), message: e.to_string() })?;
    let levels = bounds.nominal_p.iter().map(|p| if two_sided { 2.0 * p } else { *p }).collect();
    Ok(Some(Interim {
        information,
        spending,
        bounds_z: bounds.z,
        levels,
        futility_z: raw.futility_z,
        by_events: primary.kind == EndpointKind::TimeToEvent,
    }))
}
