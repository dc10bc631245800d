"""Shared fixtures for system tests: they run the real binaries built by
`make check` (REMPART_BUILD points at that build directory)."""
import os
import pathlib

import pytest


@pytest.fixture(scope="session")
def build_dir():
    d = os.environ.get("REMPART_BUILD")
    if not d:
        d = pathlib.Path(__file__).resolve().parents[2] / "build" / "check"
    return pathlib.Path(d)


@pytest.fixture(scope="session")
def rempartd(build_dir):
    exe = build_dir / "src" / "main" / "rempartd"
    assert exe.is_file(), f"{exe} not built"
    return exe
