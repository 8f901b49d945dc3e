//! Training files other than NHEFS: the record's codes, derived columns, bounds and output
//! must stay correct (or training must refuse the file with a clear message).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vtrial_cohort::data::read_csv_from;
use vtrial_cohort::derived::{crcl_cockcroft_gault, egfr_ckd_epi_2021};
use vtrial_cohort::sample::ColumnData;
use vtrial_cohort::{CohortError, CohortModel, SampleOptions, TrainOptions, sample, train};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vtrial-cohort-generality-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small deterministic pseudo-random stream in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a CSV of `n` rows; `cell(row, rng)` gives the row's cells.
fn write(dir: &Path, file: &str, header: &str, n: usize, mut cell: impl FnMut(usize, &mut Lcg) -> String) -> PathBuf {
    let mut s = format!("{header}\n");
    let mut rng = Lcg(42 + file.len() as u64);
    for r in 0..n {
        let _ = writeln!(s, "{}", cell(r, &mut rng));
    }
    let p = dir.join(file);
    std::fs::write(&p, s).unwrap();
    p
}

fn small(data: &Path, creat: Option<&Path>) -> TrainOptions {
    let mut o = TrainOptions::new(data);
    o.creatinine_data = creat.map(Path::to_path_buf);
    o.config.hidden = 8;
    o.config.max_epochs = 3;
    o.config.patience = 3;
    o
}

fn train_err(o: &TrainOptions) -> String {
    match train(o) {
        Ok(_) => panic!("training {} should fail", o.data.display()),
        Err(e) => e.to_string(),
    }
}

/// Adults: age, sex (given labels), height, weight.
fn adults(dir: &Path, file: &str, sexes: &[&str], extra_header: &str, extra: impl Fn(usize, &mut Lcg) -> String) -> PathBuf {
    let header = format!("age,sex,ht,wt71{extra_header}");
    write(dir, file, &header, 300, |r, g| {
        let age = 25 + (g.next() * 50.0) as i32;
        let sex = sexes[r % sexes.len()];
        let ht = 150.0 + g.next() * 40.0;
        let wt = 50.0 + g.next() * 50.0;
        format!("{age},{sex},{ht:.1},{wt:.1}{}", extra(r, g))
    })
}

/// A creatinine file (age, sex, creatinine) with the given sex labels.
fn creat_file(dir: &Path, file: &str, sexes: &[&str], n: usize) -> PathBuf {
    write(dir, file, "age,sex,creatinine", n, |r, g| {
        let age = 50 + (g.next() * 40.0) as i32;
        format!("{age},{},{:.1}", sexes[r % sexes.len()], 0.6 + g.next())
    })
}

fn is_female(c: &vtrial_cohort::sample::Cohort, i: usize) -> bool {
    c.text("sex", i).unwrap().eq_ignore_ascii_case("f") || c.text("sex", i).unwrap().eq_ignore_ascii_case("female")
}

#[test]
fn egfr_and_crcl_are_missing_when_creatinine_or_sex_is() {
    let dir = scratch("missing");
    // creatinine modelled (missing in a third of the rows), sex missing in a few.
    let data = adults(&dir, "d.csv", &["F", "M", "F", "M", "M", "F", "", "M"], ",creatinine", |r, g| {
        if r % 3 == 0 { ",".into() } else { format!(",{:.1}", 0.6 + g.next()) }
    });
    let m = train(&small(&data, None)).unwrap();
    let (c, _) = sample(&m, &SampleOptions::new(3000, 1)).unwrap();
    let g = |n: &str| c.num(n).unwrap();
    let (cr, age, wt, egfr, crcl) = (g("creatinine"), g("age"), g("weight"), g("egfr"), g("crcl"));
    let (mut missing_cr, mut missing_sex, mut present) = (0, 0, 0);
    for i in 0..c.n {
        let sex_missing = c.text("sex", i).is_none();
        if cr[i].is_nan() || sex_missing {
            assert!(egfr[i].is_nan() && crcl[i].is_nan(), "row {i}: creatinine {} sex missing {sex_missing} egfr {} crcl {}", cr[i], egfr[i], crcl[i]);
            missing_cr += usize::from(cr[i].is_nan());
            missing_sex += usize::from(sex_missing);
        } else {
            let f = is_female(&c, i);
            assert!((egfr[i] - egfr_ckd_epi_2021(cr[i], age[i], f)).abs() <= 0.051, "row {i}");
            assert!((crcl[i] - crcl_cockcroft_gault(cr[i], age[i], wt[i], f)).abs() <= 0.051, "row {i}");
            present += 1;
        }
    }
    assert!(missing_cr > 100 && missing_sex > 50 && present > 1000, "{missing_cr} {missing_sex} {present}");
}

