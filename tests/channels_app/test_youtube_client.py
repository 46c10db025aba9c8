"""YouTubeClient against recorded yt-dlp info dicts and a local caption server.

yt-dlp is replaced only at its network boundary (`_extract_info`); caption files are fetched
over real HTTP from a server on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from yt_dlp.utils import DownloadError

from channels_app.services import youtube
from channels_app.services.youtube import (
    RETRY_AFTER_CAP_S,
    YouTubeClient,
    YouTubeError,
    caption_track_pick,
)
from channels_app.services.youtube_urls import parse_youtube_url

DATA = Path(__file__).parent / "data" / "ytdlp"
REALDATA = Path(
    os.environ.get("YOPPY_REALDATA") or Path(__file__).resolve().parents[3] / "shared" / "realdata"
)
REAL_YTDLP = REALDATA / "ytdlp_info"
needs_realdata = pytest.mark.skipif(not REAL_YTDLP.is_dir(), reason=f"no real yt-dlp dumps at {REAL_YTDLP}")

CHANNEL = parse_youtube_url("https://www.youtube.com/@yoppytest")
VIDEOS_TAB = "https://www.youtube.com/@yoppytest/videos"
STREAMS_TAB = "https://www.youtube.com/@yoppytest/streams"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def load_real(relative: str) -> dict[str, Any]:
    return json.loads((REAL_YTDLP / relative).read_text())


class RecordedYouTube(YouTubeClient):
    """A YouTubeClient whose yt-dlp answers are recorded info dicts.

    `answers` maps a URL to an info dict, an exception to raise, or a list of those given in turn.
    Flat listings honour `playlist_items` the way yt-dlp does ("0": no entries, "1:N": first N).
    """

    def __init__(self, answers: dict[str, Any], **kwargs: Any) -> None:
        self.sleeps: list[float] = []
        kwargs.setdefault("max_attempts", 4)
        kwargs.setdefault("backoff_base_s", 2.0)
        kwargs.setdefault("cookies_file", "")
        super().__init__(sleep=self.sleeps.append, **kwargs)
        self.answers = answers
        self.calls: list[tuple[str, bool, str]] = []

    def _extract_info(self, url: str, *, flat: bool, playlist_items: str = "") -> dict[str, Any]:
        self.calls.append((url, flat, playlist_items))
        answer = self.answers[url]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, Exception):
            raise answer
        info = copy.deepcopy(answer)
        if flat and playlist_items and "entries" in info:
            end = 0 if playlist_items == "0" else int(playlist_items.split(":")[1])
            info["entries"] = info["entries"][:end]
        return info


def ids(listings) -> list[str]:
    return [v.youtube_id for v in listings]


def reasons(listings) -> dict[str, str]:
    return {v.youtube_id: v.skip_reason for v in listings}


def ingestible(listings) -> list[str]:
    return [v.youtube_id for v in listings if not v.skip_reason]


# --------------------------------------------------------------------------------------------
# A local caption server


class CaptionServer:
    """Serves caption files on 127.0.0.1: the body echoes the request's query so a test can tell
    which track was fetched. `script` holds (status, headers) answers to give first, in order;
    `always` is a status to give forever."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.always: int | None = None
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                if server.script:
                    status, headers = server.script.pop(0)
                elif server.always is not None:
                    status, headers = server.always, {}
                else:
                    status, headers = 200, {}
                body = urlsplit(self.path).query.encode() if status == 200 else b"no"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def local(self, info: dict[str, Any]) -> dict[str, Any]:
        """`info` with its caption URLs pointing at this server."""
        text = json.dumps(info).replace(
            "https://www.youtube.com/api/timedtext", f"{self.base_url}/api/timedtext"
        )
        return json.loads(text)

    def last_query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.requests[-1]).query)


@pytest.fixture
def caption_server():
    server = CaptionServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def captions_client(server: CaptionServer, info: dict[str, Any], **kwargs: Any) -> RecordedYouTube:
    return RecordedYouTube({f"https://www.youtube.com/watch?v={info['id']}": server.local(info)}, **kwargs)


# --------------------------------------------------------------------------------------------
# Channel, playlist and video info


