//! The Ruby classes the conversions recognise (`Date`, `DateTime`,
//! `BigDecimal`, the exception classes), looked up once when the extension
//! loads. `lib/eventbus.rb` requires `date` and `bigdecimal` first.

use std::sync::OnceLock;

use magnus::value::Opaque;
use magnus::{Error, Module, RClass, RModule, Ruby};

pub struct HostClasses {
    pub date: Opaque<RClass>,
    pub date_time: Opaque<RClass>,
    pub big_decimal: Opaque<RClass>,
    pub event_bus: Opaque<RModule>,
}

static CLASSES: OnceLock<HostClasses> = OnceLock::new();

pub fn init(ruby: &Ruby) -> Result<(), Error> {
    let object = ruby.class_object();
    let date: RClass = object.const_get("Date")?;
    let date_time: RClass = object.const_get("DateTime")?;
    let big_decimal: RClass = object.const_get("BigDecimal")?;
    let event_bus: RModule = object.const_get("EventBus")?;
    let _ = CLASSES.set(HostClasses {
        date: date.into(),
        date_time: date_time.into(),
        big_decimal: big_decimal.into(),
        event_bus: event_bus.into(),
    });
    Ok(())
}

/// The classes, once `init` has run (it runs before any method is defined).
pub fn classes(ruby: &Ruby) -> Result<&'static HostClasses, Error> {
    CLASSES.get().ok_or_else(|| {
        Error::new(
            ruby.exception_load_error(),
            "the eventbus extension was loaded without lib/eventbus.rb; require \"eventbus\"",
        )
    })
}

/// `EventBus::<name>`.
pub fn event_bus_const<T: magnus::TryConvert>(ruby: &Ruby, name: &str) -> Result<T, Error> {
    let module = ruby.get_inner(classes(ruby)?.event_bus);
    module.const_get(name)
}
