"""The ``atv`` command line: run | claims | latex | check-bound | bench (DESIGN.md, CLI contract).

Exit codes: 0 the run completed (check-bound: no counterexample); 1 with --strict when any claim is VIOLATED
(check-bound: a counterexample); 2 bad usage, configuration or expression (one line on stderr, no traceback);
130 interrupted (results so far are kept in results.json).
"""
from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from verify.runs import split_globs
from verify.verdict import Status

try:  # typer >= 0.25 carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on the installed click
    from click.exceptions import UsageError

# The heavy modules (torch, scipy, the claim registry) are imported inside the commands that use them, so a
# refused expression or option is answered in well under a second.

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Verify the theory of adversarial training against real networks.")
#: piped output (logs, CI) gets room for full claim ids; a terminal keeps its own width
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def version(value: bool) -> None:
    if value:
        try:
            number = metadata.version("adversarial-theory-verifier")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown (not installed)"
        console.print(f"atv {number}", highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(show_version: bool = typer.Option(False, "--version", callback=version, is_eager=True,
                                                   help="print the version and exit")) -> None:
    """Verify the theory of adversarial training against real networks."""


def integer(low: int, high: int | None = None, high_text: str | None = None):
    """A parser for an integer option that names the bad text (the default message does not); the value must
    lie in [low, high)."""

    def parse(text: str) -> int:
        digits = str(text).strip()
        value = int(digits) if re.fullmatch(r"[+-]?[0-9]+", digits) else None  # no '1_000', no other scripts
        if value is None or value < low or (high is not None and value >= high):
            span = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high_text or high})"
            raise typer.BadParameter(f"must be {span}, got {text!r}")
        return value

    return parse


SEED = integer(0, 2**63, "2^63")


#: exit code of a run whose results.json could not be written (sysexits' EX_IOERR)
WRITE_FAILED = 74


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"atv: error: {message}", highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(code=code)


class Display:
    """``atv run``'s view of a run, through the hooks of ``verify.api.Progress``: the header, then rich progress
    bars on a terminal or one plain line per finished claim in a log."""

    def __init__(self) -> None:
        self.started = False  # an error after the start is a failure of the run, not a refused option
        self.bars = self.plain = None

    def start(self, started) -> None:
        from verify.console import ProgressBars
        from verify.runs import PlainProgress, TimeLeft

        profile, kept = started.metadata["profile"], started.kept
        console.print(f"[bold]atv run[/] profile={profile['name']} ({profile['description']}), "
                      f"device={started.metadata['device']}, seed={started.metadata['seed']}, "
                      f"threads={started.threads.count} ({started.threads.source})"
                      + (f" in {started.workers} processes" if started.workers > 1 else "")
                      + f", {len(started.claims)} claim(s)"
                      + (f", {kept} kept from the interrupted run" if kept else "") + f" -> {started.path}")
        self.started = True
        self.plain = None if console.is_terminal else PlainProgress(console.file, len(started.claims) - kept,
                                                                    len(started.jobs))
        self.bars = ProgressBars(console, enabled=self.plain is None).__enter__()
        self.claims_done = self.bars.task("claims", len(started.claims), keep=True)
        self.claims_done(kept)
        self.jobs_done = self.bars.task("jobs", len(started.jobs), keep=True)
        self.time_left = TimeLeft(started.jobs, started.workers)

    def task(self, label: str, total: int):
        return (self.plain or self.bars).task(label, total)

    def job(self, experiment: str, seconds: float, share: float = 1.0) -> None:
        self._advance(share, self.time_left.done(experiment, seconds, share))

    def skipped(self, experiment: str, share: float) -> None:
        self._advance(share, self.time_left.skipped(experiment, share))

    def _advance(self, share: float, left: str) -> None:
        self.jobs_done(share, left)
        if self.plain is not None:
            self.plain.job_done(share, left)

    def verdict(self, verdict) -> None:
        self.claims_done(1)
        if self.plain is not None:
            self.plain.claim_done(verdict.claim_id, verdict.status.value, verdict.seconds)

    def stop(self) -> None:
        if self.bars is not None:
            self.bars.__exit__(None, None, None)


