//! Produce throughput to the local broker: our `Producer` validating and
//! encoding the appointment event, from JSON and from the application's
//! `#[derive(Serialize)]` struct, against raw rdkafka sending the same
//! event's pre-encoded bytes with the same librdkafka settings. A fourth
//! contender is raw rdkafka encoding each event itself, with the core's
//! `Serializer`, just before sending it: the gap between it and the
//! pre-encoded run is what encoding costs, and the gap between it and our
//! `Producer` is what the `Producer` adds on top (delivery handles, the
//! topic's schemas, queue-full waits). Runs are interleaved and repeated;
//! medians and the ratios are printed. Also prints the resident memory an
//! idle producer adds to its process.
//!
//! `cargo xtask stack up`, then with its exports:
//! `cargo bench -p eventbus-stack-tests --bench produce [-- EVENTS ROUNDS]`
//!
//! With `EVENTBUS_BENCH_JSON=FILE` it also appends the medians to FILE as
//! JSON lines for `cargo xtask bench`, with start-up to the first delivered
//! event, the resident memory after the runs, and the latency of
//! produce-then-wait for both.

use std::time::{Duration, Instant};

use eventbus::{Producer, Serializer, TopicBinding};
use eventbus_stack_tests::{Appointment, appointment, config, example, register, unique_topic};
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{
    BaseRecord, DefaultProducerContext, DeliveryResult, Producer as _, ProducerContext,
    ThreadedProducer,
};
use serde_json::{Value, json};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);

    let baseline = resident_bytes();
    let idle = idle_producer_rss();
    println!(
        "idle producer adds {:.1} MiB resident memory",
        idle as f64 / 1048576.0
    );

    // `cargo xtask bench` names a topic it has already made, so that topic
    // creation is not counted in the start-up time.
    let topic = std::env::var("TOPIC").unwrap_or_else(|_| unique_topic("bench-appointments"));
    let value_id = register(
        &format!("{topic}-value"),
        &example("schemas/appointment.avsc"),
    );
    let key_id = register(
        &format!("{topic}-key"),
        &example("schemas/appointment-key.avsc"),
    );
    let builder = Producer::builder(config())
        .topic(TopicBinding::new(&topic, value_id).key_schema_id(key_id));
    let raw_config = builder.librdkafka_config();
    let value: Value = serde_json::from_str(&example("records/appointment.json")).unwrap();
    let key = json!("A-2026-000123");
    let typed = appointment();

    let started = Instant::now();
    let raw: ThreadedProducer<DefaultProducerContext> = raw_config.create().expect("raw producer");
    let started_ours = Instant::now();
    let ours = builder.build().expect("producer");
    ours.produce(&topic, Some(&key), &value, &[])
        .expect("produce")
        .wait(Some(Duration::from_secs(30)))
        .expect("first delivery");
    let ours_startup = started_ours.elapsed();
    let value_bytes = ours
        .value_serializer(&topic)
        .unwrap()
        .encode(&value)
        .unwrap();
    let key_bytes = ours.key_serializer(&topic).unwrap().encode(&key).unwrap();
    let message_bytes = (value_bytes.len() + key_bytes.len()) as f64;

    run_raw(&raw, &topic, &key_bytes, &value_bytes, 1);
    // The raw producer was made first; our start-up ran in between.
    let raw_startup = started.elapsed().saturating_sub(ours_startup);

    // Warm both up: connections, metadata, topic creation.
    run_ours(&ours, &topic, &key, &value, 1_000);
    run_raw(&raw, &topic, &key_bytes, &value_bytes, 1_000);

    run_typed(&ours, &topic, &typed, 1_000);

    let serializers = (
        ours.key_serializer(&topic).unwrap().clone(),
        ours.value_serializer(&topic).unwrap().clone(),
    );
    run_raw_encoding(&raw, &topic, &serializers, &key, &value, 1_000);

    // Ours from JSON, ours from the struct, raw rdkafka, raw rdkafka
    // encoding from JSON.
    const CONTENDERS: usize = 4;
    let mut rates: [Vec<f64>; CONTENDERS] = Default::default();
    // CPU µs an event: the producing thread's, and every other thread's
    // (librdkafka's and the delivery-report thread).
    let mut cpu: [Vec<f64>; CONTENDERS] = Default::default();
    let mut cpu_producing: [Vec<f64>; CONTENDERS] = Default::default();
    for round in 0..rounds {
        // Rotate which goes first so none always meets a warmer broker.
        for turn in 0..CONTENDERS {
            let contender = (round + turn) % CONTENDERS;
            let cpu_before = thread_cpu();
            let elapsed = match contender {
                0 => run_ours(&ours, &topic, &key, &value, events),
                1 => run_typed(&ours, &topic, &typed, events),
                2 => run_raw(&raw, &topic, &key_bytes, &value_bytes, events),
                _ => run_raw_encoding(&raw, &topic, &serializers, &key, &value, events),
            };
            let cpu_after = thread_cpu();
            let per_event = |after: Duration, before: Duration| {
                after.saturating_sub(before).as_secs_f64() * 1e6 / events as f64
            };
            rates[contender].push(events as f64 / elapsed.as_secs_f64());
            cpu_producing[contender].push(per_event(cpu_after.0, cpu_before.0));
            cpu[contender].push(per_event(
                cpu_after.0 + cpu_after.1,
                cpu_before.0 + cpu_before.1,
            ));
        }
    }
    let loaded = resident_bytes().saturating_sub(baseline);
    let ours_latency = latencies(|| {
        ours.produce(&topic, Some(&key), &value, &[])
            .expect("produce")
            .wait(Some(Duration::from_secs(30)))
            .expect("delivery");
    });
    // Raw latency needs the delivery report itself: a flush polls in
    // 100 ms steps.
    let (acked, acks) = std::sync::mpsc::channel();
    let raw_acked: ThreadedProducer<Acked> = raw_config
        .create_with_context(Acked(acked))
        .expect("raw producer with a delivery callback");
    let raw_latency = latencies(|| {
        let record = BaseRecord::to(&topic)
            .key(&key_bytes[..])
            .payload(&value_bytes[..]);
        raw_acked
            .send(record)
            .map_err(|(err, _)| err)
            .expect("raw send");
        acks.recv_timeout(Duration::from_secs(30))
            .expect("raw delivery");
    });
    ours.close(Duration::from_secs(30)).expect("close");

    let medians: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
    let cpu_medians: Vec<f64> = cpu.iter_mut().map(|c| median(c)).collect();
    let producing_medians: Vec<f64> = cpu_producing.iter_mut().map(|c| median(c)).collect();
    let (ours_median, typed_median, raw_median, raw_encoding_median) =
        (medians[0], medians[1], medians[2], medians[3]);
    println!("{events} appointment events per run, {rounds} rotated rounds, medians:");
    let names = [
        "eventbus Producer (encode from JSON)",
        "eventbus Producer (encode from struct)",
        "raw rdkafka (pre-encoded bytes)",
        "raw rdkafka (encoding each from JSON)",
    ];
    for (index, name) in names.iter().enumerate() {
        println!(
            "  {name:<40} {:>9.0} events/s {:>6.1} MB/s {:>5.2} µs CPU/event, {:.2} of it \
             the producing thread's   (runs: {})",
            medians[index],
            medians[index] * message_bytes / 1e6,
            cpu_medians[index],
            producing_medians[index],
            rates[index]
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "  ratio eventbus / raw rdkafka: from JSON {:.2}, from struct {:.2}",
        ours_median / raw_median,
        typed_median / raw_median
    );
    println!(
        "  ratio raw rdkafka encoding each / pre-encoded: {:.2}; eventbus from JSON / raw \
         rdkafka encoding each: {:.2}",
        raw_encoding_median / raw_median,
        ours_median / raw_encoding_median
    );

    if let Ok(path) = std::env::var("EVENTBUS_BENCH_JSON") {
        let mib = |bytes: u64| bytes as f64 / 1048576.0;
        let lines = [
            json!({
                "binding": "rust",
                "implementation": format!("eventbus {} Producer", env!("CARGO_PKG_VERSION")),
                "startup_ms": ours_startup.as_secs_f64() * 1e3,
                "idle_rss_mib": mib(idle),
                "load_rss_mib": mib(loaded),
                "events_per_second": ours_median,
                "mb_per_second": ours_median * message_bytes / 1e6,
                "cpu_us_per_event": cpu_medians[0],
                "latency_p50_ms": ours_latency.0,
                "latency_p99_ms": ours_latency.1,
            }),
            json!({
                "binding": "rust",
                "implementation": format!(
                    "eventbus {} Producer, serde struct",
                    env!("CARGO_PKG_VERSION")
                ),
                "events_per_second": typed_median,
                "mb_per_second": typed_median * message_bytes / 1e6,
                "cpu_us_per_event": cpu_medians[1],
            }),
            json!({
                "binding": "rust",
                "implementation": "raw rdkafka, encoding each event with the core Serializer",
                "events_per_second": raw_encoding_median,
                "mb_per_second": raw_encoding_median * message_bytes / 1e6,
                "cpu_us_per_event": cpu_medians[3],
            }),
            json!({
                "binding": "rust",
                "implementation": "raw rdkafka, pre-encoded bytes",
                "startup_ms": raw_startup.as_secs_f64() * 1e3,
                "events_per_second": raw_median,
                "mb_per_second": raw_median * message_bytes / 1e6,
                "cpu_us_per_event": cpu_medians[2],
                "latency_p50_ms": raw_latency.0,
                "latency_p99_ms": raw_latency.1,
            }),
        ];
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("EVENTBUS_BENCH_JSON file");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write the JSON lines");
    }
}

