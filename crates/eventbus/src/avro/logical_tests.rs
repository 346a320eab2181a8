use super::*;

#[test]
fn dates_round_trip() {
    assert_eq!(parse_date("1970-01-01"), Ok(0));
    assert_eq!(parse_date("2024-02-29"), Ok(19_782));
    assert_eq!(parse_date("1969-12-31"), Ok(-1));
    assert_eq!(format_date(19_782).unwrap(), "2024-02-29");
    assert!(parse_date("2023-02-29").is_err());
    assert!(parse_date("2024-2-1").is_err());
}

#[test]
fn times_parse_to_nanos_and_render_in_unit() {
    assert_eq!(parse_time("00:00:01.5"), Ok(1_500_000_000));
    assert_eq!(parse_time("23:59:59"), Ok(86_399_000_000_000));
    assert_eq!(
        format_time(1_500, TimeUnit::Millis).unwrap(),
        "00:00:01.500"
    );
    assert_eq!(
        format_time(3_723_000_004, TimeUnit::Micros).unwrap(),
        "01:02:03.000004"
    );
    assert!(parse_time("24:00:00").is_err());
    assert!(format_time(86_400_000, TimeUnit::Millis).is_err());
}

#[test]
fn timestamps_need_a_zone_and_render_in_utc() {
    let nanos = parse_timestamp("2024-05-01T11:30:00.250+02:00").unwrap();
    assert_eq!(nanos, 1_714_555_800_250_000_000);
    let millis = nanos_to_unit_exact(nanos, TimeUnit::Millis).unwrap();
    assert_eq!(
        format_timestamp(millis, TimeUnit::Millis, true).unwrap(),
        "2024-05-01T09:30:00.250Z"
    );
    assert!(parse_timestamp("2024-05-01T09:30:00").is_err());
    assert_eq!(
        parse_local_timestamp("2024-05-01T09:30:00.000001").unwrap(),
        1_714_555_800_000_001_000
    );
    assert!(parse_local_timestamp("2024-05-01T09:30:00Z").is_err());
    assert_eq!(
        format_timestamp(-1, TimeUnit::Micros, false).unwrap(),
        "1969-12-31T23:59:59.999999"
    );
}

#[test]
fn exact_conversion_refuses_to_drop_precision_but_floor_does_not() {
    assert!(nanos_to_unit_exact(1_000_001, TimeUnit::Millis).is_err());
    assert_eq!(nanos_to_unit_floor(1_999_999, TimeUnit::Millis), Ok(1));
    assert_eq!(nanos_to_unit_floor(-1, TimeUnit::Millis), Ok(-1));
}

#[test]
fn decimals_scale_and_check_precision() {
    assert_eq!(parse_decimal("12.5", 5, 2), Ok(1250));
    assert_eq!(parse_decimal("-0.01", 5, 2), Ok(-1));
    assert_eq!(parse_decimal("12.500", 5, 2), Ok(1250));
    assert_eq!(parse_decimal("1.25e2", 5, 2), Ok(12_500));
    assert_eq!(parse_decimal("0", 1, 2), Ok(0));
    assert!(
        parse_decimal("12.345", 5, 2)
            .unwrap_err()
            .contains("scale of 2")
    );
    assert!(
        parse_decimal("1234.5", 5, 2)
            .unwrap_err()
            .contains("precision of 5")
    );
    assert!(parse_decimal("1.2.3", 5, 2).is_err());
    assert!(parse_decimal("", 5, 2).is_err());
    assert!(parse_decimal("abc", 5, 2).is_err());
    assert_eq!(format_decimal(1250, 2), "12.50");
    assert_eq!(format_decimal(-1, 2), "-0.01");
    assert_eq!(format_decimal(7, 0), "7");
}

#[test]
fn decimal_bytes_are_minimal_twos_complement() {
    assert_eq!(*decimal_bytes(0), [0x00]);
    assert_eq!(*decimal_bytes(127), [0x7f]);
    assert_eq!(*decimal_bytes(128), [0x00, 0x80]);
    assert_eq!(*decimal_bytes(-1), [0xff]);
    assert_eq!(*decimal_bytes(-129), [0xff, 0x7f]);
    assert_eq!(decimal_fixed(-2, 4).unwrap(), vec![0xff, 0xff, 0xff, 0xfe]);
    assert!(decimal_fixed(70_000, 2).is_err());
    for v in [0, 1, -1, 255, -256, i128::MAX, i128::MIN] {
        assert_eq!(decimal_from_bytes(&decimal_bytes(v)), Ok(v));
    }
}

