"""Safe rendering: no network, no other files, no redirects; user text escaped; a character
without a glyph is an error; the render's time and memory are limited."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from circulation.ackrecord.fetcher import RecordURLFetcher, ResourceRefused, decode_data_url
from circulation.ackrecord.fonts import MissingGlyphs, check_coverage, missing_characters
from circulation.ackrecord.render import render_html
from circulation.ackrecord.renditions import current_record
from circulation.ackrecord.sandbox import SandboxError, run_limited
from circulation.records.models import Acknowledgement, Notice
from tests.ackrecord.builders import Circulated, forward, pdf_text, register_sample, squeeze
from tests.builders import Bureau

PASSWD_MARKERS = (b"root:x:0:0", b"/bin/bash", b"nologin")
REDIRECT = b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n"


class Listener:
    """A local TCP server that counts connections (and would answer with a redirect)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            with conn:
                conn.sendall(REDIRECT)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def hostile_html(listener: Listener) -> str:
    return f"""<!DOCTYPE html><html lang="zh-hans"><head>
<link rel="stylesheet" href="{listener.url("/style.css")}">
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="attachment" href="file:///etc/passwd">
<style>
@import url("{listener.url("/import.css")}");
@font-face {{ font-family: Evil; src: url("{listener.url("/font.woff2")}"); }}
body {{ background: url("{listener.url("/bg.png")}"); font-family: "Noto Serif CJK SC"; }}
p {{ background-image: url("file:///etc/passwd"); }}
</style></head><body>
<p>页面内容</p>
<img src="{listener.url("/x.png")}">
<img src="{listener.url("/redirect")}">
<img src="https://example.com/x.png">
<img src="file:///etc/passwd">
<img src="../../../../../../etc/passwd">
<object data="{listener.url("/o.svg")}"></object>
<iframe src="{listener.url("/frame")}"></iframe>
<a rel="attachment" href="{listener.url("/a.bin")}">附件</a>
</body></html>"""


def test_a_template_referencing_outside_resources_renders_without_fetching(
    listener: Listener,
) -> None:
    rendered = render_html(hostile_html(listener))
    time.sleep(0.3)  # let the listener's accept loop see any late connection
    assert listener.connections == 0
    assert rendered.pdf.startswith(b"%PDF-")
    for marker in PASSWD_MARKERS:
        assert marker not in rendered.pdf
    assert "root:x:" not in pdf_text(rendered.pdf)
    assert any("/etc/passwd" in url for url in rendered.refused_urls)
    assert any(str(listener.port) in url for url in rendered.refused_urls)


@pytest.mark.django_db
def test_notice_text_with_urls_and_html_is_escaped_and_never_fetched(
    bureau: Bureau, listener: Listener
) -> None:
    title = (
        f'<img src="{listener.url("/x.png")}"><script>alert(1)</script>'
        f'<link rel=stylesheet href="file:///etc/passwd">关于测试的通知'
    )
    notice = register_sample(bureau, title=title, instruction=f"见 {listener.url('/redirect')}")
    forward(bureau, notice, units=("GYG",))
    comment = '<img src="file:///etc/passwd"><b>加粗</b>&amp;'
    Acknowledgement.objects.filter(notice=notice).update(comment=comment)

    rendition = current_record(notice)
    data = rendition.file.read()
    time.sleep(0.3)
    assert listener.connections == 0
    for marker in PASSWD_MARKERS:
        assert marker not in data
    text = squeeze(pdf_text(data))
    assert squeeze("<script>alert(1)</script>") in text
    assert squeeze(f'<img src="{listener.url("/x.png")}">') in text
    assert squeeze(comment) in text  # shown as typed: tags and the entity are text


def test_the_html_escapes_user_text() -> None:
    from circulation.ackrecord.render import build_html
    from tests.ackrecord.test_render_units import minimal_data

    data = minimal_data(comment="<script>alert(1)</script>", title="<img src=x onerror=1>")
    html = build_html(data, rendition_id="r", generated_at=_now(), content_hash="0" * 64)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=1&gt;" in html


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def test_the_fetcher_refuses_without_touching_network_or_files(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.css").write_text("p { color: red }")
    (static / "link.css").symlink_to("/etc/passwd")
    fetcher = RecordURLFetcher([static.resolve()])

    assert fetcher.fetch((static / "ok.css").as_uri()).read() == b"p { color: red }"
    assert fetcher.fetch("data:text/plain;base64,5L2g5aW9").read() == "你好".encode()
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.com/",
        "ftp://example.com/x",
        "file:///etc/passwd",
        (static / "link.css").as_uri(),  # a link inside pointing outside
        (static / ".." / ".." / "etc" / "passwd").as_uri(),
        "file://evil.example/etc/passwd",
        "gopher://x/",
        "javascript:alert(1)",
    ):
        with pytest.raises(ResourceRefused):
            fetcher.fetch(url)


