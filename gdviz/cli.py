"""The command line: parses options into a small config and calls the library. No click below here."""

from __future__ import annotations

import logging
import math
import os
import re
import signal
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import click

from gdviz.data import PRESETS, read_csv
from gdviz.errors import GdvizError
from gdviz.expression import Expression
from gdviz.formulas import LOSS_NAMES, MODELS
from gdviz.functions import FUNCTIONS
from gdviz.optimizers import OPTIMIZERS
from gdviz.plane import KINDS as PLANES

VIEW_NAMES = ("fit", "contour", "loss", "dashboard")
SUFFIXES = (".gif", ".mp4", ".html", ".png")


@dataclass(frozen=True)
class Source:
    """Where the runs come from: a preset, a CSV file, a test function or a saved run."""

    kind: str  # "dataset" | "csv" | "function" | "formula" | "run"
    name: str  # the preset or function name, the formula, or the file's stem
    path: Path | None = None
    x: tuple[str, ...] | None = None
    y: str | None = None

    @property
    def stem(self) -> str:
        """The start of default file names: ``formula`` for a formula, else the name."""
        return "formula" if self.kind == "formula" else self.name


@dataclass(frozen=True)
class AnimateConfig:
    """Everything `gdviz animate` was asked to do, checked."""

    source: Source
    model: str | None
    loss: str | None
    optimizers: tuple[str | None, ...]
    lrs: tuple[float | None, ...]
    steps: int | None
    init: tuple[float, ...] | None
    seed: int | None
    zero_grad: bool
    box: tuple[tuple[float, float], ...] | None
    plane: str
    hidden: tuple[int, ...] | None
    view: str
    frames: int | None
    fps: float | None
    size: tuple[int, int] | None
    dpi: float
    out: Path
    save_run: Path | None
    quiet: bool


# -- option types -------------------------------------------------------------------------------


class CommaList(click.ParamType):
    """A comma-separated list, each item checked by ``convert_one``."""

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        items = [s.strip() for s in str(value).split(",")]
        if not all(items):
            self.fail(f"{value!r} has an empty item", param, ctx)
        return tuple(self.convert_one(s, param, ctx) for s in items)


class Optimizers(CommaList):
    name = "optimizer[,optimizer...]"

    def convert_one(self, s, param, ctx):
        if s not in OPTIMIZERS:
            self.fail(f"{s!r} is not one of {', '.join(OPTIMIZERS)}", param, ctx)
        return s


class Numbers(CommaList):
    """Finite numbers, comma-separated; ``positive`` ones only for learning rates."""

    def __init__(self, name: str, *, positive: bool = False):
        self.name, self.positive = name, positive

    def convert_one(self, s, param, ctx):
        try:
            v = float(s)
        except ValueError:
            self.fail(f"{s!r} is not a number", param, ctx)
        if not math.isfinite(v):
            self.fail(f"{s!r} is not a finite number", param, ctx)
        if self.positive and v <= 0:
            self.fail(f"{s!r} must be a positive number", param, ctx)
        return v


class Columns(CommaList):
    name = "COL[,COL]"

    def convert_one(self, s, param, ctx):
        return s


class Widths(CommaList):
    name = "W[,W...]"

    def convert_one(self, s, param, ctx):
        if not s.isdigit() or not 1 <= int(s) <= 4096:
            self.fail(f"{s!r} is not a layer width from 1 to 4096", param, ctx)
        return int(s)


class FunctionName(click.ParamType):
    """A named test function, or a formula in x and y: parsed here, so a bad one is a usage
    error that quotes it and names the bad token."""

    name = "NAME|FORMULA"

    def convert(self, value, param, ctx):
        if value in FUNCTIONS:
            return value
        try:
            Expression(value)
        except GdvizError as exc:
            named = ", ".join(FUNCTIONS)
            self.fail(f"{exc} (or name a function: {named})", param, ctx)
        return value


class Size(click.ParamType):
    name = "WxH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(value))
        if not m or min(int(m[1]), int(m[2])) < 100 or max(int(m[1]), int(m[2])) > 8000:
            self.fail(
                f"{value!r} is not a size like 640x480 (100 to 8000 pixels a side)", param, ctx
            )
        return int(m[1]), int(m[2])


