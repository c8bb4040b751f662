"""The tests' Snakemake runs, each in a fresh process forked from a server that imported Snakemake once.

Every Snakemake command line costs ~2.5 s of CPU before it plans anything: the import of Snakemake and of
every installed plugin (sqlmodel, pandas through the SLURM plugin, boto3 through the aws-batch one). A test
worker starts one server (``python tests/forked_snakemake.py``) that pays that once; each run is then a
process forked from it, as separate as ``subprocess.run([sys.executable, "-m", "snakemake", ...])`` makes
it:

- its own process, in its own process group (``os.killpg(run.pid, ...)`` ends the run and its jobs; a
  timeout kills the group);
- its own working folder, ``sys.argv`` and environment (``os.environ`` replaced by the one asked for: the
  caller's, as ``subprocess.run(env=None)`` passes, or the ``env`` given), plus what the server's imports
  set in theirs (the S3 storage plugin sets two ``AWS_*`` variables when imported: so does a fresh
  ``python -m snakemake``);
- stdin from ``/dev/null``, stdout and stderr on the files or pipes the caller gave, at the file-descriptor
  level, so the jobs' own subprocesses write there too;
- the interpreter's normal exit (threads joined, ``atexit`` handlers, streams flushed); its exit status,
  or the signal that ended it, reported by an intermediate process that waits for it.

:func:`run` returns what ``subprocess.run`` would (``CompletedProcess`` with the return code and the
decoded stdout and stderr), :func:`popen` a ``Popen``-like :class:`ForkedRun`. ``quick_polls=True`` applies
tests/quick_polls.py's patch in the run's process only. A caller whose environment changes the
interpreter's own start (a ``PYTHON*`` variable other than the server's) gets a real subprocess, and so
does everyone with ``CHROMAPIPE_TEST_FORKS=0`` (to compare, or to rule the server out). :class:`Relay` forks
the ``python -m snakemake`` of processes that are not the worker's (the Batch stand-in's jobs) the same way,
through a ``python`` shim on their PATH. The README's
commands (tests/test_docs.py) are never run through here: they run as a user types them.

Differences from a fresh interpreter that remain: the runs share the server's string-hash seed (Python
randomises it per interpreter, not per fork; ``random`` is reseeded in each fork), and modules are
imported once, before the run's folder and environment are set: what Snakemake's and the plugins' imports
read from the environment is the test worker's at the server's start (they read none that the tests set),
and the one value an import takes from the working folder (``snakemake.workflow.Workflow._rundir``, the
"Run directory" of the run's header) is set again in each run.
"""

import json
import locale
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

#: ``CHROMAPIPE_TEST_FORKS=0``: every run a real ``python -m snakemake`` subprocess.
ENABLED = os.environ.get("CHROMAPIPE_TEST_FORKS", "1") != "0"
#: ``CHROMAPIPE_TEST_FORKS_LOG=FILE``: a line per forked run appended to FILE when it ends (its CPU seconds with
#: its local jobs', its status, its arguments), to count and weigh a session's runs.
LOG = os.environ.get("CHROMAPIPE_TEST_FORKS_LOG")
QUICK_POLLS = Path(__file__).with_name("quick_polls.py")
_MESSAGE = 1 << 20  # the longest request (arguments and environment), in bytes


# --- the server (this file run as a script) ------------------------------------------------------


def _preload():
    """Import Snakemake, its command line and every plugin its parser loads: ``{variable: value}`` that those
    imports set in ``os.environ`` (each run sets them again, after its own environment)."""
    import gc

    environ, assigned = type(os.environ), {}
    assign = environ.__setitem__

    def recorded(self, name, value):
        assigned[name] = value
        assign(self, name, value)

    environ.__setitem__ = recorded  # recorded even where the worker's environment holds the same value
    try:
        import snakemake.cli
        import snakemake_interface_executor_plugins.executors.remote  # noqa: F401  (what quick_polls patches)

        import quick_polls  # noqa: F401

        snakemake.cli.get_argument_parser()  # imports the plugins (storage, executors, loggers, ...)
    finally:
        environ.__setitem__ = assign
    # what the imports made stays out of the runs' garbage collections: a collection (or the exit's) that
    # walked those objects would copy every page a run shares with the server (0.7 s of CPU a run, not 0.15)
    gc.freeze()
    return assigned


