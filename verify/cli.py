"""The ``atv`` command line: run | claims | latex | check-bound | bench (DESIGN.md, CLI contract).

Exit codes: 0 the run completed (check-bound: no counterexample); 1 with --strict when any claim is VIOLATED
(check-bound: a counterexample); 2 bad usage, configuration or expression (one line on stderr, no traceback);
130 interrupted (results so far are kept in results.json).
"""
from __future__ import annotations

import json
import platform
import re
import shlex
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

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


def fail(message: str) -> typer.Exit:
    err_console.print(f"atv: error: {message}", highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(code=2)


def run_metadata(profile: dict, device: str, seed: int, executor: str) -> dict:
    versions = {"python": platform.python_version()}
    for package in ("adversarial-theory-verifier", "torch", "sympy", "mpmath", "numpy", "scipy", "hypothesis", "ray"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"versions": versions, "device": device, "executor": executor, "seed": seed, "profile": profile,
            "git_revision": git_revision(), "started": now(), "finished": None, "state": "running",
            "argv": sys.argv[1:]}


def git_revision() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode != 0:
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def split_globs(only: Optional[str]) -> list[str] | None:
    """``--only a,b`` -> ['a', 'b']; None when the option is absent; a ValueError when it names nothing."""
    if only is None:
        return None
    parts = [part.strip() for part in only.split(",") if part.strip()]
    if not parts:
        raise ValueError(f"--only needs one or more comma-separated names, got {only!r}")
    return parts


@app.command()
def run(
    ctx: typer.Context,
    profile: str = typer.Option("quick", help="quick (CPU, minutes) | paper (the paper's sizes, GPU) | paper-cpu | full"),
    only: Optional[str] = typer.Option(None, help="comma-separated claim-id globs, e.g. 'mf.thm4_1.*'"),
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
    overwrite: bool = typer.Option(False, help="replace the run already in OUT (otherwise it is refused)"),
    resume: Optional[Path] = typer.Option(None, help="continue the unfinished run in this folder, with its own "
                                                     "options; finished claims are kept, not rerun"),
) -> None:
    """Run the verification suite and write OUT/results.json."""
    from verify.runs import Request, RunError, check_out, check_threads, resume_record

    # every option is checked before torch loads or a claim is built: a refusal takes well under a second
    previous: dict = {"verdicts": []}  # a resumed run's results so far
    try:
        if resume is not None:
            given = [name for name in ("profile", "only", "device", "seed", "out", "set_", "config", "figures",
                                       "executor", "address", "overwrite")
                     if ctx.get_parameter_source(name).name != "DEFAULT"]
            if given:
                raise RunError(f"--resume reruns with the run's own options; --{given[0].rstrip('_')} cannot be "
                               f"given with it")
            request, previous = resume_record(resume)
            out = resume
        else:
            request = Request(profile, {}, split_globs(only), seed, device, figures, executor, address)
            check_out(out, overwrite)  # a str, so that '' is refused rather than read as '.'
            out = Path(out)
        threads = check_threads(threads)
        chosen, overrides, claim_ids = _check_request(request, config, set_)
        unselected = [verdict["claim_id"] for verdict in previous["verdicts"] if verdict["claim_id"] not in claim_ids]
        if unselected:
            raise RunError(f"{resume}/results.json holds a verdict on {unselected[0]}, which the run's claims no "
                           "longer include (were the claims renamed?); start a new run")
    except (ValueError, LookupError) as err:  # RunError, ProfileError, DeviceError; UnknownClaimError
        raise fail(str(err.args[0] if err.args else err)) from None
    _run(replace(request, overrides=overrides), chosen, claim_ids, out, threads, strict, previous)


def _check_request(request, config: Optional[Path], pairs: list[str]):
    """(the profile with its overrides, the overrides, the selected claim ids), or the first bad value."""
    from numerics.device import check_spelling
    from numerics.seeds import check_seed
    from theory.registry import load
    from verify.profiles import ProfileError, get_profile, load_config, parse_set

    check_seed(request.seed)
    if request.executor not in ("local", "ray"):
        raise ProfileError(f"--executor must be local or ray, got {request.executor!r}")
    chosen = get_profile(request.profile)
    overrides = request.overrides or {**(load_config(config) if config else {}), **parse_set(pairs)}
    chosen = chosen.with_overrides(overrides) if overrides else chosen
    check_spelling(request.device or chosen.device)
    return chosen, overrides, load().match(request.only)


def _run(request, chosen, claim_ids: list[str], out: Path, threads: int, strict: bool, previous: dict) -> None:
    """Build the claims, plan, execute and report (options already checked); ``previous``: a resumed run's
    results so far."""
    from fnmatch import fnmatchcase

    import torch

    from numerics.device import DeviceError, describe, resolve
    from numerics.experiment import PROBES, RegistrationError
    from report.figures import draw_all, registered
    from theory.registry import load
    from verify.catalog import entry
    from verify.console import (LEGEND, ProgressBars, figures_tables, tolerance_summary, verdict_table,
                                violations_table)
    from verify.executors import ExecutorError, make_executor
    from verify.runs import PlainProgress, RunError, TimeLeft, prepare_out
    from verify.schema import ResultsWriter
    from verify.suite import Suite
    from verify.verdict import Status, Verdict

    torch.set_num_threads(threads)
    finished = previous["verdicts"]
    done = [Verdict.from_json(v) for v in finished]
    skip = {v.claim_id for v in done}
    rank = {claim_id: i for i, claim_id in enumerate(claim_ids)}  # verdicts are shown in claim order
    try:
        claims = [load()[claim_id] for claim_id in claim_ids]
        entries = [entry(claim) for claim in claims if claim.id not in skip]
        requested = request.device or chosen.device
        # a local run resolves its device here (and refuses an absent GPU now); Ray workers resolve their own
        job_device = str(resolve(requested)) if request.executor == "local" else requested
        runner = make_executor(request.executor, request.address)
        probes = [probe for probe in PROBES.values() if request.figures and any(
            fnmatchcase(claim.id, pattern) for claim in claims for pattern in probe.claims)]
        drawn = {figure.probe for figure in registered().values()}
        undrawn = [probe.name for probe in probes if probe.name not in drawn]
        if undrawn:
            raise RegistrationError(f"no report module draws the figure {undrawn[0]!r}")
        suite = Suite(chosen, request.seed, job_device, runner)
        plan = suite.plan(entries, probes)  # checks every claim at every point
    except (RegistrationError, DeviceError, ExecutorError, ValueError) as err:
        raise fail(str(err.args[0] if err.args else err)) from None
    try:
        lock = prepare_out(out)  # held until this process ends: a second run into OUT is refused meanwhile
    except RunError as err:
        raise fail(str(err)) from None
    local = request.executor == "local"
    where = describe(job_device) if local else f"ray ({request.address or 'local cluster'}), {requested}"
    metadata = run_metadata(chosen.describe(), where, request.seed, request.executor)
    metadata.update(request=request.to_json(), threads=threads if local else None)
    if finished:
        earlier = previous["metadata"]
        metadata.update(started=earlier["started"], resumed=[*earlier.get("resumed", []), now()])
    writer = ResultsWriter(out, metadata, [c.id for c in claims], finished)
    console.print(f"[bold]atv run[/] profile={chosen.name} ({chosen.description}), device={where}, "
                  f"seed={request.seed}, threads={threads}, {len(claims)} claim(s)"
                  + (f", {len(done)} kept from the interrupted run" if done else "") + f" -> {writer.path}")
    new: list = []  # the verdicts of this process (a resumed run's earlier ones are ``done``)
    state = "failed"
    plain = None if console.is_terminal else PlainProgress(console.file, len(claims) - len(done), len(plan.jobs))
    try:
        with ProgressBars(console, enabled=plain is None) as bars:
            claims_done = bars.task("claims", len(claims), keep=True)
            claims_done(len(done))
            jobs_done = bars.task("jobs", len(plan.jobs), keep=True)
            time_left = TimeLeft([job.experiment for job in plan.jobs])

            def record(verdict) -> None:
                new.append(verdict)
                writer.add(verdict.to_json())
                claims_done(1)
                if plain is not None:
                    plain.claim_done(verdict.claim_id, verdict.status.value, verdict.seconds)

            def job(done, seconds: float) -> None:
                left = time_left.done(done.experiment, seconds)
                jobs_done(1, left)
                if plain is not None:
                    plain.job_done(left)

            runner.progress = bars.task if plain is None else plain.task
            suite.on_verdict, suite.on_job = record, job
            verdicts, data = suite.execute(plan, done)
        if data:
            files = draw_all(data, out)
            writer.add_figures(data, files)
            console.print(f"figures: {', '.join(f for f in files if f.endswith('.png'))} in {out}")
        state = "complete"
    except KeyboardInterrupt:
        state = "interrupted"
        kept = sorted([*done, *new], key=lambda v: rank[v.claim_id])
        if kept:
            console.print(verdict_table(kept))
        counts = {s: sum(v.status is s for v in kept) for s in Status}
        err_console.print(f"atv: interrupted; {len(kept)} of {len(claims)} verdict(s) kept in {writer.path} ("
                          + ", ".join(f"{n} {s.value}" for s, n in counts.items())
                          + f"); `atv run --resume {out}` continues the run", soft_wrap=True)
        raise typer.Exit(code=130) from None
    except ExecutorError as err:
        raise fail(str(err)) from None
    finally:
        writer.finish(state, now())
        lock.close()
    verdicts = sorted(verdicts, key=lambda v: rank[v.claim_id])
    console.print(verdict_table(verdicts))
    for extra in (*figures_tables(verdicts), violations_table(verdicts)):
        if extra is not None:
            console.print(extra)
    console.print(LEGEND, style="dim")
    console.print(tolerance_summary(claims))
    counts = {s: sum(v.status is s for v in verdicts) for s in Status}
    console.print(", ".join(f"{n} {s.value}" for s, n in counts.items()) + f"; results in {writer.path}")
    if strict and counts[Status.VIOLATED]:
        raise typer.Exit(code=1)


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
    expr: str = typer.Argument(..., help="the bound, e.g. 'eps*(1 + sqrt(K/d))*sqrt(omega**L)'"),
    quantity: str = typer.Option(..., help="jacobian_opnorm | adv_loss"),
    p: str = typer.Option(..., help="1 | 2 | oo: the perturbation norm"),
    q: str = typer.Option(..., help="1 | 2 | oo: the output norm"),
    arch: str = typer.Option("vanilla", help="vanilla | residual"),
    examples: int = typer.Option(200, parser=integer(1), help="configurations to generate"),
    seed: int = typer.Option(0, parser=SEED, help="search seed; the same seed gives the same result"),
    domain: list[str] = typer.Option([], help="narrow or widen the sampling domain: KEY=LO:HI (repeatable)"),
    at: Optional[str] = typer.Option(None, help="evaluate one configuration, as printed with a counterexample"),
    threads: Optional[int] = typer.Option(None, parser=integer(1), help="torch CPU threads (default: the idle "
                                                                        "cores, at least 1)"),
) -> None:
    """Hunt for a configuration where QUANTITY exceeds the bound EXPR (Hypothesis, shrunk counterexample)."""
    from theory.papers import quantities, vocabulary
    from verify.expr import ExpressionError, parse

    words = vocabulary(quantity)
    if words is None:
        raise fail(f"--quantity must be one of {', '.join(quantities())}, got {quantity!r}")
    try:
        parse(expr, words.symbols)  # refuse a bad expression before torch is imported
    except ExpressionError as err:
        raise fail(str(err)) from None
    from numerics.orders import norm_order
    from verify.runs import RunError, check_threads

    try:
        threads = check_threads(threads)
        for name, order in (("--p", p), ("--q", q)):
            try:
                norm_order(order)
            except ValueError:
                raise RunError(f"{name} must be 1, 2 or oo, got {order!r}") from None
    except RunError as err:
        raise fail(str(err)) from None
    import torch

    from verify.checker import CheckError, check_bound, parse_domain, validate

    torch.set_num_threads(threads)
    try:
        validate(quantity, p, q, arch, examples)
        ranges = parse_domain(domain, quantity)
        pairs = [item.split("=", 1) for item in at.split(",")] if at is not None else None
        if pairs is not None and not all(len(pair) == 2 and all(part.strip() for part in pair) for pair in pairs):
            raise CheckError(f"--at expects KEY=VALUE,KEY=VALUE,..., got {at!r}")
        point = dict(pairs) if pairs is not None else None
        console.print(f"[bold]atv check-bound[/] {quantity} ||.||_{p}->{q}, {arch} networks, seed {seed}")
        if point is None:
            console.print("domain: " + ", ".join(f"{k} in [{lo}, {hi}]" for k, (lo, hi) in ranges.items()), style="dim")
        with console.status("searching for a counterexample"):
            result = check_bound(expr, quantity, p, q, arch=arch, examples=examples, seed=seed, domain=ranges,
                                 at=point)
    except (ExpressionError, CheckError, ValueError) as err:  # ValueError: e.g. an --at value out of range
        raise fail(str(err)) from None
    if result.found:
        values = ", ".join(f"{k}={v!r}" for k, v in result.config.items())
        console.print(f"[bold red]counterexample[/] after {result.examples} configuration(s), {result.seconds:.1f} s")
        console.print(f"  configuration: {values}")
        console.print(f"  observed {result.observed:.6g} > bound {result.bound:.6g} (ratio {result.ratio:.4g})")
        at_text = ",".join(f"{k}={v!r}" for k, v in result.config.items())
        console.print(f"  reproduce: atv check-bound {shlex.quote(expr)} --quantity {quantity} --p {result.p} "
                      f"--q {result.q} --arch {arch} --at {shlex.quote(at_text)}", soft_wrap=True)
        raise typer.Exit(code=1)
    console.print(f"[bold green]no counterexample[/] in {result.examples} configuration(s), {result.seconds:.1f} s; "
                  f"largest measured/bound {result.largest_ratio:.4g}")
    if result.largest_config:
        console.print("  closest: " + ", ".join(f"{k}={v!r}" for k, v in result.largest_config.items()))


@app.command()
def bench(
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:<index>"),
    dtype: str = typer.Option("float64", help="float64 | float32: the dtype of the quick-size measurements"),
    only: Optional[str] = typer.Option(None, help="comma-separated measurements: generation, chain, naive, paper, cost"),
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
