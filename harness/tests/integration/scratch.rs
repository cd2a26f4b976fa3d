//! A fresh folder under the system's temporary folder for one test, removed when dropped: the
//! tests that run the binary from a folder of their own share it.

use std::path::PathBuf;

/// A fresh folder of its own (the process id keeps parallel runs apart), removed on drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    /// `<temp>/eh-<prefix>-<name>-<pid>`, emptied first.
    pub(crate) fn new(prefix: &str, name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("eh-{prefix}-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
