//! Produce throughput to the local broker: our `Producer` validating and
//! encoding the appointment event from JSON, against raw rdkafka sending the
//! same event's pre-encoded bytes with the same librdkafka settings. Runs
//! are interleaved and repeated; medians and the ratio are printed. Also
//! prints the resident memory an idle producer adds to its process.
//!
//! `cargo xtask stack up`, then with its exports:
//! `cargo bench -p eventbus-stack-tests --bench produce [-- EVENTS ROUNDS]`

use std::time::{Duration, Instant};

use eventbus::{Producer, TopicBinding};
use eventbus_stack_tests::{config, example, register, unique_topic};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer as _, ThreadedProducer};
use serde_json::{Value, json};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);

    let idle = idle_producer_rss();
    println!(
        "idle producer adds {:.1} MiB resident memory",
        idle as f64 / 1048576.0
    );

    let topic = unique_topic("bench-appointments");
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
    let raw: ThreadedProducer<DefaultProducerContext> =
        builder.librdkafka_config().create().expect("raw producer");
    let ours = builder.build().expect("producer");

    let value: Value = serde_json::from_str(&example("records/appointment.json")).unwrap();
    let key = json!("A-2026-000123");
    let value_bytes = ours
        .value_serializer(&topic)
        .unwrap()
        .encode(&value)
        .unwrap();
    let key_bytes = ours.key_serializer(&topic).unwrap().encode(&key).unwrap();
    let message_bytes = (value_bytes.len() + key_bytes.len()) as f64;

    // Warm both up: connections, metadata, topic creation.
    run_ours(&ours, &topic, &key, &value, 1_000);
    run_raw(&raw, &topic, &key_bytes, &value_bytes, 1_000);

    let (mut ours_rates, mut raw_rates) = (Vec::new(), Vec::new());
    let (mut ours_cpu, mut raw_cpu) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first so neither always meets a warmer broker.
        let order: [bool; 2] = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_ours in order {
            let cpu_before = process_cpu();
            let elapsed = if is_ours {
                run_ours(&ours, &topic, &key, &value, events)
            } else {
                run_raw(&raw, &topic, &key_bytes, &value_bytes, events)
            };
            let cpu_per_event = (process_cpu() - cpu_before).as_secs_f64() * 1e6 / events as f64;
            let rate = events as f64 / elapsed.as_secs_f64();
            let (rates, cpu) = if is_ours {
                (&mut ours_rates, &mut ours_cpu)
            } else {
                (&mut raw_rates, &mut raw_cpu)
            };
            rates.push(rate);
            cpu.push(cpu_per_event);
        }
    }
    ours.close(Duration::from_secs(30)).expect("close");

    let (ours_median, raw_median) = (median(&mut ours_rates), median(&mut raw_rates));
    println!("{events} appointment events per run, {rounds} interleaved rounds, medians:");
    for (name, rates, median, cpu) in [
        (
            "eventbus Producer (encode from JSON)",
            &ours_rates,
            ours_median,
            &mut ours_cpu,
        ),
        (
            "raw rdkafka (pre-encoded bytes)",
            &raw_rates,
            raw_median,
            &mut raw_cpu,
        ),
    ] {
        println!(
            "  {name:<38} {median:>9.0} events/s {:>6.1} MB/s {:>5.2} µs CPU/event   (runs: {})",
            median * message_bytes / 1e6,
            self::median(cpu),
            rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "  ratio eventbus / raw rdkafka: {:.2}",
        ours_median / raw_median
    );
}

/// CPU time (user and system) this process has used so far, across all of
/// its threads: the producer's own and librdkafka's.
fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
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

fn run_raw(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    key: &[u8],
    value: &[u8],
    events: usize,
) -> Duration {
    let started = Instant::now();
    for _ in 0..events {
        let mut record = BaseRecord::to(topic).key(key).payload(value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err((err, _)) => panic!("raw send: {err}"),
            }
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
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
