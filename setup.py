"""Only the native extension: every other piece of metadata is in pyproject.toml.

The extension is optional: without a C compiler the package installs without it and
flowinsight.read.native reports the decoder as unavailable (the reader's Python path is used).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "flowinsight.read._taskline",
            ["flowinsight/read/_taskline.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "flowinsight.pipeline._sweep",
            ["flowinsight/pipeline/_sweep.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "flowinsight.pipeline._records",
            ["flowinsight/pipeline/_records.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
    ]
)