/// Signals each delivery report, for raw rdkafka's latency.
struct Acked(std::sync::mpsc::Sender<()>);

impl ClientContext for Acked {}

impl ProducerContext for Acked {
    type DeliveryOpaque = ();

    fn delivery(&self, _report: &DeliveryResult<'_>, _opaque: ()) {
        let _ = self.0.send(());
    }
}

/// The median and 99th percentile, in milliseconds, of `samples` calls of
/// `send_and_wait` (`LATENCY_SAMPLES`, default 300).
fn latencies(mut send_and_wait: impl FnMut()) -> (f64, f64) {
    let samples: usize = std::env::var("LATENCY_SAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let mut millis: Vec<f64> = (0..samples)
        .map(|_| {
            let sent = Instant::now();
            send_and_wait();
            sent.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    millis.sort_by(f64::total_cmp);
    (
        millis[samples / 2],
        millis[(samples * 99 / 100).min(samples - 1)],
    )
}

/// CPU time this thread (the producing one) and all the process's other
/// threads (librdkafka's, the delivery-report thread) have used so far,
/// from the scheduler's per-thread accounting.
fn thread_cpu() -> (Duration, Duration) {
    let me = std::fs::read_link("/proc/thread-self").ok();
    let (mut producing, mut others) = (Duration::ZERO, Duration::ZERO);
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return (producing, others);
    };
    for task in tasks.flatten() {
        let Some(nanos) = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        else {
            continue;
        };
        let nanos = Duration::from_nanos(nanos);
        let is_me = me
            .as_ref()
            .is_some_and(|me| me.file_name() == Some(&task.file_name()));
        if is_me {
            producing += nanos;
        } else {
            others += nanos;
        }
    }
    (producing, others)
}

fn run_ours(
    producer: &Producer,
    topic: &str,
    key: &Value,
    value: &Value,
    events: usize,
) -> Duration {
    let started = Instant::now();
    for _ in 0..events {
        drop(
            producer
                .produce(topic, Some(key), value, &[])
                .expect("produce"),
        );
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    started.elapsed()
}

fn run_typed(producer: &Producer, topic: &str, value: &Appointment, events: usize) -> Duration {
    let started = Instant::now();
    for _ in 0..events {
        drop(
            producer
                .produce_serialize(topic, Some(value.appointment_id.as_str()), value, &[])
                .expect("produce"),
        );
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    started.elapsed()
}

fn run_raw(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    key: &[u8],
    value: &[u8],
    events: usize,
) -> Duration {
    let started = Instant::now();
    for _ in 0..events {
        send_raw(producer, topic, key, value);
    }
    wait_raw(producer);
    started.elapsed()
}

/// Sends one message, waiting while the local queue is full.
fn send_raw(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    key: &[u8],
    value: &[u8],
) {
    let mut record = BaseRecord::to(topic).key(key).payload(value);
    loop {
        match producer.send(record) {
            Ok(()) => return,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err((err, _)) => panic!("raw send: {err}"),
        }
    }
}

/// Waits the way `Producer::flush` does, on the count of messages not yet
/// reported; rdkafka's flush polls in 100 ms steps, which would charge raw
/// rdkafka up to 100 ms a run.
fn wait_raw(producer: &ThreadedProducer<DefaultProducerContext>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while producer.in_flight_count() > 0 && Instant::now() < deadline {
        let _ = producer.flush(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        producer.in_flight_count(),
        0,
        "raw rdkafka did not deliver in time"
    );
}

/// Raw rdkafka, with each event encoded from JSON by the core's
/// serializers on the producing thread just before it is sent: what a
/// hand-written producer that encodes with eventbus would do.
fn run_raw_encoding(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    (key_serializer, value_serializer): &(Serializer, Serializer),
    key: &Value,
    value: &Value,
    events: usize,
) -> Duration {
    let started = Instant::now();
    let (mut key_bytes, mut value_bytes) = (Vec::new(), Vec::new());
    for _ in 0..events {
        key_bytes.clear();
        value_bytes.clear();
        key_serializer
            .encode_into(key, &mut key_bytes)
            .expect("encode key");
        value_serializer
            .encode_into(value, &mut value_bytes)
            .expect("encode value");
        send_raw(producer, topic, &key_bytes, &value_bytes);
    }
    wait_raw(producer);
    started.elapsed()
}

fn median(rates: &mut [f64]) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Resident memory added by building a producer and letting it connect and
/// sit idle, in bytes.
fn idle_producer_rss() -> u64 {
    let topic = unique_topic("bench-idle");
    let value_id = register(&format!("{topic}-value"), &example("schemas/user.avsc"));
    let before = resident_bytes();
    let producer = Producer::builder(config())
        .topic(TopicBinding::new(&topic, value_id))
        .build()
        .expect("producer");
    let user = json!({"name": "a", "company": "b", "dateOfBirth": 0, "sequenceNumber": 0});
    producer
        .produce_value(&topic, &user)
        .expect("produce")
        .wait(Some(Duration::from_secs(30)))
        .expect("delivery");
    std::thread::sleep(Duration::from_secs(3));
    let after = resident_bytes();
    producer.close(Duration::from_secs(10)).expect("close");
    after.saturating_sub(before)
}

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
