//! The exit codes of `eni-harness` and the one mapping onto them. A command ends in `Ok(())`
//! or in a [`CommandError`]; its [`ErrorKind`] alone decides the code, and `cli::main` prints
//! the error once and exits with it. The codes: 0 passed, 1 something was judged and did not
//! pass, 2 usage, profile or case-file errors (nothing was judged).

/// All cases passed (or the command succeeded).
pub const EXIT_OK: u8 = 0;
/// At least one case failed (or a finding, a file not in canonical form, an ENI not removed).
pub const EXIT_FAILED: u8 = 1;
/// Usage, profile or case-file errors: nothing was judged.
pub const EXIT_USAGE: u8 = 2;

/// Why a command did not pass, as its exit code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something was judged and did not pass: a case failed, the fuzzer found something, a
    /// file is not in canonical form, a client sent malformed requests, an ENI was not removed.
    Failed,
    /// The command could not do its job: a flag, a profile, a case file, a world, a file it
    /// could not read or write, an address it could not listen on. Nothing was judged.
    Usage,
}

impl ErrorKind {
    /// The process exit code of a command that ended in this kind of error.
    pub const fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Failed => EXIT_FAILED,
            ErrorKind::Usage => EXIT_USAGE,
        }
    }
}

/// The exit code of a command's result: [`EXIT_OK`] for `Ok`, else the kind's.
pub fn exit_code(result: &Result<(), CommandError>) -> u8 {
    match result {
        Ok(()) => EXIT_OK,
        Err(error) => error.exit_code(),
    }
}

/// A command that did not pass: its kind, and what to tell the user. The message is empty
/// when the command has already said everything line by line (a failing case's report, each
/// file `fmt` could not read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    /// Which exit code the command ends with.
    pub kind: ErrorKind,
    /// What to print on standard error, once; empty when nothing is left to say.
    pub message: String,
}

impl CommandError {
    /// The command could not do its job; `message` names the place and the fix.
    pub fn usage(message: impl Into<String>) -> CommandError {
        CommandError {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }

    /// Something was judged and did not pass; `message` says what.
    pub fn failed(message: impl Into<String>) -> CommandError {
        CommandError {
            kind: ErrorKind::Failed,
            message: message.into(),
        }
    }

    /// The process exit code this error ends the command with.
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }
}

/// An error of this kind whose details the command has already printed.
impl From<ErrorKind> for CommandError {
    fn from(kind: ErrorKind) -> CommandError {
        CommandError {
            kind,
            message: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_documented_code() {
        assert_eq!(exit_code(&Ok(())), 0);
        assert_eq!(exit_code(&Err(CommandError::failed("a case failed"))), 1);
        assert_eq!(exit_code(&Err(CommandError::usage("no such profile"))), 2);
        assert_eq!(exit_code(&Err(ErrorKind::Usage.into())), 2);
        assert_eq!(CommandError::from(ErrorKind::Failed).message, "");
    }
}
