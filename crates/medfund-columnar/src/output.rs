//! Where results are written: never through a link, into a FIFO or over a
//! device, and under a temporary name until complete.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{ColumnarError, Result};

/// What stands at `path` when it is neither nothing nor a regular file:
/// `a symbolic link`, `a directory`, `a FIFO`, `a device`, `a socket`. An
/// output is never written through a link, into a FIFO or over a device:
/// such a path is refused before anything is read.
pub fn not_a_regular_file(path: &Path) -> Option<&'static str> {
    let kind = std::fs::symlink_metadata(path).ok()?.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// A new file beside `path` under an unpredictable name (`.NAME.XXXXXX.part`),
/// created with `O_CREAT|O_EXCL` — never through a link planted there, never
/// over another file — with the mode `File::create` gives (the umask
/// applies); the caller renames it to `path` when complete. Every writer of
/// results (this crate, the command's own files, CSV tables) makes its
/// temporary file here.
///
/// # Errors
///
/// [`ColumnarError::Output`] if something other than a regular file stands
/// at `path` ([`not_a_regular_file`]): a link, FIFO, device or folder is
/// never written through or replaced. [`ColumnarError::Io`] if the file
/// cannot be made.
pub fn create_beside(path: &Path) -> Result<(File, PathBuf)> {
    if let Some(kind) = not_a_regular_file(path) {
        return Err(ColumnarError::Output { path: path.to_owned(), kind });
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
        .tempfile_in(dir)
        .and_then(|t| t.keep().map_err(|e| e.error))
        .map_err(ColumnarError::io(path, "create a temporary file for it"))
}
