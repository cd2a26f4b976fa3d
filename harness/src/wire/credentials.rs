//! Access keys for signing, read from the environment; secret parts never print.

use std::fmt;

/// The environment variable holding the AccessKey id.
pub(crate) const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// The environment variable holding the AccessKey secret.
pub(crate) const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// The optional environment variable holding an STS security token.
pub(crate) const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// A secret string. `Debug` and `Display` print `<redacted>` so that a secret cannot leak
/// through a log line, an error or a snapshot by accident; [`Secret::expose`] is the one
/// deliberate way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value so that no `Debug` or `Display` shows it.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the signer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An AccessKey pair, optionally with an STS security token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Not a secret: it appears in every signed request.
    pub access_key_id: String,
    /// The AccessKeySecret; redacted wherever it is printed.
    pub secret: Secret,
    pub(crate) security_token: Option<Secret>,
}

/// Why credentials could not be read from the environment. Names the variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// A required variable is not set.
    #[error("environment variable {name} is not set; export it to sign requests")]
    Missing {
        /// The variable's name.
        name: &'static str,
    },
    /// A variable is set to the empty string.
    #[error("environment variable {name} is set but empty; export a non-empty value")]
    Empty {
        /// The variable's name.
        name: &'static str,
    },
    /// A variable's value is not valid Unicode.
    #[error("environment variable {name} is not valid Unicode")]
    NotUnicode {
        /// The variable's name.
        name: &'static str,
    },
}

impl Credentials {
    /// An AccessKey pair without a security token.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret: Secret::new(secret),
            security_token: None,
        }
    }

    /// The reference emulator's built-in test key pair (`testid`/`testsecret`, in every world
    /// this project ships): public test values, not a secret of anybody's.
    pub fn builtin_emulator() -> Self {
        Self::new("testid", "testsecret")
    }

    /// The same credentials with an STS security token.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Secret::new(token));
        self
    }

    /// Reads `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and the optional
    /// `ALIBABA_CLOUD_SECURITY_TOKEN` (the names the official SDKs and CLI use). The error is a
    /// [`CredentialsError`] inside, for callers that want to match on it.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self::from_lookup(|name| std::env::var_os(name))?)
    }

    /// Like [`Credentials::from_env`], but reads variables through `lookup`; lets tests avoid
    /// mutating the process environment.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Self, CredentialsError> {
        let read = |name: &'static str| -> Result<Option<String>, CredentialsError> {
            match lookup(name) {
                None => Ok(None),
                Some(value) => value
                    .into_string()
                    .map(Some)
                    .map_err(|_| CredentialsError::NotUnicode { name }),
            }
        };
        let required = |name: &'static str| -> Result<String, CredentialsError> {
            match read(name)? {
                None => Err(CredentialsError::Missing { name }),
                Some(v) if v.is_empty() => Err(CredentialsError::Empty { name }),
                Some(v) => Ok(v),
            }
        };
        let access_key_id = required(ENV_ACCESS_KEY_ID)?;
        let secret = required(ENV_ACCESS_KEY_SECRET)?;
        // An empty token variable is common in shells that export everything; it means "none".
        let security_token = read(ENV_SECURITY_TOKEN)?
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        Ok(Self {
            access_key_id,
            secret: Secret::new(secret),
            security_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let creds = Credentials::new("AKID", "s3cr3t-value").with_security_token("tok3n-value");
        let debug = format!("{creds:?}");
        assert!(debug.contains("AKID"));
        assert!(!debug.contains("s3cr3t"));
        assert!(!debug.contains("tok3n"));
        assert_eq!(format!("{}", creds.secret), "<redacted>");
        assert_eq!(creds.secret.expose(), "s3cr3t-value");
    }

    #[test]
    fn reads_all_three_variables() {
        let creds = Credentials::from_lookup(env(&[
            (ENV_ACCESS_KEY_ID, "id"),
            (ENV_ACCESS_KEY_SECRET, "sec"),
            (ENV_SECURITY_TOKEN, "tok"),
        ]))
        .unwrap();
        assert_eq!(creds.access_key_id, "id");
        assert_eq!(creds.secret.expose(), "sec");
        assert_eq!(creds.security_token.unwrap().expose(), "tok");
    }

    #[test]
    fn errors_name_the_missing_variable() {
        let err = Credentials::from_lookup(env(&[(ENV_ACCESS_KEY_ID, "id")])).unwrap_err();
        assert_eq!(
            err,
            CredentialsError::Missing {
                name: ENV_ACCESS_KEY_SECRET
            }
        );
        assert!(err.to_string().contains(ENV_ACCESS_KEY_SECRET));

        let err = Credentials::from_lookup(env(&[(ENV_ACCESS_KEY_SECRET, "x")])).unwrap_err();
        assert!(err.to_string().contains(ENV_ACCESS_KEY_ID));

        let err = Credentials::from_lookup(env(&[
            (ENV_ACCESS_KEY_ID, ""),
            (ENV_ACCESS_KEY_SECRET, "x"),
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            CredentialsError::Empty {
                name: ENV_ACCESS_KEY_ID
            }
        );
    }

    #[test]
    fn empty_token_means_none() {
        let creds = Credentials::from_lookup(env(&[
            (ENV_ACCESS_KEY_ID, "id"),
            (ENV_ACCESS_KEY_SECRET, "sec"),
            (ENV_SECURITY_TOKEN, ""),
        ]))
        .unwrap();
        assert!(creds.security_token.is_none());
    }
}
