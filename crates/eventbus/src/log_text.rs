//! The text of a log event, as every binding hands it to its host's logger:
//! the message, then the event's other fields in parentheses,
//! `producer ready (topics=2 elapsed_ms=14)`. The core never puts tokens,
//! secrets or payloads into a field, so the text is safe to log as it is.

use std::fmt::Write;

use tracing::Event;
use tracing::field::{Field, Visit};

/// The message of `event` with its fields.
pub fn event_text(event: &Event<'_>) -> String {
    let mut text = EventText::default();
    event.record(&mut text);
    if !text.fields.is_empty() {
        text.message.push_str(" (");
        text.message.push_str(text.fields.trim_start());
        text.message.push(')');
    }
    text.message
}

#[derive(Default)]
struct EventText {
    message: String,
    fields: String,
}

impl Visit for EventText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::Subscriber;
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

    use super::event_text;

    struct Capture(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
            self.0.lock().unwrap().push(event_text(event));
        }
    }

    #[test]
    fn the_message_comes_first_then_the_fields() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(topics = 2, name = "appointments", "producer ready");
            tracing::warn!("no fields");
            tracing::info!(count = 3, "{} formatted", "message");
        });
        assert_eq!(
            *lines.lock().unwrap(),
            [
                "producer ready (topics=2 name=appointments)",
                "no fields",
                "message formatted (count=3)",
            ]
        );
    }
}
