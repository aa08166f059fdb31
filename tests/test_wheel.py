"""`pip install .` (not editable) into a fresh venv gives a working `kg build`.

This is the install a user does; it catches templates or assets left out of the wheel.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_builds_the_sample_wiki(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    wheels = list(dist.glob("kg-*.whl"))
    assert len(wheels) == 1

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheels[0])], check=True)

    # Run from an unrelated folder so nothing can come from the source checkout.
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = tmp_path / "site"
    result = subprocess.run(
        [str(env_dir / "bin" / "kg"), "build", "--wiki", str(ROOT / "wiki"), "--out", str(out)],
        cwd=work, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Built 12 notes" in result.stdout
    installed = subprocess.run(
        [str(python), "-c", "import kg, pathlib; print(pathlib.Path(kg.__file__).parent)"],
        cwd=work, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert "site-packages" in installed, "kg must come from the wheel, not the checkout"
    assert (Path(installed) / "templates" / "note.html").is_file()
    page = (out / "notes" / "import-ai-455.html").read_text(encoding="utf-8")
    assert "Defense Trilemma" in page
    assert (out / "assets" / "style.css").is_file()
    assert (out / "graph.ttl").is_file()
