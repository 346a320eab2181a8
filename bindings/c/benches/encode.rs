//! Encode throughput through the C API against the core, in one process.
//!
//! The C API is reached the way a C program reaches it: `libeventbus.so`
//! (the release build, path given as the first argument) is loaded with
//! `dlopen` and its exported functions called through their C signatures.
//! Both paths parse the same JSON text each time and write the same framed
//! bytes (checked first); rounds alternate between them, and the medians
//! are reported.
//!
//! ```sh
//! bindings/c/run bench            # or, after cargo build --release -p eventbus-c:
//! cargo bench -p eventbus-c --bench encode -- target/release/libeventbus.so [ROUNDS]
//! ```

use std::ffi::{CString, c_char, c_void};
use std::hint::black_box;
use std::time::Instant;

use eventbus::Serializer;

type NewFromSchema = unsafe extern "C" fn(u32, *const c_char, usize, *mut *mut c_void) -> u32;
type Encode =
    unsafe extern "C" fn(*const c_void, *const c_char, usize, *mut *mut u8, *mut usize) -> u32;
type Free = unsafe extern "C" fn(*mut c_void);

/// The C API functions the benchmark calls.
struct CApi {
    new_from_schema: NewFromSchema,
    encode: Encode,
    buffer_free: Free,
    serializer_free: Free,
}

