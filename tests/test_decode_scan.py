"""The decoder's skipping of values it does not read, held to the Python path where it takes
shortcuts.

A long object or array skipped under a key is remembered, and the same bytes under that key in
a later line are passed over without being parsed again (json_scan.c: ft_skip_member). What the
decoder accepts must not change: the same value in line after line, the value changed at each
byte, the value cut short by the end of the line, other content after it, and the same value
starting deeper (the nesting limit, MAX_DEPTH = 64, counts from where it starts).
"""

from __future__ import annotations

import orjson
import pytest

from test_native import check
from test_decode_ids_states import batch_matches
from flowinsight.read import native

if native.decode_task_line is None or native.decode_buffer_batches is None:
    pytest.skip("the native decoder is off", allow_module_level=True)

ENV = ('{"runtime_env_config":{"eager_install":true,"log_files":[],"setup_timeout_seconds":600},'
       '"serialized_runtime_env":"{}","uris":{"py_modules_uris":[],"working_dir_uri":""}}')


def line_with(env: str, tail: str = "", extra_top: str = "") -> bytes:
    """A task_info line of the usual shape, `env` as its runtime_env_info's JSON text."""
    return (
        '{%s"event_data":{"attempt_number":0,"job_id":"AQAAAA==",'
        '"state_updates":{"state_ts_ns":{"1":"1795312159549560950"}},'
        '"task_id":"A3llQBZdaCz///////////////8BAAAA","task_info":{"func_or_class_name":"mid",'
        '"label_selector":{},"labels":{},"language":"PYTHON",'
        '"parent_task_id":"//////////////////////////8BAAAA","required_resources":{"CPU":1},'
        '"runtime_env_info":%s%s,"type":"NORMAL_TASK"}},'
        '"event_id":"2df4bce38bf60f58afea15364479770957bd000001","source_type":"EXPORT_TASK",'
        '"timestamp":1795312160}' % (extra_top, env, tail)).encode()


def test_the_same_value_line_after_line() -> None:
    line = line_with(ENV)
    for _ in range(4):
        assert check(line)
    batch_matches([line] * 5 + [line_with(ENV.replace("600", "601"))] + [line] * 3)


def test_the_value_changed_at_each_byte() -> None:
    """Each byte of the remembered value replaced by bytes that break it or keep it valid, the
    remembered line read between the changed ones: each answer is the Python path's."""
    line = line_with(ENV)
    for at in range(len(ENV)):
        for byte in ('"', "\\", "}", "]", "x", "0", " ", "\x00", "\x1f", "\u00e9", ","):
            changed = line_with(ENV[:at] + byte + ENV[at + 1:])
            assert check(line)
            check(changed)
        assert check(line)
        check(line_with(ENV[:at]))  # cut short


def test_other_content_after_the_value() -> None:
    line = line_with(ENV)
    assert check(line)
    for tail in (",", " ", "}", "]", "1", '"', ',"x":1', ' ,"x":[]'):
        changed = line_with(ENV, tail)
        assert check(changed) == (python_reads(changed)), changed
        assert check(line)


def test_the_value_at_the_end_of_a_cut_line() -> None:
    line = line_with(ENV)
    assert check(line)
    cut = line[:line.index(b'"runtime_env_info":') + len('"runtime_env_info":') + len(ENV)]
    for end in range(len(cut) - len(ENV) - 2, len(cut) + 1):
        assert native.decode_task_line(cut[:end]) is None
        assert check(line)


def test_the_nesting_limit_counts_from_where_the_value_starts() -> None:
    """A value nested 62 deep is remembered at the top level (depth 1: 63 in all); the same
    value in task_info (depth 3: 65 in all) passes the decoder's limit, so it declines the
    line, as when the value was never seen (the Python path still reads it). The top line's
    own runtime_env_info is too short to be remembered in its place."""
    deep = "[" * 31 + '{"a":' * 31 + "1" + "}" * 31 + "]" * 31
    top = line_with("{}", extra_top='"runtime_env_info":%s,' % deep)
    inner = line_with(deep)
    assert orjson.loads(top) and orjson.loads(inner)
    for _ in range(2):
        assert check(top)
        assert native.decode_task_line(inner) is None
    # 61 deep: within the limit at both depths
    ok = "[" * 30 + '{"a":' * 31 + "1" + "}" * 31 + "]" * 30
    assert check(line_with("{}", extra_top='"runtime_env_info":%s,' % ok))
    assert check(line_with(ok))
    assert check(line_with(ok))


def python_reads(line: bytes) -> bool:
    from test_native import python_path
    return python_path(line) is not None
