//! Reads Avro binary written with a known schema, handing each value to a
//! [`DatumBuilder`].
//!
//! Input is untrusted: every length is checked against what remains, block
//! counts cannot make us allocate more than the input could hold, and
//! nesting is bounded like the encoder's.

use super::datum::{DatumBuilder, TimeUnit};
use super::encode::MAX_DEPTH;
use super::logical;
use super::plan::{Node, NodeId, Plan};

/// Zero-width items (nulls, empty records) cost no input bytes, so their
/// count cannot be checked against the input length; cap it instead.
const MAX_ZERO_WIDTH_ITEMS: usize = 1 << 20;

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        if len > self.remaining() {
            return Err(format!(
                "needs {len} bytes at offset {}, only {} remain",
                self.pos,
                self.remaining()
            ));
        }
        let slice = &self.input[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .input
                .get(self.pos)
                .ok_or_else(|| format!("input ends inside a number at offset {}", self.pos))?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return Err(format!("number too long at offset {}", self.pos - 1));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err(format!("number too long at offset {}", self.pos))
    }

    fn int(&mut self) -> Result<i32, String> {
        let at = self.pos;
        let value = self.long()?;
        i32::try_from(value).map_err(|_| format!("int out of range at offset {at}"))
    }

    fn length(&mut self) -> Result<usize, String> {
        let at = self.pos;
        let len = self.long()?;
        usize::try_from(len).map_err(|_| format!("negative length at offset {at}"))
    }

    fn blob(&mut self) -> Result<&'a [u8], String> {
        let len = self.length()?;
        self.take(len)
    }

    fn text(&mut self) -> Result<&'a str, String> {
        let at = self.pos;
        std::str::from_utf8(self.blob()?).map_err(|_| format!("string at offset {at} is not UTF-8"))
    }
}

impl Plan {
    /// Decodes one datum that must fill `input` exactly.
    pub fn decode<B: DatumBuilder>(
        &self,
        input: &[u8],
        builder: &mut B,
    ) -> Result<B::Value, String> {
        let mut reader = Reader { input, pos: 0 };
        let value = self.read(self.root, &mut reader, builder, 0)?;
        if reader.remaining() > 0 {
            return Err(format!(
                "{} bytes left over after the datum; the message was not written with this schema",
                reader.remaining()
            ));
        }
        Ok(value)
    }

    fn read<B: DatumBuilder>(
        &self,
        id: NodeId,
        r: &mut Reader<'_>,
        b: &mut B,
        depth: usize,
    ) -> Result<B::Value, String> {
        match &self.nodes[id] {
            Node::Null => b.null(),
            Node::Boolean => match r.take(1)?[0] {
                0 => b.boolean(false),
                1 => b.boolean(true),
                other => Err(format!("invalid boolean byte {other}")),
            },
            Node::Int => {
                let v = r.int()?;
                b.long(i64::from(v))
            }
            Node::Long => {
                let v = r.long()?;
                b.long(v)
            }
            Node::Float => {
                let raw = r.take(4)?;
                b.double(f64::from(f32::from_le_bytes([
                    raw[0], raw[1], raw[2], raw[3],
                ])))
            }
            Node::Double => {
                let mut raw = [0u8; 8];
                raw.copy_from_slice(r.take(8)?);
                b.double(f64::from_le_bytes(raw))
            }
            Node::Bytes => {
                let v = r.blob()?;
                b.bytes(v)
            }
            Node::String => {
                let v = r.text()?;
                b.string(v)
            }
            Node::Fixed(named) => {
                let v = r.take(named.size)?;
                b.fixed(v)
            }
            Node::Enum { name, symbols } => {
                let index = r.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| symbols.get(i))
                    .ok_or_else(|| format!("enum {name} has no symbol at index {index}"))?;
                b.enum_symbol(symbol)
            }
            Node::Array(items) => {
                let depth = deeper(depth)?;
                let mut values = Vec::new();
                self.read_blocks(*items, r, |r| {
                    values.push(self.read(*items, r, b, depth)?);
                    Ok(())
                })?;
                b.array(values)
            }
            Node::Map(items) => {
                let depth = deeper(depth)?;
                let mut entries = Vec::new();
                self.read_blocks(*items, r, |r| {
                    let key = r.text()?.to_string();
                    entries.push((key, self.read(*items, r, b, depth)?));
                    Ok(())
                })?;
                b.map(entries)
            }
            Node::Record(record) => {
                let depth = deeper(depth)?;
                let mut fields = Vec::with_capacity(record.fields.len());
                for field in record.fields.iter() {
                    fields.push((&*field.name, self.read(field.node, r, b, depth)?));
                }
                b.record(fields)
            }
            Node::Union(branches) => {
                let index = r.long()?;
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| branches.get(i))
                    .ok_or_else(|| {
                        format!(
                            "union branch {index} does not exist (it has {})",
                            branches.len()
                        )
                    })?;
                self.read(*branch, r, b, depth)
            }
            Node::Date => {
                let days = r.int()?;
                b.date(days)
            }
            Node::Time(unit) => {
                let value = match unit {
                    TimeUnit::Millis => i64::from(r.int()?),
                    _ => r.long()?,
                };
                b.time(value, *unit)
            }
            Node::Timestamp(unit) => {
                let value = r.long()?;
                b.timestamp(value, *unit)
            }
            Node::LocalTimestamp(unit) => {
                let value = r.long()?;
                b.local_timestamp(value, *unit)
            }
            Node::Decimal { scale, fixed, .. } => {
                let raw = match fixed {
                    None => r.blob()?,
                    Some(named) => r.take(named.size)?,
                };
                let unscaled = logical::decimal_from_bytes(raw)?;
                b.decimal(unscaled, *scale)
            }
            Node::Uuid { fixed: None } => {
                let text = r.text()?;
                b.uuid(text)
            }
            Node::Uuid { fixed: Some(_) } => {
                let mut raw = [0u8; 16];
                raw.copy_from_slice(r.take(16)?);
                b.uuid(&logical::format_uuid(&raw))
            }
        }
    }

    /// Reads array or map blocks: a count, then that many items, until a
    /// zero count. A negative count is followed by the block's byte size.
    fn read_blocks<'a>(
        &self,
        items: NodeId,
        r: &mut Reader<'a>,
        mut item: impl FnMut(&mut Reader<'a>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut total = 0usize;
        loop {
            let at = r.pos;
            let mut count = r.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                count = count.checked_neg().ok_or("invalid block count")?;
                r.length()?;
            }
            let count = usize::try_from(count).map_err(|_| "invalid block count")?;
            total = total.saturating_add(count);
            let limit = if self.zero_width(items, 0) {
                MAX_ZERO_WIDTH_ITEMS
            } else {
                r.remaining()
            };
            if total > limit {
                return Err(format!(
                    "block at offset {at} claims {count} items, more than the input holds"
                ));
            }
            for _ in 0..count {
                item(r)?;
            }
        }
    }

    /// Whether a node's encoding can take no bytes at all.
    fn zero_width(&self, id: NodeId, depth: usize) -> bool {
        depth < MAX_DEPTH
            && match &self.nodes[id] {
                Node::Null => true,
                Node::Fixed(named) => named.size == 0,
                Node::Record(record) => record
                    .fields
                    .iter()
                    .all(|f| self.zero_width(f.node, depth + 1)),
                _ => false,
            }
    }
}

fn deeper(depth: usize) -> Result<usize, String> {
    if depth >= MAX_DEPTH {
        Err(format!("data nests deeper than {MAX_DEPTH} levels"))
    } else {
        Ok(depth + 1)
    }
}
