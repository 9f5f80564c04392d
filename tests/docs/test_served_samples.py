"""The samples in README.md and docs/serve.md that talk to ``harness serve`` run as pasted.

Every ``sh`` and ``python`` block of those pages that mentions ``harness serve`` or the ready
file is taken from the page and run unchanged: shell sessions with bash (they start their own
server), Python samples against a server this test starts the way the page says
(``harness serve --ready-file ready.json``). A Python block that begins ``# continues the
sample above`` runs after the block before it, in the same process. The README's "In your own
project's tests" test runs with pytest in a project folder of its own.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", ROOT / "docs" / "serve.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
CONTINUES = "# continues the sample above"
BIN = Path(sys.executable).parent  # harness, installed beside this Python
TIMEOUT = 180


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """(language, text, line) of every fenced block of a page."""
    text = page.read_text(encoding="utf-8")
    return [
        (m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)
    ]


def talks_to_serve(text: str) -> bool:
    return "ready.json" in text or "harness serve" in text


def is_container(text: str) -> bool:
    commands = [line for line in text.splitlines() if line.strip() and not line.startswith(" ")]
    return all(line.startswith("docker") for line in commands)


def samples() -> list[tuple[str, str, str, str]]:
    """(id, language, text, the text run before it) of every sample that talks to the server."""
    out = []
    for page in PAGES:
        previous = ""
        for language, text, line in blocks(page):
            if language not in ("sh", "python") or not talks_to_serve(text):
                if language == "python":
                    previous = text
                continue
            if is_container(text):
                continue  # Docker's own commands: the container backend has its tests
            before = previous if text.startswith(CONTINUES) else ""
            out.append((f"{page.name}:{line}", language, text, before))
            if language == "python":
                previous = text
    return out


SAMPLES = samples()


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_the_pages_samples_are_found() -> None:
    found = {(s[0].split(":")[0], s[1]) for s in SAMPLES}
    assert found == {("README.md", "sh"), ("serve.md", "sh"), ("serve.md", "python")}
    assert len([s for s in SAMPLES if s[0].startswith("serve.md") and s[1] == "python"]) == 4
    # A transcript ("$ command" and its output) cannot be pasted: none may talk to the server.
    for page in PAGES:
        for language, text, line in blocks(page):
            assert not (language == "console" and talks_to_serve(text)), f"{page.name}:{line}"


def _wait_for(path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.stat().st_size):
        assert process.poll() is None, "harness serve stopped before writing its ready file"
        assert time.monotonic() < deadline, "no ready file after 60 s"
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Path]:
    """``harness serve --ready-file ready.json`` in a folder of its own, stopped with Ctrl-C."""
    process = subprocess.Popen(
        ["harness", "serve", "--ready-file", "ready.json"],
        cwd=tmp_path,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(tmp_path / "ready.json", process)
        yield tmp_path
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and b"Traceback" not in stderr, stderr.decode()[-2000:]
    assert not (tmp_path / "ready.json").exists()


def _check(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run.stdout


@pytest.mark.parametrize(
    ("where", "text"),
    [(s[0], s[2]) for s in SAMPLES if s[1] == "sh"],
    ids=[s[0] for s in SAMPLES if s[1] == "sh"],
)
def test_a_shell_sample_runs_as_pasted(where: str, text: str, tmp_path: Path) -> None:
    if text.strip() == "harness serve --ready-file ready.json":
        # The one-line start: it runs until Ctrl-C (the fixture does just this).
        process = subprocess.Popen(
            ["bash", "-c", text], cwd=tmp_path, env=env(), stdout=subprocess.PIPE
        )
        _wait_for(tmp_path / "ready.json", process)
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=60)
        assert process.returncode == 0 and b"Graph fake:  http://127.0.0.1:" in stdout
        return
    script = tmp_path / "session.sh"
    script.write_text(text, encoding="utf-8")
    out = _check(
        subprocess.run(
            ["bash", "-e", str(script)],
            cwd=tmp_path,
            env=env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    )
    assert '"userPrincipalName"' in out
    if "_fake/clock" in text:  # the long session: the cycle ran and Miro got its users
        assert '"type":"initial"' in out.replace(" ", "")
        # Before the first cycle Miro holds only the SCIM token's owner; after it, more.
        assert '"totalResults":1,' in out.replace(" ", "")
        assert re.search(r'"totalResults":\s*([2-9]|[1-9][0-9])', out)
    assert not (tmp_path / "ready.json").exists()  # stopped cleanly: the ready file went


@pytest.mark.parametrize(
    ("where", "text", "before"),
    [(s[0], s[2], s[3]) for s in SAMPLES if s[1] == "python"],
    ids=[s[0] for s in SAMPLES if s[1] == "python"],
)
def test_a_python_sample_runs_against_a_served_harness(
    where: str, text: str, before: str, served: Path
) -> None:
    sample = served / "sample.py"
    sample.write_text(before + "\n" + text if before else text, encoding="utf-8")
    out = _check(
        subprocess.run(
            [sys.executable, str(sample)],
            cwd=served,
            env=env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    )
    assert out.strip(), "the sample printed nothing"
    if "RemoteLab" in text:
        assert "True" in out.splitlines()[1]
    if "SyncSCIMClient" in text:
        total, user_name = out.splitlines()[0].split(" ", 1)
        assert int(total) > 0 and "@" in user_name
    if text.startswith(CONTINUES):
        assert "seen at once: 429" in out


def test_the_readme_test_for_another_project_runs(tmp_path: Path) -> None:
    (text,) = [
        t
        for language, t, _ in blocks(ROOT / "README.md")
        if language == "python" and "def test_a_new_hire_reaches_miro" in t
    ]
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_miro_provisioning.py").write_text(text, encoding="utf-8")
    out = _check(
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            cwd=tmp_path,
            env=env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    )
    assert "1 passed" in out