def test_it_resolves_a_channel_from_its_page_without_listing_or_searching():
    client = RecordedYouTube({"https://www.youtube.com/@yoppytest": load("channel_videos_tab.json")})

    info = client.channel_info(CHANNEL)

    assert info.youtube_channel_id == "UCyoppyTestChannel000001"
    assert info.title == "Yoppy Test"  # not the tab's "Yoppy Test - Videos"
    assert info.handle == "@yoppytest"
    assert info.avatar_url == "https://yt3.googleusercontent.com/avatar=s900"  # the largest square one
    assert info.description == "We test Yoppy on camera."
    assert info.url == "https://www.youtube.com/channel/UCyoppyTestChannel000001"
    assert client.calls == [("https://www.youtube.com/@yoppytest", True, "0")]


@needs_realdata
def test_it_reads_the_real_channel_page_metadata_and_its_uncropped_avatar():
    target = parse_youtube_url("https://www.youtube.com/c/PinchflatTestChannel")
    page = load_real("channel_tab/pinchflat_channel_source_metadata.json")  # its "entries" are []
    client = RecordedYouTube({target.canonical_url: page, f"{target.canonical_url}/videos": page})

    info = client.channel_info(target)

    assert info.youtube_channel_id == "UCEABC123"
    assert info.title == "PinchflatTestChannel"
    assert info.handle == "@PinchflatTestChannel"
    assert info.avatar_url == "https://google.ca"
    assert info.description == "This is a test file for Pinchflat"
    assert client.list_videos(target) == []


@needs_realdata
def test_a_playlist_is_described_by_its_title_and_its_owner():
    target = parse_youtube_url("https://www.youtube.com/playlist?list=PLIF2opf2-1Pr0NEsp3YeRlmYVUCXip-CM")
    client = RecordedYouTube(
        {target.canonical_url: load_real("flat_playlist/slash_playlist_PLIF2opf2_flat.json")}
    )

    info = client.channel_info(target)

    assert info.title == "HighAction/Preparing for War"
    assert info.youtube_channel_id == "UC0Xy-rOR0lzrEm9Is87LZQQ"
    assert info.handle == "@Sukadia"
    assert info.url == "https://www.youtube.com/channel/UC0Xy-rOR0lzrEm9Is87LZQQ"


@needs_realdata
def test_a_single_video_is_described_by_its_channel():
    target = parse_youtube_url("https://youtu.be/ABC123abcde")
    client = RecordedYouTube(
        {target.canonical_url: load_real("single_video/pinchflat_media_metadata.full_info.json")}
    )

    info = client.channel_info(target)

    assert (info.youtube_channel_id, info.title, info.handle) == (
        "UCEABC123",
        "PinchflatTestChannel",
        "@PinchflatTestChannel",
    )
    assert client.calls == [(target.canonical_url, False, "")]


# --------------------------------------------------------------------------------------------
# Listing


def test_it_lists_the_videos_tab_flat_newest_first_with_skipped_videos_kept():
    client = RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json")})

    listings = client.list_videos(CHANNEL)

    assert ids(listings) == [entry["id"] for entry in load("channel_videos_tab.json")["entries"]]
    assert ingestible(listings) == ["vidLong0001", "vidNoDurat1", "vidLong0002", "vidLong0003"]
    assert client.calls == [(VIDEOS_TAB, True, f"1:{50 + youtube.LISTING_MARGIN}")]


def test_it_fills_the_video_fields_from_a_flat_entry():
    listing = RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json")}).list_videos(CHANNEL)[0]

    assert listing.youtube_id == "vidLong0001"
    assert listing.title == "How we test captions"
    assert listing.description == ""
    assert listing.duration_s == 1500
    assert listing.published_at == datetime(2025, 10, 8, 8, 53, 20, tzinfo=UTC)
    assert listing.thumbnail_url == "https://i.ytimg.com/vi/vidLong0001/hqdefault.jpg?sqp=large"
    assert listing.skip_reason == ""


