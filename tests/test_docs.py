"""The documentation: README.md and the MkDocs site in docs/ (mkdocs.yml).

- every ``atv ...`` command in the pages' shell code blocks (and in inline code that is a whole command) is
  accepted by the CLI's own parser, without running it;
- every claim id the pages name is a current one (old prefixes only in the README's table of renamed ids);
- the README shows examples/test_meanfield_bounds.py verbatim, keeps the set-up commands, stays short, and its
  test command is the line .ci/run runs;
- ``mkdocs build --strict`` passes (skipped where MkDocs is not installed, except in CI, which installs the
  ``docs`` extra).
"""
from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import typer

try:  # typer >= 0.25 carries its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer on the installed click
    from click import exceptions as click_exceptions

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
EXAMPLE = ROOT / "examples" / "test_meanfield_bounds.py"
MAX_README_LINES = 210

#: fenced blocks whose lines are shell commands (``console``: only the lines after a ``$ `` prompt)
SHELL = {"bash", "sh", "shell", "console"}
#: fenced blocks that hold no command to check (output, synopses with [optional] parts, code, files)
NOT_SHELL = {"text", "python", "toml", "json", "yaml"}
SEPARATORS = {"&&", "||", ";", "|", "&"}
PREFIXES = {"time", "nice", "env", "command", "exec"}
#: a shell variable or command substitution stands for a value; "1" parses as any option's value
VARIABLE = re.compile(r"\$\([^)]*\)|\$\{\w+\}|\$\w+")
REDIRECTION = re.compile(r"\s\d*(?:>>?|<)&?\s*\S+")
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def page_name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the opening fence
    language: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def blocks_in(text: str, page: str) -> list[Block]:
    """The fenced code blocks of a page's text (fences may be indented inside a list), their lines dedented."""
    found, opened, language, body, indent = [], None, "", [], 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if opened is None and stripped.startswith("```"):
            opened, language, body = number, stripped[3:].strip().split(" ")[0], []
            indent = len(line) - len(line.lstrip())
        elif opened is not None and stripped == "```":
            found.append(Block(page, opened, language, tuple(body)))
            opened = None
        elif opened is not None:
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
    assert opened is None, f"{page}:{opened}: a code block is never closed"
    return found


def blocks(path: Path) -> list[Block]:
    return blocks_in(path.read_text(), page_name(path))


def prose(path: Path) -> str:
    """A page without its fenced code blocks."""
    kept, inside = [], False
    for line in path.read_text().splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def command_lines(block: Block) -> list[str]:
    """The shell command lines of a block: every line of a bash/sh block (continuations joined, comments and
    blank lines dropped), or, in a console block, the lines after a ``$ `` prompt (the rest is output)."""
    prompted = block.language == "console" or any(line.startswith("$ ") for line in block.lines)
    commands, pending = [], ""
    for line in block.lines:
        if prompted and not pending:
            if not line.startswith("$ "):
                continue  # output
            line = line[2:]
        pending += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            if pending.strip() and not pending.lstrip().startswith("#"):
                commands.append(pending.strip())
            pending = ""
    return commands


def atv_invocations(command: str) -> list[list[str]]:
    """The argument lists of every ``atv`` in a shell command line: split at ``&&``, ``||``, ``;``, ``|`` and
    ``&``, with redirections, comments, environment assignments and prefixes such as ``time`` dropped and each
    ``$VAR`` or ``$(...)`` standing for a value."""
    text = REDIRECTION.sub(" ", " " + VARIABLE.sub("1", command))
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;")
    lexer.whitespace_split = True
    segments, current = [], []
    for token in lexer:
        if token in SEPARATORS:
            segments.append(current)
            current = []
        else:
            current.append(token)
    segments.append(current)
    found = []
    for words in segments:
        while words and (ASSIGNMENT.match(words[0]) or words[0] in PREFIXES):
            words = words[1:]
        if words and words[0] == "atv":
            found.append(words[1:])
    return found


def inline_commands(path: Path) -> list[str]:
    """Inline code in a page's prose that is a whole ``atv`` command (a synopsis with [optional] parts,
    alternatives or "..." is not)."""
    spans = re.findall(r"`([^`]+)`", prose(path))
    commands = [" ".join(span.split()) for span in spans]
    return [c for c in commands if c.startswith("atv ") and not re.search(r"[\[\]{}|…<>]|\.\.\.", c)]


