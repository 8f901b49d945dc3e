//! Reports on standard output. A reader that stops early (`vtrial run … | head -1`) closes
//! the pipe; by then a run is committed, so that is not an error and must not panic, as
//! `println!` does.

use std::io::Write;

/// Writes `text` to standard output; a closed pipe is ignored.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `println!` through [`print`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