#[test]
fn uuids_are_canonical() {
    let text = "123e4567-e89b-12d3-a456-426614174000";
    let bytes = parse_uuid(text).unwrap();
    assert_eq!(format_uuid(&bytes), text);
    assert!(parse_uuid("123e4567e89b12d3a456426614174000").is_err());
    assert!(parse_uuid("123e4567-e89b-12d3-a456-42661417400g").is_err());
    assert_eq!(parse_uuid(&text.to_uppercase()).unwrap(), bytes);
    // Each digit is checked, whichever byte stands in for it.
    for at in (0..36).filter(|at| ![8, 13, 18, 23].contains(at)) {
        for stray in [b'g', b'G', b'/', b':', b'@', b'`', b'-', b' ', 0x80, 0xff] {
            let mut raw = text.as_bytes().to_vec();
            raw[at] = stray;
            let damaged = String::from_utf8_lossy(&raw);
            assert!(parse_uuid(&damaged).is_err(), "{damaged:?}");
        }
    }
    let every_digit = "01234567-89ab-cdef-ABCD-EF0123456789";
    assert_eq!(
        format_uuid(&parse_uuid(every_digit).unwrap()),
        every_digit.to_lowercase()
    );
}

mod against_the_time_crate {
    //! The hand-written parsers and formatters agree with the `time` crate
    //! on generated inputs, valid and invalid.

    use super::*;
    use proptest::prelude::*;
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    use time::{Date, OffsetDateTime, PrimitiveDateTime};

    fn text_date() -> impl Strategy<Value = String> {
        (0u32..10000, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
    }

    fn text_time() -> impl Strategy<Value = String> {
        (
            0u32..25,
            0u32..61,
            0u32..60,
            proptest::option::of("[0-9]{1,9}"),
        )
            .prop_map(|(h, m, s, fraction)| match fraction {
                Some(f) => format!("{h:02}:{m:02}:{s:02}.{f}"),
                None => format!("{h:02}:{m:02}:{s:02}"),
            })
    }

    fn text_offset() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Z".to_string()),
            (prop_oneof![Just('+'), Just('-')], 0u32..24, 0u32..60)
                .prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn dates_parse_alike(text in text_date()) {
            let theirs = Date::parse(&text, format_description!("[year]-[month]-[day]"))
                .map(|d| d.to_julian_day() - 2_440_588);
            prop_assert_eq!(parse_date(&text).ok(), theirs.ok());
        }

        #[test]
        fn timestamps_parse_alike(date in text_date(), time in text_time(), offset in text_offset()) {
            let text = format!("{date}T{time}{offset}");
            let theirs = OffsetDateTime::parse(&text, &Rfc3339).map(|t| t.unix_timestamp_nanos());
            prop_assert_eq!(parse_timestamp(&text).ok(), theirs.ok(), "{}", text);
        }

        #[test]
        fn local_timestamps_parse_alike(date in text_date(), time in text_time()) {
            let text = format!("{date}T{time}");
            let theirs = PrimitiveDateTime::parse(&text, format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            ))
            .map(|t| t.assume_utc().unix_timestamp_nanos());
            prop_assert_eq!(parse_local_timestamp(&text).ok(), theirs.ok(), "{}", text);
        }

        #[test]
        fn timestamps_format_alike(micros in -62_135_596_800_000_000i64..253_402_300_799_000_000) {
            let ours = format_timestamp(micros, TimeUnit::Micros, true).unwrap();
            let theirs = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap();
            let parsed = OffsetDateTime::parse(&ours, &Rfc3339).unwrap();
            prop_assert_eq!(parsed, theirs);
            let days = micros.div_euclid(86_400_000_000) as i32;
            prop_assert_eq!(format_date(days).unwrap(), ours[..10].to_string());
        }
    }
}