def every_command() -> list[tuple[str, str]]:
    found = []
    for path in PAGES:
        for block in blocks(path):
            if block.language in SHELL:
                found += [(f"{block.page}:{block.line}", line) for line in command_lines(block)]
        found += [(f"{page_name(path)} (inline)", command) for command in inline_commands(path)]
    return found


@lru_cache(maxsize=None)
def cli():
    from verify.cli import app

    return typer.main.get_command(app)


def parse(arguments: list[str]) -> None:
    """Parse ``atv ARGUMENTS`` with the CLI's own click objects, running nothing: a UsageError (or BadParameter)
    if the parser refuses it.  ``--help`` and ``--version`` exit early, which counts as accepted."""
    group = cli()
    try:
        if not arguments or arguments[0].startswith("-"):
            group.make_context("atv", list(arguments))
            return
        name, rest = arguments[0], arguments[1:]
        if name not in group.commands:
            raise click_exceptions.UsageError(f"no such command {name!r} (commands: {', '.join(group.commands)})")
        group.commands[name].make_context(name, list(rest))
    except typer.Exit as done:  # --help, --version
        assert done.exit_code == 0


# ---------------------------------------------------------------------------------------------------------------
# (a) the commands


def test_the_pages_show_commands_to_check():
    commands = every_command()
    checked = [args for _, line in commands for args in atv_invocations(line)]
    assert len(checked) >= 40, "the command extraction found suspiciously few atv commands"
    assert {args[0] for args in checked if args} >= {"run", "claims", "latex", "check-bound", "bench"}


def test_every_code_block_names_its_language():
    # the command check tells commands from output by the block's language: a block without one would be skipped
    unnamed = [f"{block.page}:{block.line}" for path in PAGES for block in blocks(path) if not block.language]
    assert not unnamed, f"code blocks without a language (```bash, ```text, ...): {unnamed}"
    unknown = {block.language for path in PAGES for block in blocks(path)} - SHELL - NOT_SHELL
    assert not unknown, f"code block languages the command check does not know: {unknown}"


@pytest.mark.parametrize("where, command", every_command(), ids=lambda value: value if len(value) < 60 else None)
def test_every_atv_command_in_the_docs_is_accepted_by_the_parser(where, command):
    for arguments in atv_invocations(command):
        try:
            parse(arguments)
        except click_exceptions.UsageError as err:
            pytest.fail(f"{where}: `{command}` is refused by atv's parser: {err.format_message()}")


def test_the_parse_check_refuses_what_atv_refuses():
    for bad in (["run", "--quantity", "x"], ["check-bound", "--examples", "0"], ["nosuch"], ["run", "--threads"],
                ["--nope"], ["bench", "extra"]):
        with pytest.raises(click_exceptions.UsageError):
            parse(bad)
    parse(["run", "--profile", "quick", "--set", "N=256", "--no-figures"])
    parse(["--version"])


def test_shell_lines_are_split_into_atv_invocations():
    line = ("pip install torch==2.13.0 && ATV_PAPERS=/x time atv run --out \"$OUT\" --seed $SEED 2>&1 | tee log; "
            "atv latex --results $(ls -d out)/results.json # comment")
    assert atv_invocations(line) == [["run", "--out", "1", "--seed", "1"], ["latex", "--results", "1/results.json"]]
    block = Block("x", 1, "console", ("$ atv check-bound 'eps' --quantity meanfield.adv_loss \\",
                                      "    --p 2", "atv check-bound meanfield.adv_loss (upper bound)"))
    assert command_lines(block) == ["atv check-bound 'eps' --quantity meanfield.adv_loss --p 2"]


# ---------------------------------------------------------------------------------------------------------------
# claim ids

PAPER_PREFIX = r"(?<![\w/.\-])(?:meanfield|seed001|feature_learning|implicit_bias|ntk_convergence)\."
ID = re.compile(PAPER_PREFIX + r"(?:[\w*<>]|\{[^}\s]*\}|\.(?=[\w*<{]))+")
OLD_ID = re.compile(r"(?<![\w/.\-])(?:mf|seed002|seed003|seed004)[._]\w")


def expand(pattern: str) -> list[str]:
    """Brace alternatives expanded, ``<placeholders>`` as globs."""
    match = re.search(r"\{([^}]*)\}", pattern)
    if match:
        return [x for choice in match.group(1).split(",")
                for x in expand(pattern[:match.start()] + choice + pattern[match.end():])]
    return [re.sub(r"<[^>]*>", "*", pattern)]