def test_it_skips_shorts_with_the_reason():
    found = reasons(RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json")}).list_videos(CHANNEL))

    assert "Short video (45 s" in found["vidShort045"]
    assert found["vidShortUrl"] == "YouTube Short."  # its URL says so, though its length is unknown
    assert "Short video (170 s" in found["vid170secs1"]  # not long-form just because it is over 61 s
    assert "Short video (180 s" in found["vid180secs1"]
    assert found["vidLong0003"] == ""  # 181 s


def test_it_skips_upcoming_and_live_now_videos():
    found = reasons(RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json")}).list_videos(CHANNEL))

    assert found["vidUpcoming"].startswith("Upcoming")
    assert found["vidLiveNow1"] == "Live right now."


def test_it_skips_members_only_and_private_videos():
    found = reasons(RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json")}).list_videos(CHANNEL))

    assert found["vidMembers1"] == "Members-only video."
    assert found["vidPrivate1"] == "This video is private."


def test_it_ingests_a_video_of_unknown_duration():
    listings = RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json")}).list_videos(CHANNEL)

    unknown = next(v for v in listings if v.youtube_id == "vidNoDurat1")
    assert unknown.duration_s is None
    assert unknown.skip_reason == ""


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"availability": "premium_only"}, "YouTube Premium video."),
        ({"availability": "needs_auth"}, "Needs a signed-in viewer (age-restricted or members-only)."),
        ({"availability": "private"}, "This video is private."),
        ({"title": "[Deleted video]"}, "This video was deleted."),
        ({"live_status": "post_live"}, "Past live stream (live-stream replays are not included)."),
        ({"live_status": "was_live"}, "Past live stream (live-stream replays are not included)."),
        ({"live_status": "not_live"}, ""),
    ],
)
def test_each_kind_of_unavailable_video_gets_its_reason(changes, reason):
    entry = {**load("channel_videos_tab.json")["entries"][0], **changes}

    assert youtube._listing(entry, include_live=False, from_shorts=False).skip_reason == reason


def test_entries_of_a_shorts_tab_are_shorts_whatever_their_length():
    entry = load("channel_videos_tab.json")["entries"][0]  # 1500 s

    assert youtube._listing(entry, include_live=False, from_shorts=True).skip_reason == "YouTube Short."


def test_it_returns_only_limit_ingestible_videos_newest_first():
    client = RecordedYouTube({VIDEOS_TAB: load("channel_many_videos_tab.json")})

    listings = client.list_videos(CHANNEL, limit=3)

    # Video 1 (members-only) sits between the first three ingestible ones and is kept;
    # video 4, the next members-only one, comes after the third and is not.
    assert ids(listings) == ["manyVideo00", "manyVideo01", "manyVideo02", "manyVideo03"]
    assert ingestible(listings) == ["manyVideo00", "manyVideo02", "manyVideo03"]
    assert client.calls == [(VIDEOS_TAB, True, f"1:{3 + youtube.LISTING_MARGIN}")]


def test_it_reads_further_when_the_first_entries_are_mostly_skipped():
    tab = load("channel_many_videos_tab.json")
    members, long_video = tab["entries"][1], tab["entries"][0]
    tab["entries"] = [{**members, "id": f"members{i:04d}"} for i in range(30)] + [
        {**long_video, "id": f"longVid{i:04d}"} for i in range(5)
    ]
    client = RecordedYouTube({VIDEOS_TAB: tab})

    listings = client.list_videos(CHANNEL, limit=2)

    assert ingestible(listings) == ["longVid0000", "longVid0001"]
    assert len(listings) == 32
    assert [items for _, _, items in client.calls] == ["1:22", "1:44"]


def test_it_leaves_out_past_live_streams_unless_replays_are_included():
    client = RecordedYouTube(
        {VIDEOS_TAB: load("channel_videos_tab.json"), STREAMS_TAB: load("channel_streams_tab.json")}
    )

    without = client.list_videos(CHANNEL)

    assert not any(v.youtube_id.startswith("str") for v in without)
    assert [url for url, _, _ in client.calls] == [VIDEOS_TAB]


def test_it_merges_stream_replays_with_videos_by_date_when_replays_are_included():
    client = RecordedYouTube(
        {VIDEOS_TAB: load("channel_videos_tab.json"), STREAMS_TAB: load("channel_streams_tab.json")}
    )

    listings = client.list_videos(CHANNEL, include_live=True)

    assert ingestible(listings) == [
        "vidLong0001",
        "strReplay01",  # streamed a day and a half ago, between the first and second videos
        "vidNoDurat1",
        "vidLong0002",
        "vidLong0003",
        "strReplay02",  # twenty days ago, older than every video
    ]
    assert reasons(listings)["strLiveNow1"] == "Live right now."
    assert reasons(listings)["strUpcomin1"].startswith("Upcoming")
    assert [url for url, _, _ in client.calls] == [VIDEOS_TAB, STREAMS_TAB]


