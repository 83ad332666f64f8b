"""Headless Chromium driven over its DevTools pipe (--remote-debugging-pipe:
NUL-separated JSON on file descriptors 3 and 4), so that a test can use
the status pages as a person does: open the login form, type into it,
press the button, follow the redirect with the cookie the browser keeps,
and then take screenshots and print to PDF of pages behind the login."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time


class Browser:
    def __init__(self, timeout=60):
        chromium = shutil.which("chromium")
        assert chromium, "chromium missing: run make deps"
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory()
        # Ours: we write to 3 (its input), read from 4 (its output).
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        os.set_inheritable(to_r, True)
        os.set_inheritable(from_w, True)

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile.name}", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")
        self.session = self.call("Target.attachToTarget",
                                 targetId=target["targetId"],
                                 flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def _read(self):
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buf:
            assert time.monotonic() < deadline, "chromium: no answer"
            chunk = os.read(self.from_r, 65536)
            assert chunk, "chromium: pipe closed"
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                assert "error" not in m, f"{method}: {m['error']}"
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        deadline = time.monotonic() + self.timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    del self.events[i]
                    return m.get("params", {})
            assert time.monotonic() < deadline, f"chromium: no {method}"
            self.events.append(self._read())

    def size(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride", session=True,
                  width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 600)

    def open(self, url):
        """Go to url; the document's final URL (after any redirect)."""
        self.events = [m for m in self.events
                       if m.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", session=True, url=url)
        self.wait_event("Page.loadEventFired")
        return self.js("location.href")

    def js(self, expression):
        r = self.call("Runtime.evaluate", session=True,
                      expression=expression, returnByValue=True)
        return r["result"].get("value")

    def log_in(self, url, name, password):
        """Fill the login form at url and press its button, as a person
        does: the URL the browser ends on."""
        self.open(url)
        self.events = [m for m in self.events
                       if m.get("method") != "Page.loadEventFired"]
        self.js("document.querySelector('input[name=name]').value = "
                f"{json.dumps(name)}; document.querySelector("
                f"'input[name=password]').value = {json.dumps(password)}; "
                "document.querySelector('button[type=submit]').click()")
        self.wait_event("Page.loadEventFired")
        return self.js("location.href")

    def html(self):
        return self.js("document.documentElement.outerHTML")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", session=True,
                         format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def pdf(self, path):
        data = self.call("Page.printToPDF", session=True,
                         printBackground=True, preferCSSPageSize=True,
                         displayHeaderFooter=False)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)
        self.profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
