"""The gallery: runs every example script and writes a static site of their animations."""

from __future__ import annotations

import ast
import contextlib
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from gdviz.errors import GdvizError
from gdviz.system.files import atomic_path, clean_leftovers

MEDIA = (".gif", ".mp4", ".png", ".html")
TIMEOUT = 600  # seconds for one example


@dataclass(frozen=True)
class Example:
    """One gallery script: its title and paragraph come from its docstring."""

    path: Path
    title: str
    description: str

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass
class Result:
    """What running one example produced."""

    example: Example
    media: list[str]
    seconds: float
    error: str | None = None
    aspect: float = 1.0  # width over height of its (first) picture


def _prose(text: str) -> str:
    """A docstring paragraph as HTML: escaped, its ``code`` (single or double backticks) in
    <code>, so the card shows ``gdviz.train`` as code rather than between raw backticks."""
    parts = re.split(r"``(.+?)``|`([^`]+?)`", text)
    out = []
    for i, part in enumerate(parts):
        if part is None:
            continue
        out.append(f"<code>{html.escape(part)}</code>" if i % 3 else html.escape(part))
    return "".join(out)


def default_source() -> Path:
    """The gallery/ folder beside the package (a source checkout), else ./gallery."""
    beside = Path(__file__).resolve().parent.parent / "gallery"
    return beside if beside.is_dir() else Path("gallery")