#[test]
fn creatinine_file_sex_is_matched_by_meaning_or_refused() {
    let dir = scratch("creatsex");
    // NHEFS codes in both files: 0 = male, 1 = female.
    let data = adults(&dir, "d01.csv", &["0", "1"], "", |_, _| String::new());
    let cr01 = creat_file(&dir, "cr01.csv", &["0", "1"], 200);
    let m = train(&small(&data, Some(&cr01))).unwrap();
    let (c, _) = sample(&m, &SampleOptions::new(500, 2)).unwrap();
    let cr = c.num("creatinine").unwrap();
    assert!(cr.iter().all(|x| !x.is_nan()), "creatinine missing with sex 0/1 in both files");
    assert!((0..c.n).any(|i| is_female(&c, i)) && (0..c.n).any(|i| !is_female(&c, i)));
    // Text in other spellings: female/male against F/M.
    let words = adults(&dir, "dw.csv", &["Female", "male"], "", |_, _| String::new());
    let crfm = creat_file(&dir, "crfm.csv", &["F", "M"], 200);
    let m = train(&small(&words, Some(&crfm))).unwrap();
    let (c, _) = sample(&m, &SampleOptions::new(500, 2)).unwrap();
    let (cr, age, egfr) = (c.num("creatinine").unwrap(), c.num("age").unwrap(), c.num("egfr").unwrap());
    for i in 0..c.n {
        let f = c.text("sex", i) == Some("Female");
        assert!(!cr[i].is_nan());
        assert!((egfr[i] - egfr_ckd_epi_2021(cr[i], age[i], f)).abs() <= 0.051, "row {i}: Female must count as female");
    }
    // A creatinine file with only one sex: both files and their levels are named.
    let cronly = creat_file(&dir, "cr_only_f.csv", &["F"], 200);
    let e = train_err(&small(&data, Some(&cronly)));
    assert!(e.contains("d01.csv") && e.contains("cr_only_f.csv") && e.contains("sex 0, 1") && e.contains("sex F"), "{e}");
    // A creatinine file coded 1/2: refused, naming it.
    let cr12 = creat_file(&dir, "cr12.csv", &["1", "2"], 200);
    let e = train_err(&small(&data, Some(&cr12)));
    assert!(e.contains("cr12.csv") && e.contains("found 1, 2"), "{e}");
}

#[test]
fn sex_coded_other_than_the_record_is_refused() {
    let dir = scratch("sex12");
    let data = adults(&dir, "sex12.csv", &["1", "2"], "", |_, _| String::new());
    let e = train_err(&small(&data, None));
    assert!(e.contains("sex12.csv") && e.contains("0 = male, 1 = female") && e.contains("found 1, 2"), "{e}");
    let data = adults(&dir, "sexx.csv", &["F", "M", "X"], "", |_, _| String::new());
    let e = train_err(&small(&data, None));
    assert!(e.contains("\"X\"") && e.contains("not recognised"), "{e}");
}

#[test]
fn race_codes_outside_the_record_stay_codes_and_no_row_is_dropped() {
    let dir = scratch("race123");
    let data = adults(&dir, "race.csv", &["0", "1"], ",race", |r, _| format!(",{}", 1 + r % 3));
    let m = train(&small(&data, None)).unwrap();
    let (c, r) = sample(&m, &SampleOptions::new(2000, 3)).unwrap();
    assert!(r.implausible.is_empty(), "{:?}", r.implausible);
    let race = c.num("race").expect("race stays numeric codes");
    for code in [1.0, 2.0, 3.0] {
        assert!(race.contains(&code), "code {code} never generated");
    }
    assert_eq!(c.column("race").unwrap().unit, "code");
    assert!(c.column("cyp2c19").unwrap().description.contains("European frequencies for everyone"));
}

