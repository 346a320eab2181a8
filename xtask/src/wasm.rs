//! `cargo xtask wasm`: the eventbus-wasm npm package (the core's pure part
//! compiled to `wasm32-unknown-unknown`, with wasm-bindgen's glue) and its
//! tests, including the onboarding page's browser tests.
//!
//! rustup has no wasm32 standard library on these machines, so the build
//! uses Debian's `rustc-web` toolchain and rebuilds std from `rust-web-src`
//! (`-Zbuild-std`, allowed on a stable compiler by `RUSTC_BOOTSTRAP`),
//! linking with `wasm-ld-22`. Everything lands under `target/wasm/`, apart
//! from the native workspace's builds, since the compilers differ. The
//! wasm-bindgen CLI must be the exact version of the `wasm-bindgen` crate in
//! Cargo.lock; it is installed from crates.io into `target/wasm/tools/` once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::test::{repo_root, run_step, run_step_with_env};

const USAGE: &str = "\
usage: cargo xtask wasm [build|test|pack|ci]

  build   the npm package in target/wasm/pkg (the default)
  test    build, then the Node tests and the onboarding page's browser tests
  pack    build, then npm pack into target/wasm/npm
  ci      build, pack, install the tarball into an empty folder and test that
";

/// The Debian packages the build and the browser tests need, as .ci/run
/// installs them.
pub const DEBIAN_PACKAGES: &str = "rustc-web cargo-web rust-web-src lld-22 chromium";

const WASM_RUSTC: &str = "/usr/bin/rustc";
const WASM_CARGO: &str = "/usr/bin/cargo";
const WASM_LINKER: &str = "wasm-ld-22";
const RUST_SOURCE: &str = "/usr/lib/rustlib/src/rust/library/std";
pub const CHROMIUM: &str = "/usr/bin/chromium";
const PROFILE: &str = "wasm-release";

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        None | Some("build") => build().map(|_| ()),
        Some("test") => {
            let package = build()?;
            test_package(&package)
        }
        Some("pack") => {
            build()?;
            pack().map(|_| ())
        }
        Some("ci") => ci(),
        Some(other) => Err(format!("unknown wasm task {other:?}\n\n{USAGE}")),
    }
}

/// What `cargo xtask test` runs: everything, or a note saying why not when
/// the toolchain is absent on a developer's machine. In CI an absent
/// toolchain is a failure, since .ci/run installs it.
pub fn ci() -> Result<(), String> {
    let missing = missing_tools();
    if !missing.is_empty() {
        let message = format!(
            "the WebAssembly toolchain is incomplete (missing {}); install it with \
             `apt-get install {DEBIAN_PACKAGES}`",
            missing.join(", ")
        );
        if std::env::var_os("CI").is_some() {
            return Err(message);
        }
        println!("==> skipped: eventbus-wasm and the onboarding page: {message}");
        return Ok(());
    }
    build()?;
    let tarball = pack()?;
    let installed = install_tarball(&tarball)?;
    test_package(&installed)
}

/// What is missing for the build and the browser tests, by path.
fn missing_tools() -> Vec<String> {
    let linker = format!("/usr/bin/{WASM_LINKER}");
    [WASM_RUSTC, WASM_CARGO, RUST_SOURCE, &linker, CHROMIUM]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .map(str::to_owned)
        .collect()
}

fn wasm_dir() -> PathBuf {
    repo_root().join("target/wasm")
}

/// Where `build` puts the npm package.
pub fn package_dir() -> PathBuf {
    wasm_dir().join("pkg")
}

/// Builds the package into `target/wasm/pkg` and returns that folder.
pub fn build() -> Result<PathBuf, String> {
    let missing = missing_tools();
    if missing.iter().any(|path| path != CHROMIUM) {
        return Err(format!(
            "cannot build for wasm32: missing {}; install `apt-get install {DEBIAN_PACKAGES}`",
            missing.join(", ")
        ));
    }
    let target_dir = wasm_dir().display().to_string();
    let path = format!(
        "/usr/bin:{}",
        std::env::var("PATH").unwrap_or_else(|_| "/bin".into())
    );
    run_step_with_env(
        "eventbus-wasm for wasm32-unknown-unknown",
        WASM_CARGO,
        &[
            "build",
            "--package",
            "eventbus-wasm",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "-Zbuild-std=std,panic_abort",
            "--profile",
            PROFILE,
            "--target-dir",
            &target_dir,
        ],
        &[
            ("PATH", &path),
            ("RUSTC", WASM_RUSTC),
            // rustc-web is a stable compiler; build-std is a nightly flag.
            ("RUSTC_BOOTSTRAP", "1"),
            ("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", WASM_LINKER),
            // A rustup toolchain chosen by the outer cargo must not leak in.
            ("RUSTUP_TOOLCHAIN", ""),
        ],
    )?;
    let module = wasm_dir().join(format!(
        "wasm32-unknown-unknown/{PROFILE}/eventbus_wasm.wasm"
    ));

    let bindgen = wasm_bindgen_cli()?;
    let package = package_dir();
    if package.exists() {
        fs::remove_dir_all(&package)
            .map_err(|err| format!("cannot clear {}: {err}", package.display()))?;
    }
    let package_arg = package.display().to_string();
    let module_arg = module.display().to_string();
    run_step(
        "wasm-bindgen glue (the web target: ES modules, init before use)",
        &bindgen,
        &[
            "--target",
            "web",
            "--out-dir",
            &package_arg,
            "--out-name",
            "eventbus_wasm",
            // Function names only help a debugger; they are half the size.
            "--remove-name-section",
            "--remove-producers-section",
            &module_arg,
        ],
    )?;
    assemble(&package)?;
    report_size(&package.join("eventbus_wasm_bg.wasm"))?;
    Ok(package)
}

