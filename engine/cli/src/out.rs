//! Reports on standard output. A reader that stops early (`vtrial run … | head -1`) closes
//! the pipe; by then a run is committed, so that is not an error and must not panic, as
//! `println!` does.

use std::io::Write;

/// Writes `text` to standard output; a closed pipe is ignored, any other error ends the
/// process with status 1.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        // Any other failure (a full disk behind a redirect) must not pass silently.
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// `println!` through [`print`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