#[test]
fn cyp2c19_ancestry_labels_are_matched_ignoring_case() {
    let dir = scratch("ancestry");
    let data = adults(&dir, "anc.csv", &["0", "1"], ",race", |r, _| [",White", ",Black", ",Asian"][r % 3].into());
    let m = train(&small(&data, None)).unwrap();
    let desc = |m: &CohortModel| {
        let (c, _) = sample(m, &SampleOptions::new(10, 1)).unwrap();
        c.column("cyp2c19").unwrap().description.clone()
    };
    let d = desc(&m);
    assert!(d.contains("race Asian not a known ancestry group: European"), "{d}");
    let (c, _) = sample(&m, &SampleOptions::new(10, 1)).unwrap();
    assert_eq!(c.column("race").unwrap().description, "training column race, labels as in the training file");
    // IM + PM: European 27.6 %, African American 33.5 % (pgx.rs); 20,000 of each.
    let share = |group: &str| {
        let mut o = SampleOptions::new(20_000, 4);
        o.criteria = Some(format!("race == '{group}'"));
        let (c, _) = sample(&m, &o).unwrap();
        (0..c.n).filter(|&i| matches!(c.text("cyp2c19", i), Some("poor" | "intermediate"))).count() as f64 / c.n as f64
    };
    let (w, b) = (share("White"), share("Black"));
    assert!((w - 0.276).abs() < 0.015, "White: {w}");
    assert!((b - 0.335).abs() < 0.015, "Black: {b}");
}

#[test]
fn csv_output_quotes_commas_quotes_and_line_breaks() {
    let dir = scratch("quoted");
    let cities = ["Oslo", "\"Rome, IT\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "\"cr\r\nlf\""];
    let data = write(&dir, "q.csv", "x,\"city, name\"", 200, |r, g| format!("{:.3},{}", g.next(), cities[r % cities.len()]));
    let m = train(&small(&data, None)).unwrap();
    let (c, _) = sample(&m, &SampleOptions::new(300, 5)).unwrap();
    let mut csv = Vec::new();
    vtrial_cohort::output::write_csv(&c, &mut csv).unwrap();
    let back = read_csv_from(&csv[..], "out.csv").unwrap();
    assert_eq!(back.names, vec!["id", "x", "city, name", "cyp2c19"]);
    assert_eq!(back.n_rows(), 300);
    let j = back.index("city, name").unwrap();
    let vtrial_cohort::data::RawColumn::Text { values } = &back.columns[j] else { panic!("text") };
    for (i, v) in values.iter().enumerate() {
        assert_eq!(v.as_deref(), c.text("city, name", i), "row {i}");
    }
    let mut seen: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, vec!["Oslo", "Rome, IT", "cr\r\nlf", "say \"hi\"", "two\nlines"]);
}

#[test]
fn training_values_outside_the_adult_bounds_are_refused() {
    let dir = scratch("peds");
    let peds = write(&dir, "peds.csv", "age,sex,x", 200, |r, g| format!("{},{},{:.2}", 2 + r % 16, ["M", "F"][r % 2], g.next()));
    let e = train_err(&small(&peds, None));
    assert!(e.contains("peds.csv") && e.contains("age (age): 200 of 200 rows outside 18..110"), "{e}");
    let mixed = write(&dir, "mixed.csv", "age,sex,x", 200, |r, g| format!("{},{},{:.2}", 5 + (r * 7) % 56, ["M", "F"][r % 2], g.next()));
    let e = train_err(&small(&mixed, None));
    assert!(e.contains("mixed.csv") && e.contains("rows outside 18..110 (values 5.."), "{e}");
    assert!(e.contains("data rows 1, 2,") && e.contains("more"), "{e}");
    // Renamed, the column is modelled as an ordinary column.
    let renamed = write(&dir, "renamed.csv", "age_years,sex,x", 200, |r, g| format!("{},{},{:.2}", 2 + r % 16, ["M", "F"][r % 2], g.next()));
    let m = train(&small(&renamed, None)).unwrap();
    let (c, _) = sample(&m, &SampleOptions::new(100, 1)).unwrap();
    assert!(c.num("age_years").unwrap().iter().all(|a| *a < 18.0));
}

#[test]
fn sampling_that_fails_only_the_plausibility_rules_names_them() {
    let dir = scratch("implausible");
    let data = write(&dir, "a.csv", "years,x", 200, |r, g| format!("{},{:.2}", 2 + r % 16, g.next()));
    let mut m = train(&small(&data, None)).unwrap();
    // A model whose `age` column produces children (as an older model could).
    m.meta.columns[0].name = "age".into();
    let mut o = SampleOptions::new(10, 1);
    o.max_draws = 20_000;
    let e = sample(&m, &o).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, CohortError::Invalid(_)), "{msg}");
    assert!(!msg.contains("criteria"), "{msg}");
    assert!(msg.contains("plausibility rules") && msg.contains("age: 8192") && msg.contains("age must be within 18..110"), "{msg}");
}