def _output(ctx, param, value):
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() not in SUFFIXES:
        raise click.BadParameter(
            f"{value!r} has no known format suffix: use one of {', '.join(SUFFIXES)}", ctx, param
        )
    return path


def _run_file(ctx, param, value):
    if value is not None and Path(value).suffix.lower() != ".npz":
        raise click.BadParameter(f"{value!r} must end in .npz", ctx, param)
    return None if value is None else Path(value)


# -- commands -----------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gdviz")
def cli():
    """gdviz: turn gradient descent into pictures that move."""


@cli.command()
@click.option(
    "--dataset",
    type=click.Choice(list(PRESETS)),
    help="A tutorial's data set (see `gdviz datasets`).",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Fit columns of a CSV file with a header row.",
)
@click.option(
    "--x", "x_col", type=Columns(), help="The CSV column for x (two, comma-separated, for a plane)."
)
@click.option("--y", "y_col", metavar="COL", help="The CSV column for y.")
@click.option(
    "--function",
    type=FunctionName(),
    help="Minimise a test function ("
    + ", ".join(FUNCTIONS)
    + ') or a formula in x and y, e.g. "x**2 + 10*y**2" (needs --init).',
)
@click.option(
    "--run",
    "run_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Re-render a run saved with --save-run.",
)
@click.option(
    "--model",
    type=click.Choice([*MODELS, "mlp"]),
    help="The model to fit; mlp is a small tanh network [default: the dataset's, else line].",
)
@click.option(
    "--loss",
    type=click.Choice(list(LOSS_NAMES)),
    help="The loss; bce and cross_entropy take class labels [default: the dataset's, else mse].",
)
@click.option(
    "--hidden", type=Widths(), help="Layer widths of --model mlp, comma-separated [default: 16,16]."
)
@click.option(
    "--optimizer",
    type=Optimizers(),
    help="One or more, comma-separated: " + ", ".join(OPTIMIZERS) + ".",
)
@click.option(
    "--lr",
    type=Numbers("lr[,lr...]", positive=True),
    help="Learning rate(s), comma-separated [default: the problem's own for each optimizer].",
)
@click.option(
    "--steps", type=click.IntRange(min=1), help="Number of updates [default: the problem's]."
)
@click.option("--init", type=Numbers("v,v,..."), help="Starting parameters, comma-separated.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for torch and the synthetic data.")
@click.option(
    "--box",
    type=Numbers("xmin,xmax,ymin,ymax"),
    help="The region the contour view shows [default: around the path].",
)
@click.option(
    "--plane",
    type=click.Choice(PLANES),
    default="pca",
    show_default=True,
    help="For three or more parameters: the plane through parameter space drawn.",
)
@click.option(
    "--no-zero-grad",
    is_flag=True,
    help="Never zero the gradients: they accumulate (the classic bug).",
)
@click.option(
    "--view",
    type=click.Choice(VIEW_NAMES),
    help="What to draw [default: fit, or contour for a function].",
)
@click.option(
    "--frames",
    type=click.IntRange(min=2),
    help="Number of frames [default: every step up to 200, else 200].",
)
@click.option(
    "--fps",
    type=click.FloatRange(min=0, min_open=True, max=100),
    default=20,
    show_default=True,
    help="Frames per second.",
)
@click.option(
    "--size",
    type=Size(),
    help="Picture size in pixels [default: 640x480; 1280x440 for the dashboard].",
)
@click.option(
    "--dpi",
    type=click.FloatRange(min=20, max=600),
    default=100,
    show_default=True,
    help="Dots per inch: scales text and lines.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    callback=_output,
    help="Output file: .gif .mp4 .html or .png [default: SOURCE-VIEW.gif].",
)
@click.option(
    "--save-run",
    type=click.Path(dir_okay=False),
    callback=_run_file,
    help="Also save the recorded run(s) to this .npz file.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def animate(
    dataset,
    csv_file,
    x_col,
    y_col,
    function,
    run_file,
    model,
    loss,
    hidden,
    optimizer,
    lr,
    steps,
    init,
    seed,
    box,
    plane,
    no_zero_grad,
    view,
    frames,
    fps,
    size,
    dpi,
    out,
    save_run,
    quiet,
):
    """Train (or load) runs and write an animation of them."""
    given = [
        n
        for n, v in (
            ("--dataset", dataset),
            ("--csv", csv_file),
            ("--function", function),
            ("--run", run_file),
        )
        if v
    ]
    if len(given) > 1:
        raise click.UsageError(f"give one source, not {' and '.join(given)}")
    if csv_file and not (x_col and y_col):
        raise click.UsageError("--csv needs --x COL and --y COL naming its columns")
    if (x_col or y_col) and not csv_file:
        raise click.UsageError("--x and --y name CSV columns; give --csv FILE too")
    if run_file:
        source = Source("run", Path(run_file).stem, Path(run_file))
        training = {
            "--model": model,
            "--loss": loss,
            "--optimizer": optimizer,
            "--lr": lr,
            "--steps": steps,
            "--init": init,
            "--seed": seed,
            "--no-zero-grad": no_zero_grad,
            "--box": box,
            "--plane": plane != "pca",
            "--hidden": hidden,
        }
        extra = [k for k, v in training.items() if v]
        if extra:
            raise click.UsageError(
                f"--run re-renders a recorded run; {', '.join(extra)} cannot change it"
            )
    elif function:
        source = Source("function" if function in FUNCTIONS else "formula", function)
        if model or loss or hidden:
            raise click.UsageError(
                f"--function {function} has no data: --model, --loss and --hidden do not apply"
            )
        if view == "fit":
            raise click.UsageError(
                f"--function {function} has no data to fit: use --view contour, loss or dashboard"
            )
        if source.kind == "formula" and not init:
            raise click.UsageError(
                f"--function {function!r} is a formula: give its start with --init X,Y"
            )
    elif csv_file:
        source = Source("csv", Path(csv_file).stem, Path(csv_file), x_col, y_col)
    else:
        source = Source("dataset", dataset or "synthetic")
    if hidden and model != "mlp" and not (source.kind == "dataset" and dataset == "moons"):
        raise click.UsageError("--hidden sets the layers of --model mlp")
    if box is not None and len(box) not in (2, 4):
        raise click.UsageError(
            f"--box takes XMIN,XMAX or XMIN,XMAX,YMIN,YMAX, not {len(box)} numbers"
        )
    if box is not None and not all(lo < hi for lo, hi in zip(box[::2], box[1::2])):
        raise click.UsageError("--box needs each minimum below its maximum (XMIN,XMAX,YMIN,YMAX)")
    view = view or ("contour" if function else "fit")
    config = AnimateConfig(
        source=source,
        model=model,
        loss=loss,
        optimizers=optimizer or (None,),
        lrs=lr or (None,),
        steps=steps,
        init=init,
        seed=seed,
        zero_grad=not no_zero_grad,
        box=None if box is None else tuple(zip(box[::2], box[1::2])),
        plane=plane,
        hidden=hidden,
        view=view,
        frames=frames,
        fps=fps,
        size=size,
        dpi=dpi,
        out=out or Path(f"{source.stem}-{view}.gif"),
        save_run=save_run,
        quiet=quiet,
    )
    run_animate(config)