def test_a_channel_that_never_streamed_lists_its_videos_only():
    missing = DownloadError("ERROR: [youtube:tab] @yoppytest: This channel does not have a streams tab")
    client = RecordedYouTube({VIDEOS_TAB: load("channel_videos_tab.json"), STREAMS_TAB: missing})

    listings = client.list_videos(CHANNEL, include_live=True)

    assert ingestible(listings) == ["vidLong0001", "vidNoDurat1", "vidLong0002", "vidLong0003"]
    assert client.sleeps == []


def test_a_playlist_keeps_its_own_order_and_its_skipped_entries():
    target = parse_youtube_url("https://www.youtube.com/playlist?list=PLyoppyTestPlaylist00001")
    client = RecordedYouTube({target.canonical_url: load("playlist_mixed.json")})

    listings = client.list_videos(target)

    assert ids(listings) == ["plLong00002", "plReplay001", "plDeleted01", "plLong00001"]
    assert reasons(listings) == {
        "plLong00002": "",
        "plReplay001": "Past live stream (live-stream replays are not included).",
        "plDeleted01": "This video was deleted.",
        "plLong00001": "",
    }
    assert ingestible(client.list_videos(target, include_live=True)) == [
        "plLong00002",
        "plReplay001",
        "plLong00001",
    ]


@needs_realdata
def test_the_real_flat_playlist_of_game_music_is_mostly_shorts_by_length():
    target = parse_youtube_url("https://www.youtube.com/playlist?list=PLIF2opf2-1Pr0NEsp3YeRlmYVUCXip-CM")
    client = RecordedYouTube(
        {target.canonical_url: load_real("flat_playlist/slash_playlist_PLIF2opf2_flat.json")}
    )

    listings = client.list_videos(target)

    assert [(v.youtube_id, v.duration_s) for v in listings] == [
        ("Je8iIWgavh4", 115),
        ("nvQNUxoN8gw", 180),
        ("ZxnMdkQ-OXE", 83),
        ("M0_Zvp59TaA", 297),
    ]
    # A flat playlist carries no aspect ratio, so the 3-minute rule alone decides.
    assert ingestible(listings) == ["M0_Zvp59TaA"]
    assert all(v.published_at is None for v in listings)  # flat playlists carry no dates
    assert listings[3].thumbnail_url.startswith("https://i.ytimg.com/vi/M0_Zvp59TaA/hqdefault.jpg")


@needs_realdata
def test_it_lists_a_single_video_from_its_full_info():
    target = parse_youtube_url("https://www.youtube.com/watch?v=ABC123abcde")
    client = RecordedYouTube(
        {target.canonical_url: load_real("single_video/pinchflat_media_metadata.full_info.json")}
    )

    [listing] = client.list_videos(target, limit=1)

    assert listing.youtube_id == "ABC123"
    assert listing.title == "Pinchflat Example Video"
    assert listing.duration_s == 582
    assert listing.published_at == datetime(2021, 7, 20, tzinfo=UTC)
    assert listing.thumbnail_url == "https://i.ytimg.com/vi/ABC123/maxresdefault.jpg"
    assert listing.skip_reason == ""
    assert client.calls == [(target.canonical_url, False, "")]


@needs_realdata
def test_a_short_landscape_video_is_not_a_short_but_a_short_vertical_one_is():
    info = load_real("single_video/pinchflat_media_metadata.full_info.json")

    landscape = {**info, "duration": 150}  # aspect_ratio 1.78
    vertical = {**info, "duration": 150, "aspect_ratio": 0.56}

    assert youtube._listing(landscape, include_live=False, from_shorts=False).skip_reason == ""
    assert youtube._listing(vertical, include_live=False, from_shorts=False).skip_reason.startswith(
        "Short video"
    )


# --------------------------------------------------------------------------------------------
# Caption track choice and download


def test_it_prefers_json3_over_vtt(caption_server):
    info = load("video_manual_and_auto_captions.json")
    client = captions_client(caption_server, info)

    fetched = client.video_captions("capManual01")

    assert fetched.track.fmt == "json3"
    assert caption_server.last_query()["fmt"] == ["json3"]
    assert fetched.data == urlsplit(fetched.track.url).query.encode()  # the bytes the server sent


