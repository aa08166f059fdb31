"""Docs are tested against the code: every command and option has help, every command is in
the README's "Commands" section, and ``kg --help`` loads no heavy library."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import ctrl_c_when_ready

import kg
from kg.cli import main

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
COMMANDS = sorted(main.commands)
HEAVY = ("yaml", "rdflib", "networkx", "jinja2", "pyvis", "pyoxigraph", "markdown_it",
         "oxrdflib", "kg.parse", "kg.rdf", "kg.site")


def test_the_query_and_authoring_commands_exist() -> None:
    assert set(COMMANDS) >= {"init", "new", "import", "build", "check", "connections",
                             "neighbors", "path", "questions", "forecasts", "sparql", "stats",
                             "export"}


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help(name: str) -> None:
    command = main.commands[name]
    assert command.help and command.help.strip(), f"kg {name} has no help text"
    assert command.get_short_help_str().strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"kg {name} {param.opts[0]} has no help text"
    result = CliRunner().invoke(main, [name, "--help"], prog_name="kg")
    assert result.exit_code == 0 and "Usage: kg " + name in result.output


def _commands_section() -> str | None:
    if not README.is_file():
        return None
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Commands[^\n]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else None


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_is_in_the_readme(name: str) -> None:
    section = _commands_section()
    if section is None:
        pytest.skip('README.md has no "## Commands" section yet')
    assert re.search(rf"\bkg {re.escape(name)}\b", section), \
        f'`kg {name}` is missing from the "## Commands" section of README.md'


def test_help_imports_no_heavy_library() -> None:
    script = (
        "import sys\n"
        "from kg.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED', sorted(m for m in sys.modules if m in {HEAVY!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert "LOADED []" in out, out


def test_an_unknown_relation_names_a_command_that_lists_them(write_wiki) -> None:  # type: ignore[no-untyped-def]
    config = write_wiki({"a.md": "---\ntitle: A\nconnections:\n  - to: b\n    rel: qqqq\n---\n"})
    result = CliRunner().invoke(main, ["check", "--wiki", str(config.wiki)], prog_name="kg")
    assert result.exit_code == 1 and "a.md:5" in result.output
    named = re.search(r"`kg (\w+)`", result.output)
    assert named is not None, result.output
    listed = CliRunner().invoke(main, [named.group(1)], prog_name="kg")
    assert listed.exit_code == 0
    assert {"related", "extends", "counterpoint", "supports"} <= set(listed.output.split())


def _kg_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``kg`` as the installed command runs it (:func:`kg.cli.run`), in a process of its own."""
    return subprocess.run([sys.executable, "-c", "from kg.cli import run; run()", *args],
                          capture_output=True, text=True, env=env)


