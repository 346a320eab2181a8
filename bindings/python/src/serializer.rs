//! `eventbus.Serializer`: one pinned schema; `encode` a dict into
//! Confluent-framed bytes, `decode` bytes back into a dict.

use eventbus::{RegistryClient, RegistryConfig, Serializer};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::datum::{PyBuilder, PyDatum};
use crate::errors::{self, IntoPyResult, guard};
use crate::logs;

/// Encodes and decodes with one pinned schema, in the Confluent wire format.
#[pyclass(name = "Serializer", module = "eventbus._native", frozen)]
pub struct PySerializer {
    serializer: Serializer,
}

#[pymethods]
impl PySerializer {
    /// With `schema` (the `.avsc` text) the serializer works offline; with
    /// `registry_url` the schema is fetched once from the registry by id.
    #[new]
    #[pyo3(signature = (*, schema_id, schema=None, registry_url=None, path_prefix=None))]
    fn new(
        py: Python<'_>,
        schema_id: u32,
        schema: Option<String>,
        registry_url: Option<String>,
        path_prefix: Option<String>,
    ) -> PyResult<Self> {
        guard(py, || {
            logs::refresh_level(py);
            let serializer = match (schema, registry_url) {
                (Some(_), Some(_)) => {
                    return Err(errors::config(
                        py,
                        "give either schema= (the .avsc text) or registry_url=, not both",
                    ));
                }
                (Some(schema), None) => Serializer::from_schema_text(schema_id, &schema),
                (None, Some(registry_url)) => py.detach(|| {
                    let mut registry = RegistryConfig::new(&registry_url)?;
                    registry.path_prefix = path_prefix.filter(|prefix| !prefix.is_empty());
                    Serializer::builder()
                        .schema_id(schema_id)
                        .registry(RegistryClient::new(&registry)?)
                        .build()
                }),
                (None, None) => {
                    return Err(errors::config(
                        py,
                        "no schema source: give schema= (the .avsc text) or registry_url=",
                    ));
                }
            };
            Ok(PySerializer {
                serializer: serializer.or_raise(py)?,
            })
        })
    }

    /// The schema id written into every message.
    #[getter]
    fn schema_id(&self) -> u32 {
        self.serializer.schema_id()
    }

    /// Validates `value` against the schema and returns the framed message:
    /// a zero byte, the schema id (4 bytes, big-endian), the Avro datum.
    fn encode<'py>(&self, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = value.py();
        guard(py, || {
            let bytes = self.serializer.encode(PyDatum::new(value)).or_raise(py)?;
            Ok(PyBytes::new(py, &bytes))
        })
    }

    /// Reads a framed message written with this serializer's schema id.
    fn decode<'py>(&self, message: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = message.py();
        guard(py, || {
            let mut builder = PyBuilder::new(py)?;
            if let Ok(bytes) = message.cast::<PyBytes>() {
                return self
                    .serializer
                    .decode_with(bytes.as_bytes(), &mut builder)
                    .or_raise(py);
            }
            // bytearray, memoryview and other buffers: copied first, since
            // Python code may change them while objects are being built.
            let copied: Vec<u8> = py
                .import("builtins")?
                .getattr("memoryview")?
                .call1((&message,))
                .and_then(|view| view.call_method0("tobytes"))
                .map_err(|_| {
                    errors::to_py(
                        py,
                        &eventbus::Error::Decode(format!(
                            "expected bytes, found {}",
                            message
                                .get_type()
                                .name()
                                .map(|n| n.to_string())
                                .unwrap_or_default()
                        )),
                    )
                })?
                .extract()?;
            self.serializer
                .decode_with(&copied, &mut builder)
                .or_raise(py)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<eventbus.Serializer schema_id={}>",
            self.serializer.schema_id()
        )
    }
}