def test_it_falls_back_to_vtt_and_never_picks_a_format_it_cannot_read(caption_server):
    info = load("video_manual_and_auto_captions.json")
    info["subtitles"]["en-US"] = [f for f in info["subtitles"]["en-US"] if f["ext"] != "json3"]
    client = captions_client(caption_server, info)

    assert client.video_captions("capManual01").track.fmt == "vtt"

    info["subtitles"]["en-US"] = [f for f in info["subtitles"]["en-US"] if f["ext"] == "srv3"]
    picked = caption_track_pick(info)
    assert picked.fmt in {"json3", "vtt"} and picked.source == "auto"


def test_it_prefers_the_creators_captions_over_auto_generated_ones(caption_server):
    client = captions_client(caption_server, load("video_manual_and_auto_captions.json"))

    fetched = client.video_captions("capManual01")

    assert (fetched.track.source, fetched.track.language) == ("manual", "en-US")
    assert caption_server.last_query()["lang"] == ["en-US"]


def test_en_matches_en_us_captions():
    info = load("video_manual_and_auto_captions.json")

    track = caption_track_pick(info, preferred_language="en")

    assert (track.source, track.language) == ("manual", "en-US")


def test_an_exact_language_match_wins_over_a_regional_one():
    info = load("video_manual_and_auto_captions.json")
    info["subtitles"]["en"] = copy.deepcopy(info["subtitles"]["en-US"])

    assert caption_track_pick(info, preferred_language="en").language == "en"
    assert caption_track_pick(info, preferred_language="en-US").language == "en-US"


def test_the_preferred_language_wins_over_the_videos_language():
    info = load("video_manual_and_auto_captions.json")  # language "en"

    track = caption_track_pick(info, preferred_language="fr")

    assert (track.source, track.language) == ("manual", "fr")


def test_without_creator_captions_it_takes_the_original_auto_track_not_a_translation():
    info = load("video_manual_and_auto_captions.json")
    info["subtitles"] = {}

    track = caption_track_pick(info, preferred_language="de")  # only a machine translation in German

    assert (track.source, track.language, track.fmt) == ("auto", "en", "json3")
    assert "tlang" not in parse_qs(urlsplit(track.url).query)


@needs_realdata
def test_it_picks_the_original_language_auto_track_of_the_real_video(caption_server):
    info = load_real("single_video/pinchflat_media_metadata.full_info.json")  # language en, manual de only
    client = RecordedYouTube({"https://www.youtube.com/watch?v=ABC123abcde": caption_server.local(info)})

    fetched = client.video_captions("ABC123abcde")

    assert (fetched.track.source, fetched.track.language, fetched.track.fmt) == ("auto", "en", "json3")
    query = caption_server.last_query()
    assert query["lang"] == ["en"]
    assert "tlang" not in query  # not one of the ~150 translations


@needs_realdata
def test_the_real_videos_german_creator_track_is_taken_when_german_is_preferred():
    info = load_real("single_video/pinchflat_media_metadata.full_info.json")

    track = caption_track_pick(info, preferred_language="de")

    assert (track.source, track.language, track.fmt) == ("manual", "de", "json3")


def test_it_recognises_the_original_auto_track_without_an_orig_key():
    info = load("video_auto_captions_without_orig_key.json")  # no language, auto only, live chat

    assert caption_track_pick(info).language == "es"
    # Asked for English, which exists only as a translation: the Spanish original is better.
    track = caption_track_pick(info, preferred_language="en")
    assert (track.source, track.language) == ("auto", "es")
    assert "tlang" not in parse_qs(urlsplit(track.url).query)


def test_it_skips_hls_caption_playlists():
    info = load("video_manual_and_auto_captions.json")
    info["subtitles"] = {}
    info["automatic_captions"] = {"de-orig": info["automatic_captions"]["de"][:1]}  # the m3u8 only

    assert caption_track_pick(info) is None


def test_it_returns_none_when_the_video_has_no_captions(caption_server):
    info = load("video_without_captions.json")
    client = captions_client(caption_server, info)

    assert client.video_captions("capNoneAtAl") is None
    assert caption_server.requests == []


