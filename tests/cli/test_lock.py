"""A data root held by another berth process: commands fail with the holder's pid.

The holder is a real `berth load -i FIFO`: it opens the store (taking
<root>/berth.lock) and then blocks reading the FIFO until this test writes
the archive into it.
"""

import os
import subprocess
import time

import clitest


class LockTest(clitest.CliTestCase):
    def wait_for_lock(self, proc):
        lock = os.path.join(self.root, "berth.lock")
        deadline = time.time() + 30
        while time.time() < deadline:
            self.assertIsNone(proc.poll(), "holder exited early")
            try:
                with open(lock) as f:
                    if f.read().strip() == str(proc.pid):
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        self.fail("the holder never took the lock")

    def test_commands_fail_while_the_root_is_held(self):
        path, summary = self.fixture("held:1")
        fifo = os.path.join(self.tmp, "feed")
        os.mkfifo(fifo)
        holder = subprocess.Popen([clitest.BERTH, "--data-root", self.root, "load", "-i", fifo],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        try:
            self.wait_for_lock(holder)
            expected = (f"Error: data root {self.root} is in use by another berth process "
                        f"(pid {holder.pid})\n")
            for args in (["images"], ["rmi", "x"], ["image", "prune", "-f"], ["gc"], ["inspect", "x"],
                         ["load", "-i", path]):
                r = self.berth(*args)
                self.assertEqual((r.rc, r.err), (1, expected), args)
            # Feed the holder; it finishes its load and releases the root.
            with open(fifo, "wb") as f, open(path, "rb") as src:
                f.write(src.read())
            out, err = holder.communicate(timeout=60)
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
        self.assertEqual((holder.returncode, out.decode(), err.decode()), (0, "Loaded image: held:1\n", ""))
        self.assertEqual(self.ok("images", "-q", "--no-trunc"), summary["target"] + "\n")


if __name__ == "__main__":
    clitest.main()
