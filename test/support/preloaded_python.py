"""Runs a Python program many times, each run a process of its own, without paying for its imports
each time.

Starting /usr/bin/python3 and importing botocore costs about 0.2 s of CPU, most of a short run of
the nodes' AWS command. This process imports the modules once, then forks a child per request that
runs the program file as __main__ with the request's arguments, environment and working folder,
stdout and stderr going to the files named in the request. The child is an ordinary process: it
exits through the program's own sys.exit, with Python's usual shutdown, and the exit status is
what a fresh `python3 PROGRAM ARGS` would give.

Usage: preloaded_python.py PROGRAM MODULE...; one JSON request a line on stdin:
{"id", "args", "env", "cwd", "stdout", "stderr"}; one JSON line {"id", "status"} a finished run on
stdout, status null when a signal ended it.
"""

import gc
import importlib
import json
import os
import runpy
import selectors
import sys

program, modules = sys.argv[1], sys.argv[2:]
for module in modules:
    importlib.import_module(module)
# Kept out of the collector's sight, so that a child's collections and its shutdown do not walk,
# and so copy, every object imported here: that alone cost a child more than its run.
gc.freeze()

selector = selectors.DefaultSelector()
selector.register(0, selectors.EVENT_READ)
running = 0
open_input = True
pending = b''


def start(request):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        selector.close()
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        devnull = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request['stdout'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(request['stderr'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for fd, target in ((devnull, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        sys.argv = [program, *request['args']]
        # As `python3 PROGRAM`: the program's own sys.exit ends this process, here and not in the loop.
        runpy.run_path(program, run_name='__main__')
        sys.exit(0)
    selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (request['id'], pid))


while open_input or running:
    for key, _ in selector.select():
        if key.data is None:
            # Read as it comes, not through sys.stdin's buffer, which would hide lines from select.
            chunk = os.read(0, 65536)
            if not chunk:
                selector.unregister(0)
                open_input = False
                continue
            *lines, pending = (pending + chunk).split(b'\n')
            for line in lines:
                running += 1
                start(json.loads(line))
        else:
            request_id, pid = key.data
            selector.unregister(key.fileobj)
            os.close(key.fileobj)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            running -= 1
            sys.stdout.write(json.dumps({'id': request_id, 'status': code if code >= 0 else None}) + '\n')
            sys.stdout.flush()