def test_a_live_chat_replay_is_not_captions():
    info = load("video_auto_captions_without_orig_key.json")
    info["automatic_captions"] = {}

    assert caption_track_pick(info) is None


def test_it_retries_a_429_with_growing_backoff_then_succeeds(caption_server):
    caption_server.script = [(429, {}), (429, {})]
    client = captions_client(caption_server, load("video_manual_and_auto_captions.json"), backoff_base_s=2.0)

    fetched = client.video_captions("capManual01")

    assert fetched.track.fmt == "json3"
    assert len(caption_server.requests) == 3
    first, second = client.sleeps
    assert 2.0 <= first < 4.0  # base * 2**0 + jitter below one base
    assert 4.0 <= second < 6.0  # base * 2**1 + jitter
    assert second > first


def test_it_honours_retry_after_but_caps_it(caption_server):
    caption_server.script = [(429, {"Retry-After": "7"}), (503, {"Retry-After": "86400"})]
    client = captions_client(caption_server, load("video_manual_and_auto_captions.json"))

    assert client.video_captions("capManual01") is not None
    assert client.sleeps == [7.0, RETRY_AFTER_CAP_S]


def test_a_persistent_500_fails_as_retryable_after_the_configured_attempts(caption_server, settings):
    settings.YOUTUBE_MAX_ATTEMPTS = 3
    settings.YOUTUBE_BACKOFF_BASE_S = 0.5
    caption_server.always = 500
    info = load("video_manual_and_auto_captions.json")
    client = RecordedYouTube(
        {"https://www.youtube.com/watch?v=capManual01": caption_server.local(info)},
        max_attempts=None,
        backoff_base_s=None,
    )

    with pytest.raises(YouTubeError) as raised:
        client.video_captions("capManual01")

    assert raised.value.retryable is True
    assert "HTTP 500" in str(raised.value)
    assert len(caption_server.requests) == 3
    assert len(client.sleeps) == 2
    assert 0.5 <= client.sleeps[0] < 1.0 <= client.sleeps[1] < 1.5


def test_a_refused_caption_download_is_not_retried(caption_server):
    caption_server.always = 403
    client = captions_client(caption_server, load("video_manual_and_auto_captions.json"))

    with pytest.raises(YouTubeError) as raised:
        client.video_captions("capManual01")

    assert raised.value.retryable is False
    assert len(caption_server.requests) == 1


def test_network_errors_on_caption_download_are_retried(caption_server):
    info = caption_server.local(load("video_manual_and_auto_captions.json"))
    caption_server.httpd.shutdown()
    caption_server.httpd.server_close()  # nothing listens on that port any more
    client = RecordedYouTube({"https://www.youtube.com/watch?v=capManual01": info}, max_attempts=2)

    with pytest.raises(YouTubeError) as raised:
        client.video_captions("capManual01")

    assert raised.value.retryable is True
    assert "network error" in str(raised.value)
    assert len(client.sleeps) == 1


def test_an_empty_caption_file_is_an_error_not_empty_captions(caption_server):
    info = load("video_manual_and_auto_captions.json")
    # The server echoes the query string: a URL without one gets an empty 200 answer.
    info["subtitles"] = {"en": [{"ext": "vtt", "url": f"{caption_server.base_url}/api/timedtext"}]}
    client = captions_client(caption_server, info)

    with pytest.raises(YouTubeError, match="empty caption file") as raised:
        client.video_captions("capManual01")

    assert raised.value.retryable is False


# --------------------------------------------------------------------------------------------
# yt-dlp errors


def test_a_private_video_is_not_retryable():
    private = DownloadError(
        "ERROR: [youtube] capManual01: Private video. Sign in if you've been granted access to this video"
    )
    client = RecordedYouTube({"https://www.youtube.com/watch?v=capManual01": private})

    with pytest.raises(YouTubeError) as raised:
        client.video_captions("capManual01")

    assert raised.value.retryable is False
    assert str(raised.value) == "This video is private."
    assert len(client.calls) == 1
    assert client.sleeps == []


