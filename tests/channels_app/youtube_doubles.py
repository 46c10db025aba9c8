"""The outside world of ingestion for tests: yt-dlp replaced at its network boundary
(``YouTubeClient._extract_info``) by recorded info dicts, and caption files served over real
HTTP by a local server on a free port."""

from __future__ import annotations

import copy
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from yt_dlp.utils import DownloadError

from channels_app.services.youtube import YouTubeClient


class CaptionServer:
    """Serves ``routes[path] = (status, body)``; counts the requests each path received."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, bytes]]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                answers = server.routes.get(path) or [(404, b"")]
                status, body = answers[0] if len(answers) == 1 else answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def serve(self, path: str, *answers: tuple[int, bytes]) -> str:
        self.routes[path] = list(answers)
        return f"{self.url}{path}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class RecordedYouTube(YouTubeClient):
    """A YouTubeClient whose yt-dlp calls answer from recorded info dicts keyed by URL."""

    def __init__(self, infos: dict[str, dict], **kwargs) -> None:
        super().__init__(sleep=lambda seconds: None, **kwargs)
        self.infos = infos
        self.calls: list[str] = []

    def _extract_info(self, url: str, *, flat: bool, playlist_items: str = "") -> dict:
        self.calls.append(url)
        answer = self.infos.get(url)
        if answer is None:
            raise DownloadError(f"ERROR: [youtube] {url}: Video unavailable")
        if isinstance(answer, Exception):
            raise answer
        return copy.deepcopy(answer)


def video_info(video_id: str, *, title: str, captions: dict[str, list[tuple[str, str]]] | None = None,
               auto: dict[str, list[tuple[str, str]]] | None = None, duration: int = 600,
               language: str = "en") -> dict:
    """A full (non-flat) yt-dlp info dict with caption tracks {lang: [(ext, url), ...]}."""

    def tracks(spec):
        return {lang: [{"ext": ext, "url": url, "name": lang} for ext, url in formats] for lang, formats in (spec or {}).items()}

    return {
        "id": video_id, "title": title, "duration": duration, "language": language,
        "channel_id": "UCdemo00000000000000000", "channel": "Recorded Creator",
        "uploader_id": "@recorded", "channel_url": "https://www.youtube.com/channel/UCdemo00000000000000000",
        "live_status": "not_live", "availability": "public",
        "subtitles": tracks(captions), "automatic_captions": tracks(auto),
    }  # fmt: skip


def channel_tab(entries: list[dict], *, handle: str = "@recorded") -> dict:
    return {
        "_type": "playlist", "id": "UCdemo00000000000000000", "channel_id": "UCdemo00000000000000000",
        "channel": "Recorded Creator", "title": "Recorded Creator - Videos", "uploader_id": handle,
        "description": "A recorded channel for tests.", "channel_url": "https://www.youtube.com/channel/UCdemo00000000000000000",
        "thumbnails": [{"url": "https://yt3.googleusercontent.com/avatar=s900", "id": "avatar_uncropped"}],
        "entries": entries,
    }  # fmt: skip


def flat_entry(video_id: str, title: str, duration: int | None = 600, **extra) -> dict:
    return {"_type": "url", "ie_key": "Youtube", "id": video_id, "title": title, "duration": duration,
            "url": f"https://www.youtube.com/watch?v={video_id}", **extra}  # fmt: skip
