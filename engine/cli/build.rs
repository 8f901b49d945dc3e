//! Lets the `vtrial` binary (and this package's tests) find libtorch at run time without
//! LD_LIBRARY_PATH: an rpath to `$LIBTORCH/lib`, which `scripts/env.sh` sets.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(libtorch) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libtorch}/lib");
    }
}
