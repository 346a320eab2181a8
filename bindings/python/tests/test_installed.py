"""The tests run against the package they are meant to."""

from __future__ import annotations

import os
import pathlib

import pytest

import eventbus
from eventbus import _native


@pytest.mark.skipif(not os.environ.get("EVENTBUS_TEST_INSTALLED"), reason="for the built wheel")
def test_the_package_is_the_installed_wheel():
    source = pathlib.Path(__file__).resolve().parents[1] / "python"
    assert source not in pathlib.Path(eventbus.__file__).resolve().parents
    assert "site-packages" in pathlib.Path(_native.__file__).parts


def test_the_version_is_the_crate_version():
    assert eventbus.__version__ == _native.__version__
    assert eventbus.__version__.count(".") == 2