@lru_cache(maxsize=None)
def known_names() -> tuple[frozenset, frozenset]:
    """(claim ids, other dotted names a page may use: quantity ids, profile sections and their settings)."""
    import dataclasses

    from numerics.experiment import KEY_ALIASES, SETTINGS
    from numerics.papers import load_settings
    from theory.papers import quantities
    from theory.registry import load

    load_settings()
    others = set(quantities()) | set(SETTINGS) | set(KEY_ALIASES)
    others |= {f"{section}.{f.name}" for section, entry in SETTINGS.items() for f in dataclasses.fields(entry.Settings)}
    return frozenset(load().ids()), frozenset(others)


def names_in(path: Path) -> list[str]:
    return ID.findall(path.read_text())


def test_the_id_pattern_finds_ids_and_skips_paths():
    text = ("`meanfield.dyn.{euler,ode}.*`, see report/papers/meanfield.py and theory.papers.meanfield.norms; "
            "`seed001.beta.<pair>`. And meanfield.thm4_1.*, then [meanfield.dynamics]")
    assert ID.findall(text) == ["meanfield.dyn.{euler,ode}.*", "seed001.beta.<pair>", "meanfield.thm4_1.*",
                                "meanfield.dynamics"]
    assert expand("meanfield.dyn.{euler,ode}.<arch>") == ["meanfield.dyn.euler.*", "meanfield.dyn.ode.*"]


@pytest.mark.parametrize("path", PAGES, ids=page_name)
def test_every_claim_id_named_in_the_docs_is_current(path):
    ids, others = known_names()
    unknown = []
    for name in names_in(path):
        if name in ids or name in others:
            continue
        if not all(any(fnmatch.fnmatchcase(i, glob) for i in ids) for glob in expand(name)):
            unknown.append(name)
    assert not unknown, f"{page_name(path)} names claims, quantities or settings that do not exist: {unknown}"


@pytest.mark.parametrize("path", PAGES, ids=page_name)
def test_old_claim_ids_appear_only_in_the_readmes_table_of_renamed_ids(path):
    lines = path.read_text().splitlines()
    old = [(n, line) for n, line in enumerate(lines, 1) if OLD_ID.search(line)]
    if path == README:
        table = [n for n, line in old if line.startswith("|") and "→" in line]
        assert len(table) == 4, "the README maps each old prefix once, in its table of renamed ids"
        old = [(n, line) for n, line in old if n not in table]
    assert not old, f"{page_name(path)} still uses old claim ids: {old}"


# ---------------------------------------------------------------------------------------------------------------
# (b), (c) the README


def readme_section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def test_the_readme_shows_the_meanfield_example_verbatim():
    section = readme_section("Property-test your own bound")
    shown = [block.text for block in blocks_in(section, "README.md") if block.language == "python"]
    assert shown == [EXAMPLE.read_text()], "the README's example differs from examples/test_meanfield_bounds.py"


def test_the_readme_is_short():
    count = len(README.read_text().splitlines())
    assert count <= MAX_README_LINES, f"README.md has {count} lines; the rest belongs in docs/"


def test_the_readme_keeps_the_set_up_commands_and_its_test_command_is_what_ci_runs():
    shell = [line for block in blocks(README) if block.language in SHELL for line in command_lines(block)]
    assert "python3 -m venv .venv && . .venv/bin/activate" in shell
    assert "pip install torch==2.13.0 && pip install -e . && atv run --profile quick" in shell
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("pip install")]
    assert len(ci) == 1 and ci[0] in shell, ".ci/run's install-and-test line must be the README's test command"
    assert ci[0].endswith("&& python -m pytest") and "docs" in ci[0], "CI installs the docs extra for the build test"


def test_the_readme_links_resolve():
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text()):
        if not re.match(r"[a-z]+://", target):
            assert (ROOT / target).is_file(), f"README.md links to {target}, which does not exist"


# ---------------------------------------------------------------------------------------------------------------
# (d) the site


def test_the_site_builds_strictly(tmp_path):
    missing = [name for name in ("mkdocs", "material") if importlib.util.find_spec(name) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the docs extra, but {', '.join(missing)} is missing")
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e '.[docs]' to build the site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "guide" / "check-bound" / "index.html").is_file()
