//! `cargo xtask test`: what CI runs, in the order a failure is cheapest to find.

use std::path::PathBuf;
use std::process::Command;

/// The repository root (the parent of this crate's folder).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Runs a command in the repository root, failing with its name if it fails.
pub fn run_step(description: &str, program: &str, args: &[&str]) -> Result<(), String> {
    run_step_with_env(description, program, args, &[])
}

/// Runs a command in the repository root with extra environment variables.
pub fn run_step_with_env(
    description: &str,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(), String> {
    println!("==> {description}: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo_root())
        .status()
        .map_err(|err| format!("cannot run {program}: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed ({status})"))
    }
}

/// How long the test stack lets an authenticated session last before the
/// broker asks for re-authentication: short, so that tests see several.
const TEST_REAUTH_MS: &str = "5000";

pub fn run(_args: &[String]) -> Result<(), String> {
    if std::env::var_os("EVENTBUS_STACK_REAUTH_MS").is_none() {
        // SAFETY: set before this process starts any thread; every later
        // stack command reads it, and children inherit it.
        unsafe { std::env::set_var("EVENTBUS_STACK_REAUTH_MS", TEST_REAUTH_MS) };
    }
    run_step("formatting", "cargo", &["fmt", "--all", "--check"])?;
    run_step(
        "clippy",
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_step(
        "clippy without the kafka and registry features",
        "cargo",
        &[
            "clippy",
            "--package",
            "eventbus",
            "--no-default-features",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_step(
        "tests without the kafka and registry features",
        "cargo",
        &[
            "test",
            "--package",
            "eventbus",
            "--no-default-features",
            "--lib",
        ],
    )?;
    run_step("tests", "cargo", &["test", "--workspace"])?;
    // eventbus-wasm and the onboarding page need no stack: the package built
    // for wasm32, checked against the native build from Node, packed,
    // installed and tested again; then the page in headless Chromium.
    let xtask =
        std::env::current_exe().map_err(|err| format!("cannot find the xtask binary: {err}"))?;
    run_step(
        "eventbus-wasm and the onboarding page",
        &xtask.display().to_string(),
        &["wasm", "ci"],
    )?;
    stack_tests()
}

/// The end-to-end tests against the local stack, which a plain `cargo test`
/// leaves ignored. In CI the stack is stopped afterwards; on a developer's
/// machine it is left running for the next run.
fn stack_tests() -> Result<(), String> {
    let stack = crate::stack::ensure_up_as_configured()?;
    let xtask =
        std::env::current_exe().map_err(|err| format!("cannot find the xtask binary: {err}"))?;
    let xtask = xtask.display().to_string();
    run_step(
        "the eventbus command, for the tests that run it",
        "cargo",
        &["build", "--quiet", "--package", "eventbus-cli"],
    )?;
    let eventbus = repo_root()
        .join("target/debug/eventbus")
        .display()
        .to_string();
    let mut env = stack.test_vars();
    env.push(("EVENTBUS_XTASK", &xtask));
    env.push(("EVENTBUS_CLI", &eventbus));
    let result = run_step_with_env(
        "end-to-end tests against the local stack",
        "cargo",
        &[
            "test",
            "--package",
            "eventbus-stack-tests",
            "--",
            "--include-ignored",
            "--test-threads",
            "2",
            "--nocapture",
        ],
        &env,
    );
    // The Ruby gem: its extension, its tests (the producer ones against this
    // stack), its platform gem, and the tests again against the installed gem.
    let result = result.and_then(|()| {
        run_step_with_env(
            "the Ruby gem",
            "rake",
            &["--directory", "bindings/ruby", "ci"],
            &env,
        )
    });
    // The Python wheel: built by maturin, installed into a fresh virtualenv,
    // and tested there (the producer tests against this stack), with stubtest
    // checking the type stubs against the compiled module.
    // The debug profile shares the build the steps above made; a release
    // build of the whole tree would double CI's compile time.
    let mut python_env = env.clone();
    if std::env::var_os("EVENTBUS_CARGO_PROFILE").is_none() {
        python_env.push(("EVENTBUS_CARGO_PROFILE", "dev"));
    }
    let result = result.and_then(|()| {
        run_step_with_env(
            "the Python wheel",
            "bash",
            &["bindings/python/run", "ci"],
            &python_env,
        )
    });
    // The npm package: the typings checked against the addon and
    // type-checked, the tarball packed, installed into an empty folder and
    // tested there (the producer tests against this stack).
    let result = result.and_then(|()| {
        run_step_with_env(
            "the Node package",
            "bash",
            &["bindings/node/run", "ci"],
            &env,
        )
    });
    // The C API: the committed header checked against the sources and
    // compiled as C99, C11 and C++17; the C tests (the producer ones against
    // this stack) plain, under AddressSanitizer and under valgrind, against
    // an install prefix; the examples built with CMake and pkg-config.
    let result = result
        .and_then(|()| run_step_with_env("the C API", "bash", &["bindings/c/run", "ci"], &env));
    // Every benchmark, once, with small counts: they still work. It never
    // fails on a figure; these machines are too noisy for that.
    let result = result.and_then(|()| {
        println!("==> the benchmarks, quick: cargo xtask bench --quick");
        crate::bench::run(&["--quick".to_string()])
    });
    // The README's first command, run the way a newcomer runs it.
    let result = result.and_then(|()| {
        println!("==> the demo: cargo xtask demo");
        crate::demo::run(&[])
    });
    if std::env::var_os("CI").is_some() {
        crate::stack::down()?;
    }
    result
}