impl CApi {
    fn load(path: &str) -> Result<CApi, String> {
        let path_c = CString::new(path).map_err(|err| err.to_string())?;
        // SAFETY: dlopen of a path; the handle is kept for the process.
        let library = unsafe { libc::dlopen(path_c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if library.is_null() {
            return Err(format!("cannot load {path}"));
        }
        let symbol = |name: &str| -> Result<*mut c_void, String> {
            let name_c = CString::new(name).map_err(|err| err.to_string())?;
            // SAFETY: looking up a symbol in a loaded library.
            let address = unsafe { libc::dlsym(library, name_c.as_ptr()) };
            if address.is_null() {
                Err(format!("{path} has no {name}"))
            } else {
                Ok(address)
            }
        };
        // SAFETY: each symbol has the signature the header declares.
        unsafe {
            Ok(CApi {
                new_from_schema: std::mem::transmute::<*mut c_void, NewFromSchema>(symbol(
                    "eventbus_serializer_new_from_schema",
                )?),
                encode: std::mem::transmute::<*mut c_void, Encode>(symbol(
                    "eventbus_serializer_encode",
                )?),
                buffer_free: std::mem::transmute::<*mut c_void, Free>(symbol(
                    "eventbus_buffer_free",
                )?),
                serializer_free: std::mem::transmute::<*mut c_void, Free>(symbol(
                    "eventbus_serializer_free",
                )?),
            })
        }
    }
}

/// One example event and both ways of encoding it.
struct Event {
    name: &'static str,
    json: String,
    core: Serializer,
    c_serializer: *mut c_void,
}

fn read(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    std::fs::read_to_string(format!("{root}/{path}"))
        .unwrap_or_else(|err| panic!("cannot read {path}: {err}"))
}

impl Event {
    fn new(api: &CApi, name: &'static str, schema_id: u32) -> Event {
        let schema = read(&format!("examples/schemas/{name}.avsc"));
        let record: serde_json::Value =
            serde_json::from_str(&read(&format!("examples/records/{name}.json")))
                .expect("example records are JSON");
        let json = record.to_string();
        let core = Serializer::from_schema_text(schema_id, &schema).expect("the schema compiles");
        let mut c_serializer = std::ptr::null_mut();
        // SAFETY: the C API's contract: text and length, and an out-parameter.
        let result = unsafe {
            (api.new_from_schema)(
                schema_id,
                schema.as_ptr().cast(),
                schema.len(),
                &mut c_serializer,
            )
        };
        assert_eq!(result, 0, "eventbus_serializer_new_from_schema failed");
        Event {
            name,
            json,
            core,
            c_serializer,
        }
    }

    /// The core's encode from the JSON text, as a Rust caller would write it.
    fn encode_core(&self) -> Vec<u8> {
        let value: serde_json::Value = serde_json::from_str(&self.json).expect("valid JSON");
        self.core.encode(&value).expect("a valid record")
    }

    /// The C API's encode of the same text; the buffer is freed as C frees it.
    fn encode_c(&self, api: &CApi, keep: bool) -> Option<Vec<u8>> {
        let mut bytes = std::ptr::null_mut();
        let mut len = 0;
        // SAFETY: the C API's contract.
        let result = unsafe {
            (api.encode)(
                self.c_serializer,
                self.json.as_ptr().cast(),
                self.json.len(),
                &mut bytes,
                &mut len,
            )
        };
        assert_eq!(result, 0, "eventbus_serializer_encode failed");
        // SAFETY: `len` bytes at `bytes`, owned by us until freed.
        let kept = keep.then(|| unsafe { std::slice::from_raw_parts(bytes, len) }.to_vec());
        black_box(bytes);
        // SAFETY: a buffer the C API returned, freed once.
        unsafe { (api.buffer_free)(bytes.cast()) };
        kept
    }
}

/// With EVENTBUS_BENCH_JSON=FILE, appends both medians to FILE as JSON
/// lines (events per second) for `cargo xtask bench`.
fn append_json(event: &str, core_ns: f64, c_api_ns: f64) {
    let Ok(path) = std::env::var("EVENTBUS_BENCH_JSON") else {
        return;
    };
    let line = |implementation: &str, ns: f64| {
        format!(
            "{{\"kind\":\"encode\",\"binding\":\"c\",\"event\":\"{event}\",\"implementation\":\"{implementation}\",\"events_per_second\":{}}}\n",
            1e9 / ns
        )
    };
    let text = line("libeventbus C API, JSON text", c_api_ns)
        + &line("Rust core from JSON text, same harness", core_ns);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()));
    if let Err(err) = written {
        eprintln!("cannot append to {path}: {err}");
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(library) = args.first() else {
        eprintln!("usage: encode path/to/libeventbus.so [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(9);
    let api = CApi::load(library).unwrap_or_else(|err| {
        eprintln!("{err}");
        std::process::exit(1);
    });
    let events = [
        Event::new(&api, "user", 12),
        Event::new(&api, "appointment", 13),
        Event::new(&api, "visit-summary", 14),
    ];
    for event in &events {
        assert_eq!(
            event.encode_c(&api, true),
            Some(event.encode_core()),
            "the C API and the core write different bytes for {}",
            event.name
        );
    }

    println!("encode from JSON text, {rounds} interleaved rounds, medians (ns per event):");
    println!("| event | core (Rust) | C API | C API / core |");
    println!("|---|---|---|---|");
    for event in &events {
        // About 0.2 s per path per round.
        let start = Instant::now();
        let mut calibration = 0;
        while start.elapsed().as_millis() < 50 {
            black_box(event.encode_core());
            calibration += 1;
        }
        let iterations = calibration * 4;
        let (mut core, mut c_api) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let time_core = || {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(event.encode_core());
                }
                start.elapsed().as_nanos() as f64 / iterations as f64
            };
            let time_c = || {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(event.encode_c(&api, false));
                }
                start.elapsed().as_nanos() as f64 / iterations as f64
            };
            // Alternate which goes first, so neither always gets a warm cache.
            if round % 2 == 0 {
                core.push(time_core());
                c_api.push(time_c());
            } else {
                c_api.push(time_c());
                core.push(time_core());
            }
        }
        let (core, c_api) = (median(core), median(c_api));
        println!(
            "| {} | {core:.0} | {c_api:.0} | {:.2}x |",
            event.name,
            c_api / core
        );
        append_json(event.name, core, c_api);
    }
    for event in events {
        // SAFETY: a serializer the C API made, freed once.
        unsafe { (api.serializer_free)(event.c_serializer) };
    }
}
