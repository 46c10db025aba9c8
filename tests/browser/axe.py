"""axe-core in the browser tests: the project installs a pinned axe-core itself (npm, into var/npm,
which is git-ignored) and `axe_check(page)` fails on serious or critical violations.

A fresh clone gets axe-core the first time the browser tests run; without npm the checks skip,
saying why.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest

# Pinned: a new axe-core release adds rules, and a rule must not turn the suite red by itself.
AXE_VERSION = "4.14.1"
NPM_PREFIX = Path(__file__).resolve().parents[2] / "var" / "npm"
AXE_JS = NPM_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_source() -> str:
    """The text of axe.min.js, installing the pinned version when it is missing (or another one is).
    The suite's two test processes may both want it first: one installs, the other waits."""
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    with open(NPM_PREFIX / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _axe_installed()


def _axe_installed() -> str:
    package = AXE_JS.parent / "package.json"
    if AXE_JS.exists() and f'"version": "{AXE_VERSION}"' in package.read_text():
        return AXE_JS.read_text()
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed, so axe-core {AXE_VERSION} cannot be installed into {NPM_PREFIX}.")
    result = subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(NPM_PREFIX), f"axe-core@{AXE_VERSION}"],
        capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0 or not AXE_JS.exists():
        pytest.skip(f"npm could not install axe-core {AXE_VERSION}: {result.stderr.strip()[-500:]}")
    return AXE_JS.read_text()


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def axe_violations(page, source: str) -> list[dict]:
    """Runs axe on the page as it is now and returns its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Injected through the DevTools protocol rather than a <script> element: the pages' CSP
        # allows only nonce-tagged scripts, and this way it needs no bypass_csp on the context.
        page.evaluate(source)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,"
        " nodes: v.nodes.map(n => ({target: n.target.map(String), failureSummary: n.failureSummary || ''}))})); }"
    )
    return [violation for violation in result if violation["impact"] in BLOCKING_IMPACTS]


def axe_check(page, source: str | None = None) -> None:
    """Fails the test when the page has serious or critical accessibility violations, listing them."""
    violations = axe_violations(page, source or axe_source())
    assert not violations, f"axe-core found on {page.url}:\n{format_violations(violations)}"
