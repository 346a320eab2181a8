//! The TLS material of the broker's SASL_SSL listener: a test CA and a broker
//! certificate it signs, for `DNS:localhost` and `IP:127.0.0.1`, made once with
//! the `openssl` program and kept across runs in `target/stack/tls/`:
//!
//! ```text
//! ca.pem, ca.key          the test CA; clients trust ca.pem
//! broker.pem, broker.key  the broker's certificate and key
//! broker.p12              both as the PKCS12 keystore the broker reads
//! ```
//!
//! Nothing here is secret: the keys exist only to make TLS work on 127.0.0.1.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::toolchain;
use super::{StackHome, create_dir, remove_dir_if_present, write_file};

/// The keystore's password. PKCS12 needs one; it protects nothing here.
pub const KEYSTORE_PASSWORD: &str = "eventbus-stack";

/// Ten years: long enough that a kept certificate never expires under a test.
const VALIDITY_DAYS: &str = "3650";

/// Extensions for the two certificates, in an `openssl` configuration file so
/// that no defaults from the system's openssl.cnf slip in.
const OPENSSL_CONFIG: &str = "\
[req]
distinguished_name = subject
prompt = no

[subject]
CN = localhost

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[broker]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

pub struct TlsFiles {
    dir: PathBuf,
}

impl TlsFiles {
    pub fn new(home: &StackHome) -> Self {
        TlsFiles {
            dir: home.root().join("tls"),
        }
    }

    /// The CA certificate clients trust (`ssl.ca.location`).
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The broker's PKCS12 keystore, protected by [`KEYSTORE_PASSWORD`].
    pub fn keystore(&self) -> PathBuf {
        self.dir.join("broker.p12")
    }

    fn is_complete(&self) -> bool {
        self.ca_pem().is_file() && self.keystore().is_file()
    }
}

/// Checks that `openssl` is there if the certificates are still to be made.
pub fn prerequisites(home: &StackHome) -> Result<(), String> {
    if TlsFiles::new(home).is_complete() || toolchain::find_on_path("openssl").is_some() {
        Ok(())
    } else {
        Err(
            "`openssl` was not found on PATH; the stack makes its test certificates with \
             it. Install it with: apt-get install openssl"
                .to_string(),
        )
    }
}

/// Makes the CA, the broker certificate and the keystore unless a previous
/// run did. They are made in a `.partial` folder that is renamed when
/// complete, so an interrupted run never leaves a keystore without its CA.
pub fn ensure_created(home: &StackHome) -> Result<TlsFiles, String> {
    let files = TlsFiles::new(home);
    if files.is_complete() {
        return Ok(files);
    }
    println!("==> tls: making a test CA and the broker's certificate (first run only)");

    let partial = home.root().join("tls.partial");
    remove_dir_if_present(&partial)?;
    create_dir(&partial)?;
    write_file(&partial.join("openssl.cnf"), OPENSSL_CONFIG)?;

    openssl(
        &partial,
        "make the test CA",
        &[
            "req",
            "-x509",
            "-config",
            "openssl.cnf",
            "-extensions",
            "ca",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            VALIDITY_DAYS,
            "-subj",
            "/CN=eventbus local stack test CA",
        ],
    )?;
    openssl(
        &partial,
        "make the broker's key and certificate request",
        &[
            "req",
            "-new",
            "-config",
            "openssl.cnf",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "broker.key",
            "-out",
            "broker.csr",
            "-subj",
            "/CN=localhost",
        ],
    )?;
    openssl(
        &partial,
        "sign the broker's certificate",
        &[
            "x509",
            "-req",
            "-in",
            "broker.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            VALIDITY_DAYS,
            "-extfile",
            "openssl.cnf",
            "-extensions",
            "broker",
            "-out",
            "broker.pem",
        ],
    )?;
    openssl(
        &partial,
        "export the broker's keystore",
        &[
            "pkcs12",
            "-export",
            "-in",
            "broker.pem",
            "-inkey",
            "broker.key",
            "-certfile",
            "ca.pem",
            "-name",
            "broker",
            "-passout",
            &format!("pass:{KEYSTORE_PASSWORD}"),
            "-out",
            "broker.p12",
        ],
    )?;

    remove_dir_if_present(&files.dir)?;
    fs::rename(&partial, &files.dir).map_err(|err| {
        format!(
            "cannot rename {} to {}: {err}",
            partial.display(),
            files.dir.display()
        )
    })?;
    Ok(files)
}

fn openssl(dir: &Path, what: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|err| format!("cannot run openssl: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl could not {what} ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
