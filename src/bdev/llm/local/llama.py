"""Opening a GGUF file with llama-cpp-python, working around what crashes on some CPUs.

On CPUs with Intel AMX (seen here on a Xeon with `amx_tile`/`amx_int8`, llama-cpp-python
0.3.36), llama.cpp repacks Q4_K weights into its AMX buffer type and the first decode
dies with a segmentation fault. llama.cpp's model parameters can turn those "extra
buffer types" off (`use_extra_bufts`), but `Llama()` offers no argument for it, so the
default parameters it starts from are swapped for the duration of the constructor.
Plain CPU buffers are what MODEL.md's figures were measured with.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

_patch_lock = threading.Lock()


def cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " amx_tile" in line for line in f)
    except OSError:
        return False


def open_llama(path: Path, *, extra_buffer_types: bool | None = None, **kwargs: Any) -> Any:
    """`llama_cpp.Llama(model_path=path, **kwargs)`, with extra buffer types off on AMX CPUs.

    `extra_buffer_types=None` decides from the CPU; pass True/False to force it.
    """
    import llama_cpp
    import llama_cpp.llama as llama_module

    if extra_buffer_types is None:
        extra_buffer_types = not cpu_has_amx()
    if extra_buffer_types:
        return llama_cpp.Llama(model_path=str(path), **kwargs)

    original = llama_module.llama_cpp.llama_model_default_params

    def without_extra_bufts() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    with _patch_lock:
        llama_module.llama_cpp.llama_model_default_params = without_extra_bufts
        try:
            return llama_cpp.Llama(model_path=str(path), **kwargs)
        finally:
            llama_module.llama_cpp.llama_model_default_params = original
