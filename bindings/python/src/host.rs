//! The Python objects the conversions recognise or call (`datetime`,
//! `Decimal`, `UUID`, the exception classes, the `eventbus` logger), looked
//! up once per process and kept for its life.
//!
//! Under the stable ABI there is no `datetime` C API, so dates and times are
//! read through their attributes and made by calling their types.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyType};

/// The Python objects the binding needs, imported once.
pub struct Host {
    pub date: Py<PyType>,
    pub datetime: Py<PyType>,
    pub time: Py<PyType>,
    pub timedelta: Py<PyType>,
    pub decimal: Py<PyType>,
    pub uuid: Py<PyType>,
    /// 1970-01-01T00:00:00+00:00, subtracted from aware datetimes.
    pub utc_epoch: Py<PyAny>,
    /// 1970-01-01T00:00:00 without a zone, subtracted from naive datetimes.
    pub naive_epoch: Py<PyAny>,
    /// `eventbus.errors`, where the exception classes live.
    pub errors: Py<PyModule>,
    /// `eventbus._hooks.settle`, which completes an asyncio future.
    pub settle: Py<PyAny>,
    /// `logging.getLogger("eventbus")`.
    pub logger: Py<PyAny>,
    pub get_running_loop: Py<PyAny>,
}

static HOST: PyOnceLock<Host> = PyOnceLock::new();

/// The objects, imported on first use.
pub fn get(py: Python<'_>) -> PyResult<&Host> {
    HOST.get_or_try_init(py, || import(py))
}

fn import(py: Python<'_>) -> PyResult<Host> {
    let datetime_module = py.import("datetime")?;
    let class = |name: &str| -> PyResult<Py<PyType>> {
        Ok(datetime_module
            .getattr(name)?
            .cast_into::<PyType>()?
            .unbind())
    };
    let utc = datetime_module.getattr("timezone")?.getattr("utc")?;
    let datetime = datetime_module.getattr("datetime")?;
    let utc_epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
    let naive_epoch = datetime.call1((1970, 1, 1))?;
    Ok(Host {
        date: class("date")?,
        datetime: class("datetime")?,
        time: class("time")?,
        timedelta: class("timedelta")?,
        decimal: py
            .import("decimal")?
            .getattr("Decimal")?
            .cast_into::<PyType>()?
            .unbind(),
        uuid: py
            .import("uuid")?
            .getattr("UUID")?
            .cast_into::<PyType>()?
            .unbind(),
        utc_epoch: utc_epoch.unbind(),
        naive_epoch: naive_epoch.unbind(),
        errors: py.import("eventbus.errors")?.unbind(),
        settle: py.import("eventbus._hooks")?.getattr("settle")?.unbind(),
        logger: py
            .import("logging")?
            .getattr("getLogger")?
            .call1(("eventbus",))?
            .unbind(),
        get_running_loop: py.import("asyncio")?.getattr("get_running_loop")?.unbind(),
    })
}