@app.command()
def run(
    ctx: typer.Context,
    profile: str = typer.Option("quick", help="quick (CPU, minutes) | paper (the paper's sizes, GPU) | paper-cpu | full"),
    only: Optional[str] = typer.Option(None, help="comma-separated claim-id globs, e.g. 'meanfield.thm4_1.*'"),
    device: Optional[str] = typer.Option(None, help="auto | cpu | cuda | cuda:<index> (default: the profile's)"),
    seed: int = typer.Option(0, parser=SEED, help="run seed in [0, 2^63); the same seed gives the same verdicts on "
                                                  "any executor"),
    out: str = typer.Option("atv-out", help="output folder for results.json and the figures"),
    strict: bool = typer.Option(False, help="exit 1 when any claim is VIOLATED"),
    set_: list[str] = typer.Option([], "--set", help="override a setting, e.g. --set N=256 (repeatable)"),
    config: Optional[Path] = typer.Option(None, help="TOML file of settings overriding the profile"),
    figures: bool = typer.Option(True, help="draw the run's figures (PNG and PDF) into OUT"),
    executor: str = typer.Option("local", help="local (in this process) | ray (Ray tasks; pip install -e '.\\[ray]')"),
    address: Optional[str] = typer.Option(None, help="Ray cluster address (default: start a local cluster)"),
    threads: Optional[int] = typer.Option(None, parser=integer(1), help="torch CPU threads (default: the idle "
                                                                        "cores, at least 1)"),
    workers: Optional[int] = typer.Option(None, parser=integer(1), help="processes a local CPU run spreads its "
                                          "jobs over, sharing the threads (default: one per thread; 1: this process)"),
    overwrite: bool = typer.Option(False, help="replace the run already in OUT (otherwise it is refused)"),
    resume: Optional[Path] = typer.Option(None, help="continue the unfinished run in this folder, with its own "
                                                     "options; finished claims are kept, not rerun"),
    settings: bool = typer.Option(False, "--settings", help="print every setting of every experiment (its value "
                                  "in the profile, with --set and --config, its default, what it allows and what it "
                                  "means) and exit without running"),
) -> None:
    """Run the verification suite and write OUT/results.json."""
    from verify.api import Interrupted, run as verify_run
    from verify.profiles import get_profile, load_config, parse_set, read_values
    from verify.runs import resume_conflict

    display = Display()
    try:  # every option is checked before torch loads or a claim is built: a refusal takes well under a second
        from_file = load_config(config) if config and resume is None else {}
        read_values(from_file)  # a bad value in the file is refused, even where --set replaces it
        overrides = {} if resume is not None else {**from_file, **parse_set(set_)}
        if settings:
            typer.echo("\n".join(get_profile(profile).with_overrides(overrides).listing()))
            return
        if resume is not None:
            given = [name for name in ("profile", "only", "device", "seed", "out", "set_", "config", "figures",
                                       "executor", "address", "overwrite")
                     if ctx.get_parameter_source(name).name != "DEFAULT"]
            if given:
                raise resume_conflict(given[0].rstrip("_"))
            options: dict = {"resume": resume}
        else:
            options = dict(only=only, profile=profile, seed=seed, device=device, executor=executor, address=address,
                           out=out, overrides=overrides, figures=figures, overwrite=overwrite)
        results = verify_run(threads=threads, workers=workers, progress=display, **options)
    except Interrupted as stop:
        from verify.console import verdict_table

        kept = stop.results
        if len(kept):
            console.print(verdict_table(kept))
        err_console.print(f"atv: interrupted; {len(kept)} of {stop.selected} verdict(s) kept in {kept.path} ("
                          f"{counted(kept)}); `atv run --resume {kept.path.parent}` continues the run", soft_wrap=True)
        raise typer.Exit(code=130) from None
    except (ValueError, LookupError) as err:  # RunError, ProfileError, DeviceError, UnknownClaimError, ...
        if display.started:  # not a refused option but a fault in the run: its traceback
            raise
        raise fail(str(err.args[0] if err.args else err)) from None
    except RuntimeError as err:
        from verify.executors import ExecutorError  # torch is loaded by now
        from verify.schema import WriteError

        if isinstance(err, WriteError):
            raise fail(str(err), WRITE_FAILED) from None
        if not isinstance(err, ExecutorError):
            raise
        raise fail(str(err)) from None
    summary(results)
    if strict and results.counts()[Status.VIOLATED]:
        raise typer.Exit(code=1)