#[test]
fn a_derived_column_in_the_training_file_is_refused_unless_its_inputs_are_absent() {
    let dir = scratch("withbmi");
    let data = adults(&dir, "withbmi.csv", &["M", "F"], ",bmi", |_, g| format!(",{:.2}", 18.0 + g.next() * 10.0));
    let e = train_err(&small(&data, None));
    assert!(e.contains("withbmi.csv") && e.contains("\"bmi\"") && e.contains("--exclude bmi"), "{e}");
    let mut o = small(&data, None);
    o.exclude.push("bmi".into());
    let m = train(&o).unwrap();
    let (c, _) = sample(&m, &SampleOptions::new(500, 1)).unwrap();
    let (w, h, b) = (c.num("weight").unwrap(), c.num("height").unwrap(), c.num("bmi").unwrap());
    for i in 0..c.n {
        assert!((b[i] - w[i] / (h[i] / 100.0).powi(2)).abs() < 0.006, "row {i}");
    }
    // Without height, a bmi column is ordinary data.
    let nobody = write(&dir, "nobody.csv", "age,bmi", 200, |r, g| format!("{},{:.2}", 20 + r % 50, 18.0 + g.next() * 10.0));
    train(&small(&nobody, None)).unwrap();
}

#[test]
fn a_training_column_named_id_is_refused_unless_excluded() {
    let dir = scratch("withid");
    let data = write(&dir, "withid.csv", "id,visit,x", 200, |r, g| format!("{r},{},{:.2}", 1 + r % 2, g.next()));
    let mut o = small(&data, None);
    o.exclude = vec!["seqn".into()];
    let e = train_err(&o);
    assert!(e.contains("withid.csv") && e.contains("two `id` columns") && e.contains("exclude"), "{e}");
    // The default exclusions leave it out, like seqn.
    let m = train(&small(&data, None)).unwrap();
    assert_eq!(m.meta.data.excluded, vec!["id".to_string()]);
    let (c, _) = sample(&m, &SampleOptions::new(10, 1)).unwrap();
    assert_eq!(c.columns.iter().filter(|c| c.name == "id").count(), 1);
    // Two columns that are the same record column.
    let both = write(&dir, "both.csv", "ht,height", 100, |_, g| format!("{:.1},{:.1}", 150.0 + 40.0 * g.next(), 150.0 + 40.0 * g.next()));
    let e = train_err(&small(&both, None));
    assert!(e.contains("\"ht\" and \"height\""), "{e}");
}

#[test]
fn too_few_creatinine_rows_names_the_creatinine_file() {
    let dir = scratch("creat5");
    let data = adults(&dir, "base.csv", &["M", "F"], "", |_, _| String::new());
    let cr = creat_file(&dir, "creat5.csv", &["F", "M"], 5);
    let e = train_err(&small(&data, Some(&cr)));
    assert!(e.contains("creat5.csv") && e.contains("too few"), "{e}");
}

#[test]
fn a_modelled_creatinine_has_the_record_unit_in_the_model_and_the_cohort() {
    let dir = scratch("units");
    let fl = creat_file(&dir, "fl.csv", &["F", "M"], 300);
    // flchain as training data, and as its own creatinine file (TrainOptions' default).
    let m = train(&small(&fl, Some(&fl))).unwrap();
    assert_eq!(m.meta.units["creatinine"], "mg/dL");
    let (c, _) = sample(&m, &SampleOptions::new(100, 1)).unwrap();
    for col in &c.columns[1..] {
        assert_eq!(m.meta.units[&col.name], col.unit, "{}", col.name);
    }
    assert_eq!(c.column("creatinine").unwrap().unit, "mg/dL");
    // eGFR derives from the modelled creatinine.
    let (cr, age, egfr) = (c.num("creatinine").unwrap(), c.num("age").unwrap(), c.num("egfr").unwrap());
    for i in 0..c.n {
        assert!((egfr[i] - egfr_ckd_epi_2021(cr[i], age[i], is_female(&c, i))).abs() <= 0.051);
    }
    assert!(matches!(c.column("sex").unwrap().data, ColumnData::Text { .. }));
}

