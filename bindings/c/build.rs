//! Gives the shared library a soname, so that programs linked against
//! `libeventbus.so` record the ABI they were built for and the loader
//! refuses an incompatible one. Cargo's semver rules decide what is
//! compatible: `1.x` releases share `libeventbus.so.1`, while each `0.x`
//! release is its own ABI (`libeventbus.so.0.1`). The install step in
//! `bindings/c/run` lays out the matching symlinks.

fn main() {
    let version =
        |part: &str| std::env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap_or_default();
    let abi = match version("MAJOR").as_str() {
        "0" => format!("0.{}", version("MINOR")),
        major => major.to_owned(),
    };
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libeventbus.so.{abi}");
    }
}
