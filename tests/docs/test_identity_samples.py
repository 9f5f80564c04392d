"""The Python samples of docs/identity.md run as pasted against ``harness serve --tls
--strict-auth --ready-file ready.json`` (started here, in the folder the samples run in)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.identity.conftest import start_serve, stop, subprocess_env

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "identity.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_samples() -> list[tuple[str, str]]:
    text = PAGE.read_text(encoding="utf-8")
    return [
        (f"identity.md:{text.count(chr(10), 0, m.start()) + 1}", m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == "python"
    ]


SAMPLES = python_samples()


def test_the_page_has_its_three_samples() -> None:
    texts = [text for _, text in SAMPLES]
    assert len(texts) == 3
    assert "ClientSecretCredential" in texts[0] and "GraphServiceClient" in texts[0]
    assert "acquire_token_for_client" in texts[1]
    assert "httpx" in texts[2] and "ca_bundle" in texts[2]
    assert "harness serve --tls --strict-auth --ready-file ready.json" in PAGE.read_text()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("identity-samples")
    process, info = start_serve(folder, "--tls", "--strict-auth")
    info["folder"] = str(folder)
    try:
        yield info
    finally:
        stop(process)


@pytest.mark.parametrize(("where", "text"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_the_sample_runs_as_pasted(served: dict[str, Any], where: str, text: str) -> None:
    folder = Path(served["folder"])
    script = folder / "sample.py"
    script.write_text(text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"{where}\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
    if "GraphServiceClient" in text:
        assert "'Miro'" in run.stdout and " users" in run.stdout
    if "acquire_token_for_client" in text:
        assert run.stdout.startswith("200 ")
    if "not-the-secret" in text:
        assert "401 [7000215]" in run.stdout