def test_the_command_leaves_as_python_would_without_tearing_down(write_wiki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The exit code is the command's, the output all there (through a pipe, buffered), and
    the atexit handlers ran: the N-Triples an export wrote to a temporary file are gone."""

    config = write_wiki({"a.md": "---\ntitle: A\nconnections: [b]\n---\nSee [[b]].\n",
                         "b.md": "---\ntitle: B\n---\nText.\n"})
    temp = tmp_path / "tmp"
    temp.mkdir()
    (config.root / ".kg").write_text("not a folder: no cache, so the triples go to TMPDIR\n")
    env = {**os.environ, "TMPDIR": str(temp)}
    exported = _kg_process("export", "--format", "ttl", "--wiki", str(config.wiki), env=env)
    assert exported.returncode == 0, exported.stderr
    in_process = CliRunner().invoke(main, ["export", "--format", "ttl", "--wiki",
                                           str(config.wiki)])
    assert exported.stdout == in_process.output and exported.stdout.count("\n") > 10
    assert list(temp.iterdir()) == []
    missing = _kg_process("connections", "nowhere", "--wiki", str(config.wiki))
    assert missing.returncode == 1 and "nowhere" in missing.stderr
    usage = _kg_process("connections")
    assert usage.returncode == 2 and "Missing argument" in usage.stderr
    assert _kg_process("--version").returncode == 0


@pytest.mark.skipif(os.name != "posix", reason="a shell's >&-")
@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-"])
def test_the_command_with_a_closed_output_exits_as_its_command(write_wiki, closed: str) -> None:  # type: ignore[no-untyped-def]
    """Run with standard output or error closed (``kg build 2>&-``, a daemon's job), Python
    has no ``sys.stdout`` or ``sys.stderr`` (None): flushing it at exit had raised, so a
    build that had written its site exited 1 with a traceback."""
    config = write_wiki({"a.md": "---\ntitle: A\n---\nText.\n"})
    line = (f"{shlex.quote(sys.executable)} -c 'from kg.cli import run; run()' build "
            f"--wiki {shlex.quote(str(config.wiki))} -q {closed}")
    env = {**os.environ, "PYTHONPATH": str(Path(kg.__file__).parents[1]), "KG_JOBS": "2"}
    done = subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert (config.out / "notes" / "a.html").is_file()
    # an edit's build, whose cache a forked child writes (it flushes the output first)
    write_wiki({"a.md": "---\ntitle: A\n---\nText, edited.\n"})
    done = subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert "edited" in (config.out / "notes" / "a.html").read_text(encoding="utf-8")


def test_an_edit_s_build_with_sigchld_ignored_writes_its_cache(write_wiki) -> None:  # type: ignore[no-untyped-def]
    """Started by a program that ignores SIGCHLD, kg's children are reaped by the system:
    waiting for the one that writes the cache found none, and the build ended in a
    traceback after its site was in place. Now what the child wrote is read, checked."""
    config = write_wiki({"a.md": "---\ntitle: A\n---\nSee [[b]].\n",
                         "b.md": "---\ntitle: B\n---\nText.\n"})
    script = ("import signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
              "from kg.cli import run; sys.argv = ['kg'] + sys.argv[1:]; run()")
    env = {**os.environ, "PYTHONPATH": str(Path(kg.__file__).parents[1]), "KG_JOBS": "2"}
    command = [sys.executable, "-c", script, "build", "--wiki", str(config.wiki), "-q"]
    assert subprocess.run(command, capture_output=True, text=True, env=env).returncode == 0
    write_wiki({"a.md": "---\ntitle: A\n---\nSee [[b]], edited.\n"})
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    listed = _kg_process("connections", "a", "--wiki", str(config.wiki), env=env)
    assert listed.returncode == 0 and "b" in listed.stdout


CTRL_C_BUILD = """
import os, sys, time
from pathlib import Path
import kg.incremental

ready = Path(sys.argv[1]) / "ready"
real_run = kg.incremental.Emitter.run

def run(self, task):  # the build has begun: it waits here for Ctrl-C
    if not ready.exists():
        ready.touch()
        time.sleep(60)
    return real_run(self, task)

kg.incremental.Emitter.run = run
from kg.cli import run as kg
sys.argv = ["kg", "build", "--wiki", str(Path(sys.argv[1]) / "wiki"), "-q"]
kg()
"""


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_ctrl_c_ends_the_command_with_130(tmp_path: Path) -> None:
    """As a shell reports a command Ctrl-C stopped (128 + SIGINT), saying it stopped."""

    (tmp_path / "wiki").mkdir()
    (tmp_path / "wiki" / "a.md").write_text("---\ntitle: A\n---\nText.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(kg.__file__).parents[1]), "KG_JOBS": "1"}
    code, err = ctrl_c_when_ready(CTRL_C_BUILD, str(tmp_path), ready=tmp_path / "ready",
                                  env=env)
    assert code == 130, err
    assert "Aborted!" in err and "Traceback" not in err


def _readme() -> str:
    if not README.is_file():
        pytest.skip("no README.md")
    return README.read_text(encoding="utf-8")


def _long_options(name: str) -> set[str]:
    return {opt for param in main.commands[name].params if isinstance(param, click.Option)
            for opt in param.opts if opt.startswith("--") and opt != "--help"}


def test_the_commands_table_names_real_options_and_the_readme_names_every_option() -> None:
    """An option in a row of the table is one the command has; an option a command has is
    named somewhere in the README; and the sentence on `--wiki` names the commands without
    it."""
    text, section = _readme(), _commands_section()
    assert section is not None
    rows = re.findall(r"^\| `kg (\w+)([^`]*)`", section, re.MULTILINE)
    assert {name for name, _ in rows} == set(COMMANDS)
    for name, usage in rows:
        named = set(re.findall(r"--[a-z][a-z-]*", usage))
        assert named <= _long_options(name), f"kg {name}: {named - _long_options(name)}"
    for name in COMMANDS:
        for option in sorted(_long_options(name)):
            assert option in text, f"kg {name} {option} is named nowhere in README.md"
    said = re.search(r"Every command but `kg (\w+)` and `kg (\w+)` takes `--wiki DIR`",
                     section)
    assert said is not None
    assert set(said.groups()) == {name for name in COMMANDS
                                  if "--wiki" not in _long_options(name)}


def test_the_readme_lists_every_finding_code() -> None:
    from kg.errors import CODES

    text = _readme()
    start, end = text.index("Errors, what stops a build"), text.index("A vault's file names")
    assert set(re.findall(r"`([a-z]+(?:-[a-z]+)*)`", text[start:end])) == set(CODES)


def test_the_settings_example_loads_and_names_every_setting(tmp_path: Path) -> None:
    from kg.config import load_config
    from kg.errors import ConfigError

    text = _readme()
    section = text[text.index("## Settings (`kg.toml`)"):]
    example = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    (tmp_path / "wiki").mkdir()
    (tmp_path / "theme").mkdir()  # the folder its `templates` names
    (tmp_path / "kg.toml").write_text(example.group(1), encoding="utf-8")
    load_config(tmp_path)
    (tmp_path / "kg.toml").write_text("[kg]\nno_such_setting = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    known = raised.value.hint.split("known settings: ")[1].split(", ")
    missing = [key for key in known if not re.search(rf"^{key}\b|^\[kg\.{key}\]",
                                                     example.group(1), re.MULTILINE)]
    assert not missing, f"the README's kg.toml example lacks {missing}"


def _sample(tmp_path: Path) -> Path:
    """A copy of the sample wiki as it is in the checkout: kg.toml, wiki/ and templates/."""
    import shutil

    shutil.copy(REPO / "kg.toml", tmp_path / "kg.toml")
    for folder in ("wiki", "templates"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_the_python_example_runs_on_the_sample_wiki(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    text = _readme()
    example = re.search(r"From Python:\n\n```python\n(.*?)```", text, re.DOTALL)
    assert example is not None
    monkeypatch.chdir(_sample(tmp_path))
    names: dict[str, Any] = {}
    exec(example.group(1), names)  # the README's own example
    assert len(names["graph"]) > 100
    assert names["nxg"].number_of_nodes() == 18


def test_the_build_and_connections_examples_print_what_the_readme_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample wiki's three builds (first, a TL;DR edited, nothing changed) and the rows
    of `kg connections import-ai-455 --no-mentions`, as "The four jobs" shows them."""
    text = _readme()
    root = _sample(tmp_path)
    monkeypatch.chdir(root)
    shown = re.findall(r"^(Built .*?) in [\d.]+s$", text, re.MULTILINE)[:3]
    assert len(shown) == 3
    ahe = root / "wiki" / "ahe.md"
    printed = []
    for step in range(3):
        if step == 1:
            body = ahe.read_text(encoding="utf-8")
            ahe.write_text(body.replace("## TL;DR\n", "## TL;DR\nEdited. ", 1), encoding="utf-8")
        result = CliRunner().invoke(main, ["build", "-q"], prog_name="kg")
        assert result.exit_code == 0, result.output
        printed.append(re.sub(r" in [\d.]+s\n$", "", result.stdout))
    assert printed == shown
    example = re.search(r"^\$ kg connections import-ai-455 --no-mentions\n(.*?)^\$ ", text,
                        re.MULTILINE | re.DOTALL)
    assert example is not None
    shown_rows = example.group(1).splitlines()
    first = shown_rows.index("…")  # the rows above it are the first ones, then some below
    rows = [row.rstrip("… ") for row in shown_rows if row != "…"]
    result = CliRunner().invoke(main, ["connections", "import-ai-455", "--no-mentions"],
                                prog_name="kg")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = [next((n for n, line in enumerate(lines) if line.startswith(row)), None)
          for row in rows]
    assert None not in at and at == sorted(at), (rows, lines)
    assert at[:first] == list(range(first)), (rows, lines)


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation but hyphens dropped, spaces → '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_s_links_within_it_name_its_headings() -> None:
    text = re.sub(r"```.*?```", "", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert len(links) >= 12, "the contents line is gone"
    assert [link for link in links if link not in anchors] == []