def test_data_urls_are_decoded_in_memory() -> None:
    assert decode_data_url("data:,A%20B") == ("text/plain", b"A B")
    assert decode_data_url("data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E") == (
        "image/svg+xml; charset=utf-8",
        b"<svg/>",
    )
    with pytest.raises(ResourceRefused):
        decode_data_url("data:no-comma")


@pytest.mark.parametrize("character", ["Ա", "\U0010fffd", "\ue000", "\x1b"])
def test_a_character_the_font_lacks_is_a_clear_error(character: str) -> None:
    assert missing_characters(["正常文字 abc 123 〔〕《》", f"学习{character}"]) == [character]
    with pytest.raises(MissingGlyphs) as caught:
        check_coverage([f"学习{character}"])
    assert f"U+{ord(character):04X}" in str(caught.value)


@pytest.mark.django_db
@pytest.mark.parametrize("character", ["Ա", "\U0010fffd", "\x07"])
def test_a_record_with_such_a_character_shows_a_visible_substitute(
    circulated: Circulated, character: str
) -> None:
    Notice.objects.filter(pk=circulated.notice.pk).update(instruction=f"请学习{character}")
    rendition = current_record(circulated.notice)  # never refused
    text = "".join(pdf_text(rendition.file.read()).split())
    assert f"请学习[U+{ord(character):04X}]" in text
    assert f"U+{ord(character):04X}" in text.split("字符说明", 1)[1]


def test_the_post_render_check_catches_what_slipped_through() -> None:
    html = '<html lang="zh-hans"><p style="font-family:\'Noto Serif CJK SC\'">好Ա</p></html>'
    with pytest.raises(MissingGlyphs) as caught:  # drawn by a system font (DejaVu), not ours
        render_html(html)
    assert caught.value.codepoints == ["U+0531"]


def test_a_render_that_runs_too_long_is_killed() -> None:
    with pytest.raises(SandboxError) as caught:
        run_limited(time.sleep, 30, timeout=0.5, memory_bytes=256 << 20)
    assert caught.value.reason == "timeout"
    assert run_limited(divmod, 84, 5, timeout=30, memory_bytes=256 << 20)[0] == (16, 4)


def test_a_render_that_needs_too_much_memory_is_stopped() -> None:
    with pytest.raises(SandboxError) as caught:
        run_limited(bytearray, 2 << 30, timeout=30, memory_bytes=256 << 20)
    assert caught.value.reason == "memory"
    assert run_limited(divmod, 84, 5, timeout=30, memory_bytes=256 << 20)[0] == (16, 4)


def test_exceptions_and_results_come_back_from_the_helper() -> None:
    result, stats = run_limited(divmod, 84, 5, timeout=30, memory_bytes=256 << 20)
    assert result == (16, 4)
    assert stats.max_rss_bytes >= stats.start_rss_bytes > 0
    with pytest.raises(MissingGlyphs) as caught:
        run_limited(check_coverage, ["Ա"], timeout=30, memory_bytes=256 << 20)
    assert caught.value.characters == ["Ա"]


def test_a_helper_that_died_is_replaced() -> None:
    import os
    import signal

    from circulation.ackrecord import sandbox

    run_limited(divmod, 1, 1, timeout=30, memory_bytes=256 << 20)
    helper = sandbox._helper
    assert helper is not None
    os.kill(helper.pid, signal.SIGKILL)
    time.sleep(0.2)
    assert run_limited(divmod, 9, 2, timeout=30, memory_bytes=256 << 20)[0] == (4, 1)
    assert sandbox._helper is not None
    assert sandbox._helper.pid != helper.pid


def test_the_helper_holds_no_copy_of_the_parents_sockets(tmp_path: Path) -> None:
    import os

    from circulation.ackrecord import sandbox

    marker = tmp_path / "held-open.txt"
    marker.write_text("x")
    with marker.open() as held:
        run_limited(divmod, 1, 1, timeout=30, memory_bytes=256 << 20)  # a helper exists
        if sandbox._helper is not None:  # make sure it is one forked while the file is open
            sandbox._discard(sandbox._helper, kill=True)
        run_limited(divmod, 1, 1, timeout=30, memory_bytes=256 << 20)
        helper = sandbox._helper
        assert helper is not None
        targets = {
            os.readlink(f"/proc/{helper.pid}/fd/{fd}")
            for fd in os.listdir(f"/proc/{helper.pid}/fd")
        }
        assert held.fileno() >= 0
        assert str(marker) not in targets
        assert not any(t.startswith("socket:") for t in targets)