def counted(results) -> str:
    """'3 HOLDS, 1 VIOLATED, ...' for ``verify.results.Results``."""
    return ", ".join(f"{n} {status.value}" for status, n in results.counts().items())


def summary(results) -> None:
    """The end of a run: its figures, the verdict table and what reads it, the counts."""
    from theory.registry import load
    from verify.console import LEGEND, figures_tables, tolerance_summary, verdict_table, violations_table

    if results.metadata.get("figures"):
        console.print(f"figures: {', '.join(f for f in results.metadata['figures'] if f.endswith('.png'))} in "
                      f"{results.path.parent}")
    console.print(verdict_table(results))
    for extra in (*figures_tables(results), violations_table(results)):
        if extra is not None:
            console.print(extra)
    console.print(LEGEND, style="dim")
    console.print(tolerance_summary(load()[v.claim_id] for v in results))
    console.print(time_summary(results.metadata["timings"]), highlight=False)
    console.print(f"{counted(results)}; results in {results.path}")


def time_summary(timings: dict, shown: int = 6) -> str:
    """Where the run's time went: wall time, then the jobs' seconds by paper and the slowest experiments."""
    from verify.runs import clock

    papers = ", ".join(f"{name} {clock(s)}" for name, s in timings["papers_s"].items())
    slowest = ", ".join(f"{name} {clock(s)}" for name, s in list(timings["experiments_s"].items())[:shown])
    return (f"time: {clock(timings['wall_s'])} wall, figures {clock(timings['figures_s'])}; jobs by paper: "
            f"{papers or 'none'}; slowest experiments: {slowest or 'none'}")


@app.command()
def latex(
    results: Optional[Path] = typer.Option(None, help="a results.json whose verdicts and figures to include"),
    out: Path = typer.Option(Path("atv-out"), help="folder for derivations.tex and derivations.pdf"),
) -> None:
    """Write the LaTeX derivations (from the SymPy objects) and compile them to PDF when LaTeX is installed."""
    import shutil

    import jsonschema

    from report.latex import compile_pdf, write
    from theory.registry import REGISTRY

    data = None
    if results is not None:
        from verify.schema import validate

        try:
            data = json.loads(Path(results).read_text())
            validate(data)
        except (OSError, ValueError) as err:  # unreadable, not UTF-8 or not JSON
            raise fail(f"cannot read results file {str(results)!r}: {err}") from None
        except jsonschema.ValidationError as err:
            raise fail(f"{str(results)!r} is not an atv results file: {err.message}") from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "derivations.tex").touch()
    except OSError as err:
        raise fail(f"--out {str(out)!r} cannot be written: {err.strerror or err}") from None
    figures = (data or {}).get("metadata", {}).get("figures", [])
    for name in figures:
        source = Path(results).parent / name
        if source.exists() and source.resolve() != (out / name).resolve():
            shutil.copy(source, out / name)
    tex_path = out / "derivations.tex"
    write(REGISTRY, tex_path, data, [f for f in figures if (out / f).exists()])
    pdf, message = compile_pdf(tex_path)
    console.print(f"wrote {tex_path}; {message}" + (f": {pdf}" if pdf else ""))
    if pdf is None and "failed" in message:
        raise typer.Exit(code=1)


