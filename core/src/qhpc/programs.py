"""Loading programs from files: OpenQASM, JSON, QPY, ... and Python files that build a circuit.

``load_program("ghz.qasm")`` asks each installed format whether it reads the file (formats that
share an extension, like OpenQASM 2 and 3, look at its header). ``load_program("bell.py:circuit")``
runs the Python file (with ``__name__ == "__qhpc__"``, so a ``__main__`` block does not run) and
takes ``circuit`` from it: a program object in any installed framework, or a function of no
arguments returning one. Without ``:name``, the file must define exactly one program object.
Whatever the Python file prints goes to standard error, so it never mixes with qhpc's own output
(``--json``, a converted program on stdout). ``load_program("-")`` reads a text program (OpenQASM 2
or 3, qhpc JSON) from standard input and recognises it by its content.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import runpy
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qhpc_interop import InteropError

from .errors import ProgramError, QhpcError

#: How much of a file formats see to decide whether they read it (a header after 64 KiB of
#: comments is not worth supporting).
SNIFF_BYTES = 65536

if TYPE_CHECKING:
    from .integrator import Integrator


def split_spec(spec: str) -> tuple[Path, str | None]:
    """``"file.py:name"`` -> (path, name); a plain path -> (path, None)."""
    if ":" in spec:
        head, _, tail = spec.rpartition(":")
        if not Path(spec).exists():
            if tail.isidentifier():
                return Path(head), tail
            if Path(head).is_file():  # file.py:1a, file.py:
                raise ProgramError(f"{head}: {tail!r} is not a Python name to take the program from")
    return Path(spec), None


def load_program(integrator: Integrator, spec: str) -> tuple[Any, str | None]:
    """The program a file (or ``-``, standard input) holds and its format name (``None`` when it
    must be detected)."""
    if spec == "-":
        return load_stdin(integrator)
    path, name = split_spec(spec)
    if not path.exists():
        raise ProgramError(f"{path}: no such file")
    if path.is_dir():
        raise ProgramError(f"{path}: is a directory, not a program file")
    if path.stat().st_size == 0:
        raise ProgramError(f"{path}: the file is empty")
    if not os.access(path, os.R_OK):
        raise ProgramError(f"{path}: cannot read the file: permission denied")
    if path.suffix == ".py":
        return load_python(integrator, path, name), None
    if name is not None:
        raise ProgramError(f"{spec}: ':{name}' selects an object in a Python file; {path.name} is not one")
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ProgramError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    # a format that claims what others leave (a .json naming no format) is asked last
    if len(head) < SNIFF_BYTES and not head.strip():
        raise ProgramError(f"{path}: the file holds only white space")
    readers = sorted((fmt for fmt in integrator.formats.values() if fmt.extensions), key=lambda f: f.fallback_reader)
    for fmt in readers:
        if fmt.sniff(path, head):
            try:
                loaded = fmt.load_file(path)
                _check_content(integrator, path, fmt, loaded)
                return loaded, fmt.name
            except UnicodeDecodeError as exc:
                raise ProgramError(f"{path}: not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
            except QhpcError:
                raise
            except OSError as exc:
                raise ProgramError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
            except Exception as exc:  # a reader that fails on a corrupt file: say which file and format
                raise ProgramError(f"{path}: not a readable {fmt.name} file: {type(exc).__name__}: "
                                   f"{_plain(exc)}") from None
    found = _by_content(integrator, path)
    if found is not None:
        return found
    known = sorted({ext for fmt in readers for ext in fmt.extensions} | {".py"})
    raise ProgramError(f"{path}: qhpc cannot tell what program this is; it reads {', '.join(known)} files")


#: terminal colour codes, as control characters or written out (``\x1b[1m`` in a repr'd message)
_ANSI = re.compile(r"(?:\x1b|\\x1b)\[[0-9;]*[A-Za-z]")


def _plain(exc: BaseException) -> str:
    """A library's error as one plain line: terminal colour codes removed, and of a multi-line
    report (Qiskit's Rust QPY reader prints a framed backtrace) its first line and the first
    ``Error: ...`` it names."""
    text = _ANSI.sub("", str(exc))
    if "Backtrace" in text or "\\x1b" in str(exc):  # a report printed as a repr: its line breaks written out
        text = text.replace("\\n", "\n")
    text = text.strip().strip('"').strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    head = lines[0]
    cause = re.search(r"Error:\s*([^\n]+)", text)
    if cause and len(lines) > 1 and cause.group(1).strip() not in head:
        head = f"{head} {cause.group(1).strip()}"
    return head


def _check_content(integrator: Integrator, path: Path, fmt: Any, loaded: Any) -> None:
    """A text file claimed by its extension (OpenQASM 3 needs no header; the wire format reads a
    .json naming no format) whose content another format recognises, and this one does not, is
    refused saying both, as :func:`_by_content` does (OpenQASM 2 text in a ``.json``)."""
    from .builtin import SourceText

    if not isinstance(loaded, SourceText) or _detects(fmt, loaded):
        return
    other = next((name for name, f in integrator.formats.items()
                  if f.extensions and f is not fmt and _detects(f, loaded)), None)
    if other is not None:
        claimed = sorted(n for n, f in integrator.formats.items() if path.suffix.lower() in f.extensions)
        raise ProgramError(f"{path}: the extension {path.suffix} is for {' or '.join(claimed)} files, but this one "
                           f"holds {other} by its content; rename it")


def _by_content(integrator: Integrator, path: Path) -> tuple[Any, str] | None:
    """A text file no format claims by its name, recognised by its content as standard input is
    (an OpenQASM file without an extension); a file whose extension names another format than its
    content is an error saying both."""
    from .builtin import SourceText

    try:
        text = SourceText(path.read_text(encoding="utf-8-sig"), str(path))
    except (UnicodeDecodeError, OSError):
        return None
    for fmt_name, fmt in integrator.formats.items():
        if fmt.extensions and _detects(fmt, text):
            claimed = sorted(n for n, f in integrator.formats.items() if path.suffix.lower() in f.extensions)
            if claimed and fmt_name not in claimed:
                raise ProgramError(f"{path}: the extension {path.suffix} is for {' or '.join(claimed)} files, but this "
                                   f"one holds {fmt_name} by its content; rename it")
            return text, fmt_name
    return None


def load_stdin(integrator: Integrator) -> tuple[Any, str]:
    """A text program read from standard input, recognised by its content."""
    from .builtin import SourceText

    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    if not data.strip():
        raise ProgramError("<stdin>: standard input is empty")
    try:
        text = SourceText(data.decode("utf-8-sig"), "<stdin>")
    except UnicodeDecodeError as exc:
        raise ProgramError(f"<stdin>: not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for fmt_name, fmt in integrator.formats.items():
        if fmt.extensions and _detects(fmt, text):
            return text, fmt_name
    # a file form recognised by its content (the JSON documents of the other kinds: a format whose
    # sniff accepts these bytes but not an empty file, so looks inside): read by the format's own
    # reader from a private copy, errors naming <stdin>
    for fmt_name, fmt in integrator.formats.items():
        for ext in fmt.extensions:
            name = Path("stdin" + ext)
            if not fmt.sniff(name, data[:SNIFF_BYTES]) or fmt.sniff(name, b""):
                continue
            with tempfile.TemporaryDirectory(prefix="qhpc-stdin-") as tmp:
                copy = Path(tmp) / ("stdin" + ext)
                copy.write_bytes(data)
                try:
                    return fmt.load_file(copy), fmt_name
                except (QhpcError, InteropError) as exc:
                    raise ProgramError(str(exc).replace(str(copy), "<stdin>")) from None
                except Exception as exc:
                    raise ProgramError(f"<stdin>: not a readable {fmt_name} program: {type(exc).__name__}: "
                                       f"{_plain(exc)}") from None
    raise ProgramError("<stdin>: qhpc does not recognise this program by its content; standard input takes "
                       "OpenQASM 2 or 3 (starting with an OPENQASM header) or qhpc JSON; pass other programs as files")


def _detects(fmt: Any, text: str) -> bool:
    try:
        return bool(fmt.detect(text))
    except QhpcError:
        raise
    except Exception:
        return False


@contextlib.contextmanager
def _output_to_stderr() -> Iterator[None]:
    """Send what user code prints (Python's ``print`` and writes to file descriptor 1) to stderr."""
    saved: int | None = None
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError, AttributeError):  # no real stdout (embedded, closed): Python level only
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 1)
            os.close(saved)