/// The version of the `wasm-bindgen` crate that Cargo.lock holds, which the
/// CLI must match exactly (the glue and the module share a schema).
fn locked_wasm_bindgen_version() -> Result<String, String> {
    let lock = fs::read_to_string(repo_root().join("Cargo.lock"))
        .map_err(|err| format!("cannot read Cargo.lock: {err}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines
                .next()
                .and_then(|next| next.strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'));
            if let Some(version) = version {
                return Ok(version.to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// The wasm-bindgen CLI of the locked version, installed on first use.
fn wasm_bindgen_cli() -> Result<String, String> {
    let version = locked_wasm_bindgen_version()?;
    let tools = wasm_dir().join("tools");
    let program = tools.join("bin/wasm-bindgen");
    let installed = Command::new(&program)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    if installed.as_deref() == Some(&format!("wasm-bindgen {version}")) {
        return Ok(program.display().to_string());
    }

    let root = tools.display().to_string();
    let build_dir = wasm_dir().join("tools-build").display().to_string();
    let install = |locked: bool| {
        let mut args = vec!["install"];
        if locked {
            args.push("--locked");
        }
        args.extend([
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--root",
            &root,
            "--target-dir",
            &build_dir,
        ]);
        run_step(
            &format!("wasm-bindgen CLI {version} (once; cached in target/wasm/tools)"),
            "cargo",
            &args,
        )
    };
    // The CLI's own lock file can name a dependency release the registry
    // mirror does not serve; then resolve afresh within its requirements.
    if let Err(locked_failure) = install(true) {
        println!("    {locked_failure}; installing without --locked");
        install(false)?;
    }
    Ok(program.display().to_string())
}

/// Turns wasm-bindgen's output into the npm package: the hand-written
/// entry points, typings and README beside the generated files, and the
/// crate's JavaScript modules at `js/` instead of wasm-bindgen's hashed
/// `snippets/` folder, so that `EventBusError` has one stable path that
/// both the glue and callers import.
fn assemble(package: &Path) -> Result<(), String> {
    let crate_dir = repo_root().join("bindings/wasm");
    for file in [
        "package.json",
        "README.md",
        "index.js",
        "index.d.ts",
        "node.js",
        "node.d.ts",
    ] {
        copy(&crate_dir.join(file), &package.join(file))?;
    }
    fs::create_dir_all(package.join("js")).map_err(|err| format!("cannot create js/: {err}"))?;
    for file in ["errors.js", "errors.d.ts", "values.js"] {
        copy(
            &crate_dir.join("js").join(file),
            &package.join("js").join(file),
        )?;
    }

    let glue_path = package.join("eventbus_wasm.js");
    let glue = fs::read_to_string(&glue_path)
        .map_err(|err| format!("cannot read {}: {err}", glue_path.display()))?;
    let snippets = package.join("snippets");
    let mut rewritten = glue.clone();
    for entry in fs::read_dir(&snippets).map_err(|err| format!("no snippets folder: {err}"))? {
        let name = entry
            .map_err(|err| err.to_string())?
            .file_name()
            .to_string_lossy()
            .into_owned();
        rewritten = rewritten.replace(&format!("./snippets/{name}/js/"), "./js/");
    }
    if rewritten == glue || rewritten.contains("./snippets/") {
        return Err("the wasm-bindgen glue does not import js/ snippets as expected".into());
    }
    fs::write(&glue_path, rewritten)
        .map_err(|err| format!("cannot write {}: {err}", glue_path.display()))?;
    fs::remove_dir_all(&snippets).map_err(|err| format!("cannot remove snippets/: {err}"))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|err| format!("cannot copy {} to {}: {err}", from.display(), to.display()))
}

/// Prints the module's size, raw and gzipped, the way the README reports it.
fn report_size(module: &Path) -> Result<(), String> {
    let raw = fs::metadata(module)
        .map_err(|err| format!("cannot read {}: {err}", module.display()))?
        .len();
    let gzipped = Command::new("gzip")
        .args(["-9", "--stdout"])
        .arg(module)
        .output()
        .map_err(|err| format!("cannot run gzip: {err}"))?
        .stdout
        .len();
    println!(
        "    {}: {raw} bytes, {gzipped} gzipped (gzip -9)",
        module.file_name().unwrap_or_default().to_string_lossy()
    );
    Ok(())
}

/// `npm pack` of the built package into `target/wasm/npm`; returns the tarball.
fn pack() -> Result<PathBuf, String> {
    let out = wasm_dir().join("npm");
    fs::create_dir_all(&out).map_err(|err| format!("cannot create {}: {err}", out.display()))?;
    let out_arg = out.display().to_string();
    let package_arg = package_dir().display().to_string();
    run_step(
        "the npm tarball",
        "npm",
        &[
            "pack",
            "--silent",
            "--pack-destination",
            &out_arg,
            &package_arg,
        ],
    )?;
    let version = locked_package_version()?;
    let tarball = out.join(format!("eventbus-wasm-{version}.tgz"));
    if tarball.exists() {
        Ok(tarball)
    } else {
        Err(format!("npm pack did not write {}", tarball.display()))
    }
}

fn locked_package_version() -> Result<String, String> {
    let manifest = fs::read_to_string(repo_root().join("bindings/wasm/package.json"))
        .map_err(|err| format!("cannot read bindings/wasm/package.json: {err}"))?;
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("\"version\": \""))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| "bindings/wasm/package.json has no version".into())
}

/// Installs the tarball into an empty project, as a user would, and
/// returns the installed package's folder.
fn install_tarball(tarball: &Path) -> Result<PathBuf, String> {
    let project = wasm_dir().join("installed");
    if project.exists() {
        fs::remove_dir_all(&project)
            .map_err(|err| format!("cannot clear {}: {err}", project.display()))?;
    }
    fs::create_dir_all(&project)
        .map_err(|err| format!("cannot create {}: {err}", project.display()))?;
    fs::write(
        project.join("package.json"),
        "{\"name\": \"eventbus-wasm-install-check\", \"private\": true}\n",
    )
    .map_err(|err| format!("cannot write the install check's package.json: {err}"))?;
    let project_arg = project.display().to_string();
    let tarball_arg = tarball.display().to_string();
    run_step(
        "the tarball installed into an empty project",
        "npm",
        &[
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &project_arg,
            &tarball_arg,
        ],
    )?;
    Ok(project.join("node_modules/eventbus-wasm"))
}

/// The Node tests of `package` (conformance with the native build, the
/// API, the typings), then the onboarding page in headless Chromium,
/// served by `cargo xtask web`'s server on a free loopback port.
fn test_package(package: &Path) -> Result<(), String> {
    run_step(
        "the native reference program for the conformance tests",
        "cargo",
        &[
            "build",
            "--quiet",
            "--package",
            "eventbus-wasm",
            "--example",
            "native_reference",
        ],
    )?;
    npm_ci("bindings/wasm")?;
    let package_arg = package.display().to_string();
    let native = repo_root()
        .join("target/debug/examples/native_reference")
        .display()
        .to_string();
    let env = [
        ("EVENTBUS_WASM_PACKAGE", package_arg.as_str()),
        ("EVENTBUS_NATIVE_REFERENCE", native.as_str()),
    ];
    let node_tests = test_files("bindings/wasm/test")?;
    let mut args = vec!["--test", "--test-reporter=spec"];
    args.extend(node_tests.iter().map(String::as_str));
    run_step_with_env("eventbus-wasm's Node tests", "node", &args, &env)?;
    run_step_with_env(
        "eventbus-wasm's typings (tsc --strict)",
        "bindings/wasm/node_modules/.bin/tsc",
        &["--project", "bindings/wasm/test/tsconfig.json"],
        &env,
    )?;

    npm_ci("web")?;
    let server = crate::web::serve_in_background(0, package)?;
    let url = format!("http://{server}/");
    let screenshots = wasm_dir().join("screenshots").display().to_string();
    let page_tests = test_files("web/test")?;
    let mut args = vec!["--test", "--test-reporter=spec"];
    args.extend(page_tests.iter().map(String::as_str));
    run_step_with_env(
        "the onboarding page in headless Chromium",
        "node",
        &args,
        &[
            ("EVENTBUS_WEB_URL", url.as_str()),
            ("EVENTBUS_SCREENSHOTS", screenshots.as_str()),
            ("EVENTBUS_CHROMIUM", CHROMIUM),
        ],
    )
}

/// The `*.test.mjs` files of `dir` (relative to the repository root),
/// sorted. Node 20's `--test DIR` would also run the helpers beside them.
fn test_files(dir: &str) -> Result<Vec<String>, String> {
    let entries =
        fs::read_dir(repo_root().join(dir)).map_err(|err| format!("cannot list {dir}: {err}"))?;
    let mut files: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{dir} has no *.test.mjs files"));
    }
    Ok(files)
}

/// `npm ci` in `dir` unless its node_modules already matches the lock file.
fn npm_ci(dir: &str) -> Result<(), String> {
    let root = repo_root().join(dir);
    let lock = root.join("package-lock.json");
    let installed = root.join("node_modules/.package-lock.json");
    let current = match (fs::read(&lock), fs::read(&installed)) {
        (Ok(_), Ok(_)) => {
            let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
            modified(&installed) >= modified(&lock)
        }
        _ => false,
    };
    if current {
        return Ok(());
    }
    run_step(
        &format!("{dir}'s npm packages"),
        "npm",
        &["ci", "--silent", "--no-audit", "--no-fund", "--prefix", dir],
    )
}