def _serve(control, preset):
    """Fork a run for each request on ``control`` until the test worker closes it.

    Returns only in a run's process: ``(request, stdio fds)``. Each request forks a waiter, which forks the
    run, sends the run's pid then its wait status on the request's own socket, and exits.
    """
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, _MESSAGE, 4)
        except ConnectionError:
            message, fds = b"", []
        while True:  # reap the waiters that have finished
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not message:
            os._exit(0)  # the worker has gone: running waiters and runs go on without the server
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:  # the waiter
            control.close()
            reply = socket.socket(fileno=fds[0])
            pid = os.fork()
            if pid == 0:  # the run
                reply.close()
                os.setpgid(0, 0)
                return json.loads(message), fds[1:], preset
            try:
                os.setpgid(pid, pid)  # both sides set it: it holds before the caller can signal the group
            except OSError:
                pass  # the run did it first (and may already have exec'd or ended)
            for fd in fds[1:]:
                os.close(fd)
            try:
                reply.sendall(b"%d" % pid)
                if json.loads(message).get("tied"):
                    _kill_when_the_caller_goes(pid, reply)
                _, status, usage = os.wait4(pid, 0)
                reply.sendall(b"%d %r" % (status, usage.ru_utime + usage.ru_stime))
            except OSError:
                pass  # the caller has gone
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)


def _kill_when_the_caller_goes(pid, reply):
    """Wait until run ``pid`` ends or the caller's end of ``reply`` closes (the caller was killed): then kill the
    run's process group, as killing a ``python`` started in the caller's own process group kills it."""
    ended = os.pidfd_open(pid)
    waiting = select.poll()
    waiting.register(ended, select.POLLIN)
    waiting.register(reply, select.POLLIN)
    while True:
        ready = {fd for fd, _ in waiting.poll()}
        if ended in ready:
            break
        if not reply.recv(64, socket.MSG_DONTWAIT):  # the caller sends nothing: this is its end closing
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
    os.close(ended)


def _become_the_run(request, stdio, preset):
    """Set this forked process up as ``python -m snakemake ARGS`` in the request's folder and environment."""
    for target, fd in zip((0, 1, 2), stdio):
        os.dup2(fd, target)
    for fd in set(stdio):
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(preset)
    sys.path[0] = os.getcwd()  # as `python -m` sets it
    import snakemake
    import snakemake.workflow

    snakemake.workflow.Workflow._rundir = os.getcwd()  # set when the module is imported: the server's folder
    sys.argv = [os.path.join(os.path.dirname(snakemake.__file__), "__main__.py"), *request["args"]]  # as `-m` sets it
    if request["quick_polls"]:
        from quick_polls import cap_status_check_waits

        cap_status_check_waits()
        sys.argv[0] = "snakemake"


# --- the client ------------------------------------------------------------------------------------


class ForkedRun:
    """One forked run: ``Popen``'s ``pid``, ``returncode``, ``poll``, ``wait``, ``communicate``, ``send_signal``,
    ``terminate`` and ``kill``, and ``stdout`` (a text stream) when it was asked for as ``subprocess.PIPE``."""

    def __init__(self, args, reply, stdout=None):
        self.args = args
        self.stdout = stdout
        self.stderr = None
        self.returncode = None
        self.cpu = None  # once it has ended: its CPU seconds, with its local jobs' (the children it waited for)
        self._reply = reply
        self.pid = int(self._receive(None))

    def _receive(self, timeout):
        waiting = select.poll()  # (not select.select: the worker may hold more than 1024 descriptors)
        waiting.register(self._reply, select.POLLIN)
        if not waiting.poll(None if timeout is None else max(0, timeout) * 1000):
            return None
        message = self._reply.recv(64)
        if not message:
            raise RuntimeError(
                f"the fork server lost run {getattr(self, 'pid', '?')} (see {' or '.join(s.log for s in _servers.values())})"
            )
        return message

    def poll(self):
        if self.returncode is None:
            status = self._receive(0)
            if status is not None:
                self._ended(status)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            status = self._receive(timeout)
            if status is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self._ended(status)
        return self.returncode

    def _ended(self, message):
        status, cpu = message.split()
        self.returncode, self.cpu = os.waitstatus_to_exitcode(int(status)), float(cpu)
        self._reply.close()
        if LOG:
            with open(LOG, "a") as log:
                log.write(f"{self.cpu:.2f}\t{self.returncode}\t{' '.join(map(str, self.args[1:]))[:300]}\n")

    def communicate(self, timeout=None):
        output = None
        if self.stdout is not None:
            rest = []
            reader = threading.Thread(target=lambda: rest.append(self.stdout.read()), daemon=True)
            reader.start()
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout)
            output = rest[0]
            self.stdout.close()
        self.wait(timeout)
        return output, None

    def send_signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)