@app.command()
def claims(only: Optional[str] = typer.Option(None, help="comma-separated claim-id globs")) -> None:
    """List the registered claims with their source and provenance."""
    from theory.claims import UnknownClaimError
    from theory.registry import REGISTRY
    from verify.console import claims_table

    try:
        chosen = REGISTRY.select(split_globs(only))
    except (UnknownClaimError, ValueError) as err:
        raise fail(str(err.args[0])) from None
    console.print(claims_table(chosen))


@app.command("check-bound")
def check_bound_command(
    expr: Optional[str] = typer.Argument(None, help="the bound, e.g. 'eps*(1 + sqrt(K/d))*sqrt(omega**L)'"),
    quantity: Optional[str] = typer.Option(None, help="the quantity, <paper>.<name> (`--list` lists them)"),
    option: list[str] = typer.Option([], help="an option of the quantity: KEY=VALUE (repeatable)"),
    p: Optional[str] = typer.Option(None, help="shorthand for --option p=P: 1 | 2 | oo, the perturbation norm"),
    q: Optional[str] = typer.Option(None, help="shorthand for --option q=Q: 1 | 2 | oo, the output norm"),
    arch: Optional[str] = typer.Option(None, help="shorthand for --option arch=A: vanilla | residual"),
    lower: bool = typer.Option(False, "--lower", help="EXPR is a lower bound (default: an upper bound)"),
    examples: Optional[int] = typer.Option(None, parser=integer(1), help="configurations to generate (default: "
                                                                         "the quantity's, see --list)"),
    seed: int = typer.Option(0, parser=SEED, help="search seed; the same seed gives the same result"),
    domain: list[str] = typer.Option([], help="narrow the sampling domain: KEY=LO:HI (repeatable)"),
    at: Optional[str] = typer.Option(None, help="evaluate one configuration, as printed with a counterexample"),
    threads: Optional[int] = typer.Option(None, parser=integer(1), help="torch CPU threads (default: the idle "
                                                                        "cores, at least 1)"),
    list_: bool = typer.Option(False, "--list", help="list every quantity with its symbols, domain, options and "
                                                     "the paper's own bound, and exit"),
) -> None:
    """Hunt for a configuration where a measurement of QUANTITY refutes the bound EXPR (Hypothesis, shrunk
    counterexample)."""
    from theory.papers import quantities
    from verify.bound_options import BoundRequest, RequestError

    if list_:
        from verify.console import quantity_listing

        for found in quantities().values():
            console.print(quantity_listing(found), highlight=False, soft_wrap=True)
        return
    try:  # everything is checked before torch loads: a refusal takes well under a second
        request = BoundRequest.read(expr, quantity, option, {"p": p, "q": q, "arch": arch}, lower, domain, at)
    except RequestError as err:
        raise fail(str(err)) from None
    from verify.runs import RunError, choose_threads

    try:
        threads = choose_threads(threads).count
    except RunError as err:
        raise fail(str(err)) from None
    import torch

    from verify.checker import CheckError, ExpressionError, check_bound

    torch.set_num_threads(threads)
    found = request.quantity
    settings = " ".join(f"{k}={v}" for k, v in request.options.items())
    console.print(f"[bold]atv check-bound[/] {found.id} ({'lower' if lower else 'upper'} bound; {settings}), "
                  f"seed {seed}", highlight=False)
    if request.at is None:
        console.print("domain: " + ", ".join(f"{k} in [{v.low:g}, {v.high:g}]" for k, v in request.domain.items()),
                      style="dim", highlight=False)
    try:
        with console.status("searching for a counterexample"):
            result = check_bound(request.expr, found, options=request.options, lower=lower, examples=examples,
                                 seed=seed, domain=request.ranges, at=request.at)
    except (ExpressionError, CheckError, ValueError) as err:  # ValueError: e.g. a value the network refuses
        raise fail(str(err)) from None
    if result.found:
        values = ", ".join(f"{k}={v!r}" for k, v in result.config.items())
        interval = "" if result.interval is None else f", interval [{result.interval[0]:.6g}, {result.interval[1]:.6g}]"
        console.print(f"[bold red]counterexample[/] after {result.examples} configuration(s), {result.seconds:.1f} s")
        console.print(f"  configuration: {values}", highlight=False)
        console.print(f"  measured {result.observed:.6g}{interval} {result.relation} bound {result.bound:.6g} "
                      f"(ratio {result.ratio:.4g})", highlight=False)
        console.print(f"  reproduce: {request.replay(result.config)}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1)
    console.print(f"[bold green]no counterexample[/] in {result.examples} configuration(s), {result.seconds:.1f} s; "
                  f"closest measured/bound {result.closest_ratio:.4g}")
    if result.closest_config:
        console.print("  closest: " + ", ".join(f"{k}={v!r}" for k, v in result.closest_config.items()),
                      highlight=False)


@app.command()
def bench(
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:<index>"),
    dtype: str = typer.Option("float64", help="float64 | float32: the dtype of the quick-size measurements"),
    only: Optional[str] = typer.Option(None, help="comma-separated measurements: generation, chain, naive, paper, cost, slope"),
    json_out: bool = typer.Option(False, "--json", help="print the figures as JSON (schema: verify.bench.BENCH_SCHEMA)"),
) -> None:
    """Measure the hot paths: each side of every ratio timed with torch.utils.benchmark, the two sides interleaved;
    every figure a median with its spread."""
    from numerics.device import DeviceError, check_spelling

    try:  # what needs no torch is checked before it loads
        names = split_globs(only)
        check_spelling(device)
    except ValueError as err:  # DeviceError too
        raise fail(str(err)) from None
    if dtype not in ("float64", "float32"):
        raise fail(f"--dtype must be float64 or float32, got {dtype!r}")
    import jsonschema
    import torch
    from rich.table import Table

    from numerics.device import resolve
    from verify.bench import BENCH_SCHEMA, MEASUREMENTS, run_bench

    chosen = tuple(names or MEASUREMENTS)
    unknown = [name for name in chosen if name not in MEASUREMENTS]
    if unknown:
        raise fail(f"--only takes {', '.join(MEASUREMENTS)}, got {unknown[0]!r}")
    try:
        resolved = resolve(device)
    except DeviceError as err:
        raise fail(str(err)) from None
    status = err_console if json_out else console
    with status.status("benchmarking") as spinner:
        result = run_bench(resolved, getattr(torch, dtype), only=chosen,
                           progress=lambda step: spinner.update(f"benchmarking: {step}"))
    if json_out:
        data = result.to_json()
        jsonschema.validate(data, BENCH_SCHEMA)
        print(json.dumps(data, indent=2))
        return
    table = Table(title=f"atv bench on {result.device}, {result.dtype}; median [interquartile range over runs, or "
                        "range over interleaved rounds for ratios]", header_style="bold")
    for name in ("measurement", "result", "against"):
        table.add_column(name)
    for row in result.rows():
        table.add_row(*row)
    console.print(table)


def main(argv: list[str] | None = None) -> None:
    """The ``atv`` entry point: click's usage errors (an unknown option, a value of the wrong type) become one
    line with exit 2 like every other refusal, instead of a boxed panel."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        code = app(argv, standalone_mode=False, prog_name="atv")
    except UsageError as err:
        if not argv:  # no arguments: the help was printed
            raise SystemExit(0) from None
        err_console.print(f"atv: error: {err.format_message()}", highlight=False, markup=False, soft_wrap=True)
        raise SystemExit(2) from None
    except typer.Abort:  # Ctrl-C while click itself was reading input
        raise SystemExit(130) from None
    raise SystemExit(code or 0)