def load_python(integrator: Integrator, path: Path, name: str | None) -> Any:
    """Run a Python file and return the program object it defines (see module docstring)."""
    with _output_to_stderr():
        return _load_python(integrator, path, name)


def _raised(path: Path, exc: BaseException, what: str) -> ProgramError:
    line = _line_in(path, exc)
    detail = f": {exc}" if str(exc) else ""
    return ProgramError(f"{path}{line}: {what} raised {type(exc).__name__}{detail}")


def _load_python(integrator: Integrator, path: Path, name: str | None) -> Any:
    # the working directory is put back after the file runs, and what it prints at exit goes to stderr
    here = os.getcwd()
    try:
        return _run_python(integrator, path, name)
    finally:
        if os.getcwd() != here:  # (a file that changed it would move every relative path given after it)
            os.chdir(here)
        atexit.unregister(_stdout_to_stderr)
        atexit.register(_stdout_to_stderr)  # (registered last, so it runs before the file's own handlers)


def _stdout_to_stderr() -> None:
    """At exit: what a program file's exit handlers print goes to stderr, not after the converted program."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
        os.dup2(2, 1)
    sys.stdout = sys.stderr


def _run_python(integrator: Integrator, path: Path, name: str | None) -> Any:
    directory = str(path.resolve().parent)
    sys.path.insert(0, directory)
    try:
        namespace = runpy.run_path(str(path), run_name="__qhpc__")
    except SystemExit as exc:
        raise ProgramError(f"{path}: the file called exit({exc.code}) while qhpc loaded it") from None
    except SyntaxError as exc:
        raise ProgramError(f"{path}:{exc.lineno}:{exc.offset or 0}: invalid Python: {exc.msg}") from None
    except BaseException as exc:  # anything the user's code raises, BaseException subclasses included
        raise _raised(path, exc, "running the file") from None
    finally:
        if sys.path and sys.path[0] == directory:
            sys.path.pop(0)
    if name is not None:
        if name not in namespace:
            found = _programs(integrator, namespace)
            hint = f"; it defines {', '.join(found)}" if found else ""
            raise ProgramError(f"{path}: defines no {name!r}{hint}")
        obj = namespace[name]
        if isinstance(obj, type):  # (called, a class makes an empty program: QuantumCircuit() is one)
            raise ProgramError(f"{path}: {name} is a class ({obj.__module__}.{obj.__qualname__}), not a program "
                               "or a function that returns one")
        if callable(obj) and not _is_program(integrator, obj):
            try:
                obj = obj()
            except SystemExit as exc:
                raise ProgramError(f"{path}: {name}() called exit({exc.code})") from None
            except BaseException as exc:
                raise _raised(path, exc, f"{name}()") from None
        if not _is_program(integrator, obj):
            made = f"{name}() returns" if callable(namespace[name]) else f"{name} is"
            raise ProgramError(f"{path}: {made} an object of type {type(obj).__qualname__}, not a program qhpc reads "
                               f"(formats: {', '.join(sorted(integrator.formats))})")
        return obj
    found = _programs(integrator, namespace)
    if len(found) == 1:
        return namespace[found[0]]
    if not found:
        raise ProgramError(f"{path}: defines no program object qhpc can read; name one with {path}:NAME")
    raise ProgramError(f"{path}: defines several programs ({', '.join(found)}); choose one with {path}:NAME")


def _is_program(integrator: Integrator, obj: object) -> bool:
    try:
        integrator.detect_format(obj)
        return True
    except ProgramError:
        return False


def _programs(integrator: Integrator, namespace: dict[str, Any]) -> list[str]:
    return [
        key for key, value in namespace.items()
        if not key.startswith("_") and not isinstance(value, (str, bytes, type)) and not callable(value)
        and _is_program(integrator, value)
    ]


def _line_in(path: Path, exc: BaseException) -> str:
    """``:LINE`` of the deepest traceback frame inside ``path``, if any."""
    target = str(path.resolve())
    line = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and Path(frame.filename).resolve().as_posix() == Path(target).as_posix():
            line = f":{frame.lineno}"
    return line
