//! "Did you mean …?": the closest name by edit distance.

/// Edit distance between `a` and `b`, ignoring ASCII case: insertions,
/// deletions, substitutions and swaps of two adjacent characters cost 1
/// (the "optimal string alignment" distance).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Three rows of the dynamic-programming table: i-2, i-1 and i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let mut d = (prev[j] + usize::from(a[i] != b[j]))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a plausible
/// typo: at most a third of the longer name's characters differ (at least
/// one may). Ties go to the earlier candidate.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // A column such as `x-y` or `sample yr` written without backticks is read up to its
    // first symbol (`x`, then `- y`): suggest the whole name.
    let cut_short = candidates.iter().find(|c| {
        c.strip_prefix(name).and_then(|rest| rest.chars().next()).is_some_and(|next| {
            !(next.is_alphanumeric() || next == '_' || next == '.')
        })
    });
    if let Some(c) = cut_short {
        return Some(c);
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("WT", "wt"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("egrf", "egfr"), 1);
        assert_eq!(edit_distance("abc", "ca"), 3);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("WGT", ["AGE", "WT", "SEX"]), Some("WT"));
        assert_eq!(closest("egrf", ["age", "egfr"]), Some("egfr"));
        assert_eq!(closest("Age", ["age", "AGE"]), Some("age"));
        assert_eq!(closest("xyz", ["age", "egfr"]), None);
        assert_eq!(closest("lg", ["exp", "log", "log10"]), Some("log"));
        // A name with a symbol, read only up to it.
        assert_eq!(closest("x", ["z", "x-y"]), Some("x-y"));
        assert_eq!(closest("BMI", ["age", "BMI (kg/m2)"]), Some("BMI (kg/m2)"));
        assert_eq!(closest("age", ["age_group", "agent"]), None);
    }
}