class _Server:
    """A fork server of the worker (in ``environment``), started at its first run and ended when the worker exits."""

    def __init__(self, environment):
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log = tempfile.NamedTemporaryFile(prefix="chromapipe-fork-server-", suffix=".log", delete=False)
        self.log = log.name
        self.environment = dict(environment)
        self.process = subprocess.Popen(
            [sys.executable, __file__, str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.environment,
        )  # fmt: skip
        log.close()
        theirs.close()
        self.lock = threading.Lock()

    def serves(self, env):
        """Whether a run with environment ``env`` starts as the server's interpreter did."""
        start = {k: v for k, v in self.environment.items() if k.startswith("PYTHON")}
        return start == {k: v for k, v in env.items() if k.startswith("PYTHON")}

    def launch(self, args, cwd, env, stdio, quick_polls, command):
        ours, reply = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        request = {
            "args": [str(a) for a in args],
            "cwd": str(cwd or os.getcwd()),
            "env": env,
            "quick_polls": quick_polls,
        }
        with self.lock:
            socket.send_fds(self.control, [json.dumps(request).encode()], [reply.fileno(), *stdio])
        reply.close()
        return ours

    def close(self):
        self.control.close()  # the server exits when it reads the end
        self.process.wait(timeout=30)
        if self.process.returncode == 0:
            os.unlink(self.log)


_servers = {}  # the PYTHON* variables of a server's environment -> the server
_servers_lock = threading.Lock()


def _start(env):
    """What of ``env`` changes how the interpreter starts: its ``PYTHON*`` variables."""
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith("PYTHON")))


def server(env=None):
    """The worker's fork server (started on first use) for runs whose interpreter starts as with ``env`` (its
    ``PYTHON*`` variables; by default the worker's): the tests' runs share one; a stand-in scheduler's jobs,
    whose environment holds none of the worker's ``PYTHON*`` variables, get one of their own (:class:`Relay`)."""
    start = _start(os.environ if env is None else env)
    with _servers_lock:  # (a Relay's thread asks too)
        current = _servers.get(start)
        if current is None or current.process.poll() is not None:
            import atexit

            environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | dict(start)
            current = _servers[start] = _Server(environment)
            atexit.register(current.close)
    return current


def _command(args, quick_polls):
    return [sys.executable, *((str(QUICK_POLLS),) if quick_polls else ("-m", "snakemake")), *map(str, args)]


def _stdio_fd(what, devnull):
    return devnull if what in (None, subprocess.DEVNULL) else what.fileno()


def popen(args, cwd=None, env=None, stdout=None, stderr=None, quick_polls=False):
    """``subprocess.Popen([sys.executable, "-m", "snakemake", *args], ...)`` (``text=True``; ``stdout`` and
    ``stderr`` each ``None``/``DEVNULL``, a file, or ``PIPE`` for stdout and ``STDOUT`` for stderr), forked."""
    command = _command(args, quick_polls)
    env = dict(os.environ if env is None else env)
    if not ENABLED or not server().serves(env):
        # in a process group of its own, as a forked run is (a caller may signal the group)
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr, text=True,
                                start_new_session=True)  # fmt: skip
    devnull = os.open(os.devnull, os.O_RDWR)
    pipe = os.pipe() if stdout == subprocess.PIPE else None
    try:
        out = pipe[1] if pipe else _stdio_fd(stdout, devnull)
        err = out if stderr == subprocess.STDOUT else _stdio_fd(stderr, devnull)
        reply = server().launch(args, cwd, env, (devnull, out, err), quick_polls, command)
    finally:
        os.close(devnull)
        if pipe:
            os.close(pipe[1])
    stream = open(pipe[0], encoding=locale.getpreferredencoding(False)) if pipe else None
    return ForkedRun(command, reply, stream)