#[test]
fn names_that_differ_from_the_record_only_in_case_are_refused_and_identifiers_excluded() {
    let dir = scratch("case");
    let caps = write(&dir, "caps.csv", "SEX,Age,ht,wt71", 200, |r, g| format!("{},{},{:.1},{:.1}", 1 + r % 2, 30 + r % 40, 150.0 + 40.0 * g.next(), 50.0 + 50.0 * g.next()));
    let e = train_err(&small(&caps, None));
    assert!(e.contains("caps.csv") && e.contains("\"SEX\" differs only in case from the record's `sex`"), "{e}");
    let bmi = adults(&dir, "bmi.csv", &["F", "M"], ",BMI", |_, g| format!(",{:.1}", 20.0 + 10.0 * g.next()));
    let e = train_err(&small(&bmi, None));
    assert!(e.contains("\"BMI\" differs only in case from the record's `bmi`"), "{e}");
    // `Id` is an identifier, excluded by default whatever its case: one `id` in the cohort.
    let id = write(&dir, "id.csv", "Id,age,sex,ht,wt71", 300, |r, g| format!("{},{},{},{:.1},{:.1}", 1000 + r, 25 + r % 50, ["F", "M"][r % 2], 150.0 + 40.0 * g.next(), 50.0 + 50.0 * g.next()));
    let m = train(&small(&id, None)).unwrap();
    assert_eq!(m.meta.data.excluded, vec!["Id".to_string()]);
    let (c, _) = sample(&m, &SampleOptions::new(10, 1)).unwrap();
    let mut csv = Vec::new();
    vtrial_cohort::output::write_csv(&c, &mut csv).unwrap();
    let header = String::from_utf8(csv).unwrap().lines().next().unwrap().to_lowercase();
    assert_eq!(header.split(',').filter(|n| *n == "id").count(), 1, "{header}");
}

#[test]
fn text_in_a_numeric_record_column_is_refused() {
    let dir = scratch("text-age");
    let groups = write(&dir, "groups.csv", "age,sex,x", 200, |r, g| format!("{},{},{:.2}", ["40-49", "50-59"][r % 2], ["F", "M"][r % 2], g.next()));
    let e = train_err(&small(&groups, None));
    assert!(e.contains("groups.csv") && e.contains("\"age\" is text (e.g. \"40-49\")") && e.contains("is a number"), "{e}");
    let creat = adults(&dir, "creat.csv", &["F", "M"], ",creatinine", |r, _| [",normal", ",high"][r % 2].to_string());
    let e = train_err(&small(&creat, None));
    assert!(e.contains("\"creatinine\" is text"), "{e}");
}

#[test]
fn training_rows_breaking_the_record_relations_are_refused() {
    let dir = scratch("relations");
    // Every 10th row smokes for longer than it has lived.
    let smoke = adults(&dir, "smoke.csv", &["F", "M"], ",smokeyrs", |r, _| format!(",{}", if r % 10 == 3 { 95 } else { 5 }));
    let e = train_err(&small(&smoke, None));
    assert!(e.contains("smokeyrs <= age: broken by 30 of 300 rows (data rows 4, 14, 24, 34, 44 and 25 more)"), "{e}");
    let bp = adults(&dir, "bp.csv", &["F", "M"], ",sbp,dbp", |r, _| if r == 7 { ",120,120".into() } else { ",130,80".into() });
    let e = train_err(&small(&bp, None));
    assert!(e.contains("dbp < sbp: broken by 1 of 300 rows (data row 8)"), "{e}");
}

#[test]
fn an_excluded_name_the_file_lacks_is_refused_with_its_columns() {
    let dir = scratch("excl");
    let data = adults(&dir, "excl.csv", &["M", "F"], ",smokeyrs", |_, g| format!(",{}", (g.next() * 10.0) as i32));
    let mut o = small(&data, None);
    o.exclude.push("smokeyr".into()); // a typo of smokeyrs
    let e = train_err(&o);
    assert!(e.contains("excl.csv") && e.contains("`smokeyr`") && e.contains("age, sex, ht, wt71, smokeyrs"), "{e}");
    // The default identifiers may be absent; a present name (any case) is left out.
    let mut o = small(&data, None);
    o.exclude.push("SMOKEYRS".into());
    let m = train(&o).unwrap();
    assert_eq!(m.meta.data.excluded, vec!["smokeyrs".to_string()]);
}