def examples(source: Path) -> list[Example]:
    """The example scripts in ``source``, sorted by name; each must open with a docstring."""
    if not source.is_dir():
        raise GdvizError(f"gallery folder {source} does not exist")
    found = []
    for path in sorted(source.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        except SyntaxError as exc:
            raise GdvizError(f"gallery example {path.name} is not valid Python: {exc}") from None
        title, _, rest = doc.strip().partition("\n")
        if not title:
            raise GdvizError(
                f"gallery example {path.name} has no docstring (a title and a paragraph)"
            )
        found.append(Example(path, title.strip(), " ".join(rest.split())))
    if not found:
        raise GdvizError(f"gallery folder {source} holds no example scripts")
    return found


_RUNNING: set[subprocess.Popen] = set()  # examples running now, to stop on an interrupt
_LOCK = threading.Lock()


def run_example(example: Example, media_dir: Path, *, threads: int | None = None) -> Result:
    """Run one script in a scratch folder; move the animations it wrote into ``media_dir``.

    The script runs in a session of its own, so stopping it stops whatever it started too; it
    is stopped and reaped before its scratch folder is removed. ``threads`` caps the threads
    its numerical libraries use (where the environment sets none).
    """
    start = time.perf_counter()
    prefix = f"gdviz-{example.name}.pid{os.getpid()}."  # a killed gallery's, removed next time
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        env = dict(os.environ, MPLBACKEND="Agg")
        if threads is not None:
            env.setdefault("OMP_NUM_THREADS", str(threads))
        proc = subprocess.Popen(
            [sys.executable, str(example.path.resolve())],
            cwd=scratch,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        with _LOCK:
            _RUNNING.add(proc)
        try:
            _, stderr = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return Result(example, [], time.perf_counter() - start, f"took over {TIMEOUT} s")
        finally:
            _stop(proc)
            with _LOCK:
                _RUNNING.discard(proc)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
            return Result(example, [], seconds, lines[-1] if lines else f"exit {proc.returncode}")
        made = sorted(p for p in Path(scratch).iterdir() if p.suffix.lower() in MEDIA)
        if not made:
            return Result(example, [], seconds, "wrote no animation (.gif, .mp4, .png or .html)")
        names = []
        for p in made:
            target = media_dir / p.name
            shutil.move(str(p), target)
            names.append(target.name)
        return Result(example, names, seconds, aspect=_aspect(media_dir / names[0]))


def build(
    out: Path,
    *,
    source: Path | None = None,
    jobs: int = 2,
    on_result: Callable[[Result, int, int], None] | None = None,
) -> list[Result]:
    """Run every example (``jobs`` at a time) and write ``out/index.html`` with a card for each.

    A failing example gets a card saying so and does not stop the others. Links are relative,
    so the site opens from the file system or any static host.
    """
    items = examples(source or default_source())
    clean_leftovers(Path(tempfile.gettempdir()), "gdviz-*.pid*")
    out.mkdir(parents=True, exist_ok=True)
    (out / "media").mkdir(exist_ok=True)
    (out / "src").mkdir(exist_ok=True)
    results: dict[str, Result] = {}
    jobs = max(1, jobs)
    pool = ThreadPoolExecutor(max_workers=jobs)
    # Examples at once each with every core's threads wait on each other's: measured on 2
    # cores, two torch examples side by side took 10 times as long as alone.
    threads = max(1, (os.cpu_count() or 1) // jobs)
    try:
        futures = [pool.submit(run_example, ex, out / "media", threads=threads) for ex in items]
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            results[result.example.name] = result
            if on_result is not None:
                on_result(result, done, len(items))
    except BaseException:  # Ctrl-C, SIGTERM: stop every example now, not after it ends
        pool.shutdown(wait=False, cancel_futures=True)
        with _LOCK:
            running = list(_RUNNING)
        for proc in running:
            _stop(proc)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    ordered = [results[ex.name] for ex in items]
    for ex in items:
        shutil.copyfile(ex.path, out / "src" / ex.path.name)
    with atomic_path(out / "index.html") as tmp:
        tmp.write_text(page(ordered), encoding="utf-8")
    return ordered


def _stop(proc: subprocess.Popen) -> None:
    """Kill an example and everything it started (its session), and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _media_tag(name: str, title: str) -> str:
    src, alt = html.escape(f"media/{name}"), html.escape(title)
    if name.endswith(".mp4"):
        return f'<video src="{src}" controls loop muted playsinline preload="metadata"></video>'
    if name.endswith(".html"):
        return f'<p><a href="{src}">open the animation</a></p>'
    # The picture links to itself at full size: a card shows a dashboard smaller than it is.
    return f'<a href="{src}" title="full size"><img src="{src}" alt="{alt}" loading="lazy"></a>'


def _aspect(path: Path) -> float:
    """Width over height of a picture (1 where it cannot be read, or is a video)."""
    try:
        with Image.open(path) as image:
            return image.width / image.height
    except (OSError, ValueError):
        return 1.0


def _card(result: Result) -> str:
    ex = result.example
    if result.error:
        body = f'<p class="failed">This example failed to build: {html.escape(result.error)}</p>'
    else:
        body = "\n".join(_media_tag(n, ex.title) for n in result.media)
    source = html.escape(ex.path.read_text(encoding="utf-8"))
    kind = "card wide" if result.aspect > 2 else "card"
    return f"""<article class="{kind}" id="{html.escape(ex.name)}">
<h2><a href="#{html.escape(ex.name)}">{html.escape(ex.title)}</a></h2>
{body}
<p>{_prose(ex.description)}</p>
<details><summary>Source: <a href="src/{html.escape(ex.path.name)}">{html.escape(ex.path.name)}</a></summary>
<pre><code>{source}</code></pre></details>
</article>"""


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 1rem 2rem;
       color: #222; background: #fafafa; }
header p { max-width: 60rem; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.5rem; }
.card { background: white; border: 1px solid #ddd; border-radius: 8px; padding: 1rem; }
.card h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.card h2 a { color: inherit; text-decoration: none; }
.card img, .card video { width: 100%; height: auto; display: block; }
.card.wide { grid-column: span 2; }  /* a dashboard: three panels need the room */
@media (max-width: 900px) { .card.wide { grid-column: span 1; } }
.failed { color: #b00020; }
pre { overflow-x: auto; background: #f4f4f4; padding: .75rem; font-size: .8rem; }
"""


def page(results: list[Result]) -> str:
    """The gallery's index.html."""
    cards = "\n".join(_card(r) for r in results)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gdviz gallery</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>gdviz gallery</h1>
<p>Gradient descent, pictured. Each example is a short script using gdviz's public API; open its
source under the animation and run it with <code>python NAME.py</code>.</p>
</header>
<main>
{cards}
</main>
</body>
</html>
"""