def run(args, cwd=None, env=None, timeout=None, check=False, quick_polls=False):
    """``subprocess.run([sys.executable, "-m", "snakemake", *args], capture_output=True, text=True, ...)``,
    forked: stdout and stderr go to temporary files (read when the run has ended); on ``timeout`` the run's
    process group is killed and ``subprocess.TimeoutExpired`` raised, as ``subprocess.run`` raises it."""
    command = _command(args, quick_polls)
    env = dict(os.environ if env is None else env)
    if not ENABLED or not server().serves(env):
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=check)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = popen(args, cwd=cwd, env=env, stdout=out, stderr=err, quick_polls=quick_polls)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the run and every job it started
            process.wait()
            raise subprocess.TimeoutExpired(command, timeout, _read(out), _read(err)) from None
        result = subprocess.CompletedProcess(command, process.returncode, _read(out), _read(err))
    if check:
        result.check_returncode()
    return result


#: ``python`` for the jobs of a stand-in scheduler (:class:`Relay`): ``python -m snakemake ARGS`` runs as a fork
#: of the test worker's server, in the caller's folder and environment, on its stdin, stdout and stderr; any
#: other command line (or no server to ask) execs the real interpreter.
SHIM = """#!{python} -I
import json, os, signal, socket, sys

PYTHON, ADDRESS = {python!r}, {address!r}
args = sys.argv[1:]
if args[:2] == ["-m", "snakemake"]:
    try:
        relay = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        relay.connect(ADDRESS)
        request = {{"args": args[2:], "cwd": os.getcwd(), "env": dict(os.environ)}}
        socket.send_fds(relay, [json.dumps(request).encode()], [0, 1, 2])
        answer = relay.recv(64)
    except OSError:
        answer = b"exec"
    if answer and answer != b"exec":
        pid = int(answer)

        def forward(number, frame):
            try:
                os.killpg(pid, number)
            except ProcessLookupError:
                pass

        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, forward)
        code = os.waitstatus_to_exitcode(int(relay.recv(64).split()[0]))
        if code < 0:  # ended by a signal: end the same way
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        sys.exit(code)
os.execv(PYTHON, [PYTHON, *args])
"""


class Relay:
    """Forks ``python -m snakemake`` for processes that are not the test worker's, such as a stand-in scheduler's
    jobs (tests/batch_server.py): ``with Relay() as relay: relay.write_shim(folder)`` writes ``folder/python``
    (:data:`SHIM`), which asks this relay, a thread of the worker, to have the worker's server fork the run.

    A relayed run is a forked run (see the module's docstring) with the shim's argv, folder, environment and
    standard streams, as ``python -m snakemake`` started by the shim's caller would be; the shim waits for it and
    exits with its status. Signals the shim gets (TERM, INT, HUP) go to the run's process group, and when the shim
    is killed the run's group is killed (the waiter sees the shim's end of the socket close). The run is forked
    from the worker's server for the caller's ``PYTHON*`` variables (:func:`server`: a job's environment holds
    none of the worker's, so its interpreter starts as theirs would). With ``CHROMAPIPE_TEST_FORKS=0`` the shim
    execs the real interpreter."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="chromapipe-relay-")
        self.address = os.path.join(self.folder, "relay")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(self.address)
        self.listener.listen(16)
        self.relayed = 0  # runs forked for a shim (the others exec'd the interpreter)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        except OSError:
            pass
        self.listener.close()
        self.thread.join(timeout=30)
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)

    def write_shim(self, folder):
        """``folder/python``: the shim (:data:`SHIM`), executable. Its path."""
        path = Path(folder) / "python"
        path.write_text(SHIM.format(python=sys.executable, address=self.address))
        path.chmod(0o755)
        return path

    def _serve(self):
        while True:
            try:
                caller, _ = self.listener.accept()
            except OSError:
                return  # closed
            with caller:
                try:
                    message, fds, _, _ = socket.recv_fds(caller, _MESSAGE, 3)
                except OSError:
                    continue
                try:
                    request = json.loads(message)
                    if not ENABLED or len(fds) != 3:
                        caller.sendall(b"exec")
                        continue
                    request.update(quick_polls=False, tied=True)
                    forks = server(request["env"])
                    with forks.lock:  # the server answers on the caller's own socket
                        socket.send_fds(forks.control, [json.dumps(request).encode()], [caller.fileno(), *fds])
                    self.relayed += 1
                finally:
                    for fd in fds:
                        os.close(fd)


def _read(file):
    file.seek(0)
    return file.read().decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")


if __name__ == "__main__":
    _control = socket.socket(fileno=int(sys.argv[1]))
    _request, _stdio, _preset = _serve(_control, _preload())
    del _control  # (closed by the waiter before it forked this run)
    _become_the_run(_request, _stdio, _preset)
    del _request, _stdio, _preset
    from snakemake.cli import main

    main()
