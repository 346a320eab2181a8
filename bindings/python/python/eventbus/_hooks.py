"""What the native module calls back into Python for: completing asyncio
futures, and the process hooks for fork() and interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
from typing import Any, Optional

#: How long, in seconds, the producers still open at interpreter exit may
#: take, together, to deliver what they hold.
EXIT_TIMEOUT = 10.0

logger = logging.getLogger("eventbus")


def settle(future: "asyncio.Future[Any]", result: Any, error: Optional[BaseException]) -> None:
    """Completes ``future`` on its event loop's thread, unless it was cancelled."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def close_open_producers() -> None:
    """Closes the producers still open at exit, and logs what they could not
    deliver; then stops the thread that forwards the core's logs, which must
    not outlive the interpreter."""
    from . import _native

    try:
        for failure in _native._close_open_producers(EXIT_TIMEOUT):
            logger.error("at interpreter exit: %s", failure)
    finally:
        _native._shut_down_dispatch()


def install() -> None:
    """Registers the fork and exit hooks; run once, when the package is imported."""
    from . import _native

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_native.after_fork_in_child)
    atexit.register(close_open_producers)