def test_a_429_from_ytdlp_is_retried(caption_server):
    rate_limited = DownloadError(
        "ERROR: [youtube] capManual01: Unable to download API page: HTTP Error 429: Too Many Requests"
    )
    info = caption_server.local(load("video_manual_and_auto_captions.json"))
    client = RecordedYouTube(
        {"https://www.youtube.com/watch?v=capManual01": [rate_limited, rate_limited, info]}
    )

    fetched = client.video_captions("capManual01")

    assert fetched is not None
    assert len(client.calls) == 3
    assert len(client.sleeps) == 2
    assert client.sleeps[0] < client.sleeps[1]


def test_a_lasting_429_from_ytdlp_ends_retryable():
    rate_limited = DownloadError("ERROR: [youtube:tab] @yoppytest: HTTP Error 429: Too Many Requests")
    client = RecordedYouTube({VIDEOS_TAB: rate_limited}, max_attempts=3)

    with pytest.raises(YouTubeError) as raised:
        client.list_videos(CHANNEL)

    assert raised.value.retryable is True
    assert len(client.calls) == 3


@pytest.mark.parametrize(
    ("message", "retryable"),
    [
        ("[youtube] x: Video unavailable. This video has been removed by the uploader", False),
        ("[youtube] x: Join this channel to get access to members-only content like this video", False),
        ("[youtube] x: This video is available to this channel's members on level: Gold", False),
        ("[youtube] x: Sign in to confirm your age. This video may be inappropriate for some users.", False),
        ("[youtube] x: This live event will begin in 3 hours.", False),
        ("[youtube:tab] @nobody: This channel does not exist.", False),
        ("[youtube:tab] @nobody: Unable to download webpage: HTTP Error 404: Not Found", False),
        ("[youtube] x: Some brand new failure yt-dlp has never seen", False),
        (
            "[youtube] x: Video unavailable. This content isn't available, try again later. "
            "The current session has been rate-limited by YouTube for up to an hour.",
            True,
        ),
        ("[youtube] x: Sign in to confirm you’re not a bot.", True),
        ("[youtube] x: Unable to download API page: HTTP Error 503: Service Unavailable", True),
        ("[youtube] x: Unable to download webpage: The read operation timed out", True),
        (
            "[youtube] x: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in "
            "name resolution> (caused by TransportError(...))",
            True,
        ),
    ],
)
def test_ytdlp_errors_are_sorted_into_retryable_or_not(message, retryable):
    client = RecordedYouTube(
        {"https://www.youtube.com/watch?v=capManual01": DownloadError(f"ERROR: {message}")}
    )

    with pytest.raises(YouTubeError) as raised:
        client.video_captions("capManual01")

    assert raised.value.retryable is retryable
    assert len(client.calls) == (client.max_attempts if retryable else 1)
    assert "ERROR:" not in str(raised.value)


def test_it_refuses_what_is_not_a_video_id():
    with pytest.raises(ValueError):
        RecordedYouTube({}).video_captions("../../etc")


# --------------------------------------------------------------------------------------------
# The yt-dlp call itself


def test_ytdlp_is_called_quiet_flat_bounded_and_with_cookies(monkeypatch):
    seen: list[tuple[dict[str, Any], str, bool]] = []

    class FakeYoutubeDL:
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options

        def __enter__(self) -> FakeYoutubeDL:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def extract_info(self, url: str, download: bool) -> dict[str, Any]:
            seen.append((self.options, url, download))
            return {"id": "x", "entries": []}

    monkeypatch.setattr(youtube.yt_dlp, "YoutubeDL", FakeYoutubeDL)
    with_cookies = YouTubeClient(cookies_file="/run/secrets/cookies.txt", sleep=lambda s: None)
    without_cookies = YouTubeClient(cookies_file="", sleep=lambda s: None)

    with_cookies._extract_info(VIDEOS_TAB, flat=True, playlist_items="1:70")
    without_cookies._extract_info("https://www.youtube.com/watch?v=capManual01", flat=False)

    (flat_options, url, download), (full_options, _, _) = seen
    assert (url, download) == (VIDEOS_TAB, False)
    assert flat_options["extract_flat"] == "in_playlist"
    assert flat_options["playlist_items"] == "1:70"
    assert flat_options["quiet"] and flat_options["skip_download"] and flat_options["noplaylist"]
    assert flat_options["cookiefile"] == "/run/secrets/cookies.txt"
    assert flat_options["socket_timeout"] > 0
    assert "extract_flat" not in full_options
    assert "playlist_items" not in full_options
    assert "cookiefile" not in full_options
