//! `vtrial pk` end to end: the binary on the NONMEM reference, Parquet output, bad input.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reference(rel: &str) -> PathBuf {
    repo().join("../shared/reference-data").join(rel)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vtrial-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn vtrial(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vtrial")).args(args).current_dir(repo()).output().expect("vtrial runs")
}

#[test]
fn help_lists_each_subcommand_with_a_description() {
    let out = vtrial(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("pk") && text.contains("Simulate a NONMEM-format data set"), "{text}");
}

#[test]
fn pk_command_reproduces_nonmem_1001() {
    let dir = scratch("nm");
    let out_csv = dir.join("1001.csv");
    let data = reference("nonmem-dosing/1001-input.csv");
    let out = vtrial(&["pk", "--data", data.to_str().unwrap(), "--model", "scenarios/validation/nonmem-1001.toml", "--out", out_csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = std::fs::read_to_string(&out_csv).unwrap();
    let expected = std::fs::read_to_string(reference("nonmem-dosing/1001-nonmem-output.csv")).unwrap();
    let mut lines = got.lines();
    assert_eq!(lines.next().unwrap(), "ID,TIME,EVID,CP,A1,A2");
    let mut compared = 0;
    for (g, e) in lines.zip(expected.lines().skip(1)) {
        let g: Vec<f64> = g.split(',').map(|v| v.parse().unwrap()).collect();
        let e: Vec<f64> = e.split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!((g[0], g[1]), (e[0], e[1]));
        if g[2] == 0.0 {
            let ok = if e[2].abs() < 1.0 { (g[3] - e[2]).abs() <= 1e-4 } else { ((g[3] - e[2]) / e[2]).abs() <= 1e-4 };
            assert!(ok, "ID {} TIME {}: {} vs NONMEM {}", g[0], g[1], g[3], e[2]);
            compared += 1;
        }
    }
    assert_eq!(compared, 3799);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pk_command_writes_parquet_by_extension() {
    let dir = scratch("pq");
    let out_pq = dir.join("theo.parquet");
    let data = dir.join("d.csv");
    std::fs::write(&data, "ID,TIME,EVID,AMT,CMT,WT\n1,0,1,320,1,70\n1,1,0,0,2,70\n1,2,0,0,2,70\n").unwrap();
    let out = vtrial(&["pk", "--data", data.to_str().unwrap(), "--model", "scenarios/validation/theoph-pinheiro-bates.toml", "--out", out_pq.to_str().unwrap(), "--seed", "7"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let (n, dv): (i64, i64) = conn
        .query_row(&format!("SELECT count(*), count(DV) FROM read_parquet('{}')", out_pq.display()), [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((n, dv), (3, 3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_data_is_reported_with_file_line_and_column_and_no_output_is_left() {
    let dir = scratch("bad");
    let out_csv = dir.join("out.csv");
    let cases = [
        ("ID,TIME,EVID,AMT,CMT\n1,0,1,100,1\n1,1,0,x,2\n", "d.csv:3: column 4 (AMT): 'x' is not a number"),
        ("ID,TIME,EVID,AMT,CMT\n1,0,1,100,7\n", "d.csv:2: CMT = 7 does not exist; one_cmt_oral has compartments 1..=2"),
        ("ID,TIME,EVID,AMT,CMT\n1,0,1,100,1\n1,1,0,0,4\n", "d.csv:3: CMT = 4 does not exist; one_cmt_oral has compartments 1..=2 and the output compartment 3"),
        ("ID,TIME,EVID,AMT,CMT\n1,0,1,-100,1\n", "d.csv:2: column 4 (AMT): AMT = -100 is negative"),
        ("ID,TIME,EVID,AMT,CMT\n1,5,1,100,1\n1,2,0,0,2\n", "d.csv:3: column 2 (TIME): time goes backwards within ID 1"),
        ("ID,TIME,EVID,AMT,CMT,SS\n1,0,1,100,1,1\n", "d.csv:2: column 6 (SS): SS needs an interval II > 0"),
        ("ID,TIME,EVID,AMT,CMT,RATE\n1,0,1,100,1,-1\n", "d.csv:2: RATE = -1 asks for a modeled rate, but the model has none for compartment 1"),
    ];
    let model = dir.join("m.toml");
    std::fs::write(&model, "[model]\nstructure = \"one_cmt_oral\"\n\n[parameters]\nCL = 1.1\nV = 20\nKA = 1.5\n").unwrap();
    for (text, expected) in cases {
        let data = dir.join("d.csv");
        std::fs::write(&data, text).unwrap();
        let out = vtrial(&["pk", "--data", data.to_str().unwrap(), "--model", model.to_str().unwrap(), "--out", out_csv.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
        assert!(!out_csv.exists(), "no output file after an error");
        assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("partial")));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_model_file_is_reported_with_line_and_column() {
    let dir = scratch("badmodel");
    let model = dir.join("m.toml");
    std::fs::write(&model, "[model]\nstructure = \"one_cmt_oral\"\n\n[parameters]\nCL = \"1.1 * exp(ETA_CL\"\nV = 20\nKA = 1\n").unwrap();
    let data = reference("nonmem-dosing/1001-input.csv");
    let out = vtrial(&["pk", "--data", data.to_str().unwrap(), "--model", model.to_str().unwrap(), "--out", dir.join("o.csv").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("m.toml:5:"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
