//! Encode throughput through the C API against the core, in one process.
//!
//! The C API is reached the way a C program reaches it: `libeventbus.so`
//! (the release build, path given as the first argument) is loaded with
//! `dlopen` and its exported functions called through their C signatures.
//! Every path parses the same JSON text each time and writes the same
//! framed bytes (checked first). Two pairs are timed: a new buffer per
//! message (`eventbus_serializer_encode`, freed with `eventbus_buffer_free`,
//! against the core's `encode` and its new `Vec`), and a buffer kept from one
//! message to the next (`eventbus_serializer_encode_to` against the core's
//! `encode_into`). Both sides encode through the core's `encode_json`,
//! compiled once in the core crate, so that what differs is the boundary.
//! Many short rounds rotate the order of the paths; the medians are
//! reported, and each ratio is the median of the rounds' own ratios, which
//! a machine whose speed drifts over seconds upsets less than a ratio of
//! medians taken seconds apart.
//!
//! ```sh
//! bindings/c/run bench            # or, after cargo build --release -p eventbus-c:
//! cargo bench -p eventbus-c --bench encode -- target/release/libeventbus.so [ROUNDS]
//! ```

use std::ffi::{CString, c_char, c_void};
use std::hint::black_box;
use std::time::Instant;

use eventbus::Serializer;
use eventbus::avro::JsonText;

type NewFromSchema = unsafe extern "C" fn(u32, *const c_char, usize, *mut *mut c_void) -> u32;
type Encode =
    unsafe extern "C" fn(*const c_void, *const c_char, usize, *mut *mut u8, *mut usize) -> u32;
type EncodeTo =
    unsafe extern "C" fn(*const c_void, *const c_char, usize, *mut u8, usize, *mut usize) -> u32;
type Free = unsafe extern "C" fn(*mut c_void);

/// The C API functions the benchmark calls.
struct CApi {
    new_from_schema: NewFromSchema,
    encode: Encode,
    encode_to: EncodeTo,
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
                encode_to: std::mem::transmute::<*mut c_void, EncodeTo>(symbol(
                    "eventbus_serializer_encode_to",
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

    /// The core's encode from the JSON text, as a Rust caller would write it:
    /// the text read into the core's form for encoding, then encoded.
    fn encode_core(&self) -> Vec<u8> {
        let value = JsonText::parse(&self.json).expect("valid JSON");
        self.core.encode_json(&value).expect("a valid record")
    }

    /// The core's encode into a buffer kept from one message to the next.
    fn encode_core_into(&self, out: &mut Vec<u8>) -> usize {
        let value = JsonText::parse(&self.json).expect("valid JSON");
        out.clear();
        self.core
            .encode_json_into(&value, out)
            .expect("a valid record");
        out.len()
    }

    /// The C API's encode of the same text into the caller's buffer.
    fn encode_c_to(&self, api: &CApi, buffer: &mut [u8]) -> usize {
        let mut len = 0;
        // SAFETY: the C API's contract: a buffer and its capacity.
        let result = unsafe {
            (api.encode_to)(
                self.c_serializer,
                self.json.as_ptr().cast(),
                self.json.len(),
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut len,
            )
        };
        assert_eq!(result, 0, "eventbus_serializer_encode_to failed");
        len
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
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(41);
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

    println!(
        "encode from JSON text, {rounds} interleaved rounds: medians in ns per event, and the \
         median of each round's own ratio, C API over core:"
    );
    println!(
        "| event | core (Rust), new Vec | C API, new buffer | ratio | core into a kept Vec | C API into the caller's buffer | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut kept = Vec::with_capacity(16 * 1024);
    let mut buffer = vec![0u8; 16 * 1024];
    for event in &events {
        let mut written = vec![0u8; 16 * 1024];
        let len = event.encode_c_to(&api, &mut written);
        assert_eq!(
            &written[..len],
            &event.encode_core()[..],
            "eventbus_serializer_encode_to and the core write different bytes for {}",
            event.name
        );
        // About 20 ms per path per round: short enough that the two sides of
        // a pair meet the machine in the same state, on a machine whose speed
        // drifts over seconds.
        let start = Instant::now();
        let mut calibration = 0;
        while start.elapsed().as_millis() < 20 {
            black_box(event.encode_core());
            calibration += 1;
        }
        let iterations = calibration.max(1);
        let time = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        };
        let mut samples: [Vec<f64>; 4] = Default::default();
        for round in 0..rounds {
            let mut paths: [Box<dyn FnMut()>; 4] = [
                Box::new(|| drop(black_box(event.encode_core()))),
                Box::new(|| drop(black_box(event.encode_c(&api, false)))),
                Box::new(|| {
                    black_box(event.encode_core_into(&mut kept));
                }),
                Box::new(|| {
                    black_box(event.encode_c_to(&api, &mut buffer));
                }),
            ];
            // Rotate which goes first, so that none always gets a warm cache.
            for step in 0..paths.len() {
                let path = (round + step) % paths.len();
                samples[path].push(time(&mut paths[path]));
            }
        }
        // Each round's own ratio, C API over core, then their median.
        let paired = |c: &[f64], core: &[f64]| {
            median(c.iter().zip(core).map(|(c, core)| c / core).collect())
        };
        let ratio = paired(&samples[1], &samples[0]);
        let ratio_to = paired(&samples[3], &samples[2]);
        let [core, c_api, core_into, c_api_to] = samples.map(median);
        println!(
            "| {} | {core:.0} | {c_api:.0} | {ratio:.2}x | {core_into:.0} | {c_api_to:.0} | {ratio_to:.2}x |",
            event.name,
        );
        append_json(event.name, core, c_api);
    }
    for event in events {
        // SAFETY: a serializer the C API made, freed once.
        unsafe { (api.serializer_free)(event.c_serializer) };
    }
}