@cli.command()
def datasets():
    """List the data sets and test functions, with their sources and defaults."""
    click.echo("Data sets (--dataset NAME):")
    for p in PRESETS.values():
        init = "the network's own" if p.init is None else ",".join(f"{v:g}" for v in p.init)
        click.echo(f"  {p.name:<13} {p.title}  [{p.source}]")
        click.echo(
            f"  {'':<13} model {p.model}, loss {p.loss}, optimizer {p.optimizer}, "
            f"lr {p.lr:g}, steps {p.steps}, init {init}"
        )
    click.echo("\nTest functions (--function NAME):")
    for f in FUNCTIONS.values():
        init = ",".join(f"{v:g}" for v in f.init)
        minima = "; ".join(f"({a:g}, {b:g})" for a, b in f.minima) or "none (unbounded below)"
        click.echo(f"  {f.name:<13} {f.formula}")
        click.echo(
            f"  {'':<13} start {init}, steps {f.steps}, lr {f.lr['gd']:g} (gd), minima {minima}"
        )


@cli.command()
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder for the site.")
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of example scripts [default: gdviz's gallery/].",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=64),
    default=2,
    show_default=True,
    help="Examples run at once, each in its own process.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def gallery(out, source, jobs, quiet):
    """Run every gallery example and write a static site (index.html) into OUT."""
    from gdviz.gallery import build

    def report(result, done, total):
        if quiet and not result.error:
            return
        status = f"failed: {result.error}" if result.error else ", ".join(result.media)
        click.echo(
            f"[{done}/{total}] {result.example.name} ({result.seconds:.1f} s): {status}", err=True
        )

    results = build(Path(out), source=Path(source) if source else None, jobs=jobs, on_result=report)
    failed = [r.example.name for r in results if r.error]
    if failed:
        raise GdvizError(
            f"{len(failed)} of {len(results)} examples failed: {', '.join(failed)} "
            f"(the site in {out} shows the others)"
        )
    if not quiet:
        click.echo(str(Path(out) / "index.html"))


# -- doing the work -----------------------------------------------------------------------------


def run_animate(config: AnimateConfig) -> None:
    """Make the runs, draw them, write the file(s) and say where."""
    from gdviz.export import check_target  # before any work: a bad target fails fast

    check_target(config.out)
    if config.save_run is not None:
        from gdviz.files import check_writable

        check_writable(config.save_run)
    runs = make_runs(config)
    say = (lambda *a: None) if config.quiet else click.echo
    for run in runs:
        if run.diverged_at is not None:
            click.echo(
                f"gdviz: {run.label}: diverged at step {run.diverged_at}; "
                f"rendering the {run.steps + 1} snapshots recorded before it",
                err=True,
            )
    if config.save_run is not None and config.source.kind != "run":
        for path, run in zip(_run_paths(config.save_run, runs), runs):
            run.save(path)
            say(f"saved run {path}")

    from gdviz.animation import animate

    anim = animate(
        runs,
        view=config.view,
        frames=config.frames,
        fps=config.fps,
        size=config.size,
        dpi=config.dpi,
    )
    anim.save(config.out, progress=False if config.quiet else None)
    say(str(config.out))


def make_runs(config: AnimateConfig) -> list:
    source = config.source
    if source.kind == "run":
        from gdviz.run import load

        return [load(source.path)]

    from gdviz.races import sweep  # torch is imported here, and only when training

    if source.kind == "csv":
        x_cols = source.x if len(source.x) > 1 else source.x[0]
        data = read_csv(source.path, x_cols, source.y)
    else:
        data = source.name
    options = {
        "model": config.model,
        "loss": config.loss,
        "steps": config.steps,
        "init": config.init,
        "seed": config.seed,
        "zero_grad": config.zero_grad,
        "box": config.box,
        "plane": config.plane,
        "hidden": config.hidden,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # divergence is reported once, above
        runs = sweep(
            data,
            optimizer=list(config.optimizers),
            lr=list(config.lrs),
            **{k: v for k, v in options.items() if v is not None},
        )
    if source.kind == "csv":
        for run in runs:
            run.meta.update(source=source.name, y_label=source.y)
            if len(source.x) == 1:
                run.meta["x_label"] = source.x[0]
            else:
                run.meta["columns"] = list(source.x)
    return runs


def _run_paths(path: Path, runs: list) -> list[Path]:
    if len(runs) == 1:
        return [path]
    slugs = [re.sub(r"[^A-Za-z0-9.]+", "-", r.label).strip("-") for r in runs]
    return [path.with_name(f"{path.stem}-{slug}{path.suffix}") for slug in slugs]


# -- entry point --------------------------------------------------------------------------------


def _terminate(signum, frame):
    # SIGTERM ends the program through the same clean-up path as Ctrl-C: no half-written file.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure at run time, 2 usage)."""
    signal.signal(signal.SIGTERM, _terminate)
    logging.basicConfig(level=logging.WARNING, format="gdviz: %(message)s")
    try:
        status = cli.main(args=argv, prog_name="gdviz", standalone_mode=False)
        return status if isinstance(status, int) else 0
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("gdviz: interrupted; nothing was written", err=True)
        return 130
    except GdvizError as exc:
        click.echo(f"gdviz: error: {exc}", err=True)
        return 1
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"gdviz: error: {exc.strerror or exc}{where}", err=True)
        return 1
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("GDVIZ_DEBUG"):
            raise
        click.echo(
            f"gdviz: internal error: {type(exc).__name__}: {exc} "
            "(set GDVIZ_DEBUG=1 for the traceback)",
            err=True,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
