"""--parent-pid for the stand-in peers: exit when the process that started
them is gone. A shell's trap cannot run on SIGKILL (an OOM kill, `kill -9`, a
CI timeout), so scripts/demo.sh passes its pid and a killed demo leaves no
server behind."""
import os
import threading
import time


def add_argument(ap):
    ap.add_argument("--parent-pid", type=int,
                    help="exit when this process no longer exists (checked twice a second)")


def watch(pid):
    """Starts a daemon thread that ends this process once pid is gone."""
    if not pid:
        return

    def run():
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass   # it exists, under another user
            time.sleep(0.5)

    threading.Thread(target=run, daemon=True).start()
