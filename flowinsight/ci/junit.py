"""The outcomes of `flowinsight check` as a JUnit XML report: one test case per rule, a
`failure` element for a broken one. Built with xml.etree, so every string is escaped; control
characters, which XML 1.0 cannot hold at all, are removed first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable

from flowinsight.ci.evaluate import Outcome
from flowinsight.render.text import strip_control

SUITE = "flowinsight.check"


def _clean(text: str) -> str:
    # XML 1.0 also forbids lone surrogates and U+FFFE/U+FFFF.
    return "".join(ch for ch in strip_control(text)
                   if ch in "\t\n\r" or (ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF
                                         and ch not in "\ufffe\uffff"))


def junit_xml(outcomes: Iterable[Outcome], properties: dict[str, str] | None = None) -> bytes:
    cases = list(outcomes)
    failures = sum(1 for o in cases if not o.ok)
    suites = ET.Element("testsuites", name=SUITE, tests=str(len(cases)),
                        failures=str(failures), errors="0")
    suite = ET.SubElement(suites, "testsuite", name=SUITE, tests=str(len(cases)),
                          failures=str(failures), errors="0", skipped="0")
    if properties:
        props = ET.SubElement(suite, "properties")
        for name, value in sorted(properties.items()):
            ET.SubElement(props, "property", name=_clean(name), value=_clean(value))
    for o in cases:
        case = ET.SubElement(suite, "testcase", classname=SUITE, name=_clean(o.rule))
        if o.ok:
            ET.SubElement(case, "system-out").text = _clean(o.message)
        else:
            failure = ET.SubElement(case, "failure", message=_clean(o.message), type="RuleBroken")
            failure.text = _clean(o.message)
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
