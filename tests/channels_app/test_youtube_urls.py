from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels_app.services.youtube_urls import InvalidYouTubeUrl, YouTubeTarget, parse_youtube_url

CHANNEL_ID = "UCBJycsmduvYEL83R_U4JriQ"
VIDEO_ID = "dQw4w9WgXcQ"
PLAYLIST_ID = "PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf"

ACCEPTED = [
    # channels
    ("https://www.youtube.com/@mkbhd", "channel", "@mkbhd", "https://www.youtube.com/@mkbhd"),
    ("youtube.com/@mkbhd/videos", "channel", "@mkbhd", "https://www.youtube.com/@mkbhd"),
    ("https://m.youtube.com/@mkbhd/streams?si=abc", "channel", "@mkbhd", "https://www.youtube.com/@mkbhd"),
    ("http://youtube.com/@mkbhd/shorts/", "channel", "@mkbhd", "https://www.youtube.com/@mkbhd"),
    ("  @mkbhd \n", "channel", "@mkbhd", "https://www.youtube.com/@mkbhd"),
    ("@Tech.Talk-2_go", "channel", "@Tech.Talk-2_go", "https://www.youtube.com/@Tech.Talk-2_go"),
    ("HTTPS://WWW.YOUTUBE.COM/@mkbhd", "channel", "@mkbhd", "https://www.youtube.com/@mkbhd"),
    (
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
        "channel",
        CHANNEL_ID,
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
    ),
    (
        f"www.youtube.com/channel/{CHANNEL_ID}/featured",
        "channel",
        CHANNEL_ID,
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
    ),
    (
        f"https://music.youtube.com/channel/{CHANNEL_ID}",
        "channel",
        CHANNEL_ID,
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
    ),
    (
        "https://www.youtube.com/c/LinusTechTips/videos",
        "channel",
        "c/LinusTechTips",
        "https://www.youtube.com/c/LinusTechTips",
    ),
    ("youtube.com/user/pewdiepie", "channel", "user/pewdiepie", "https://www.youtube.com/user/pewdiepie"),
    # playlists
    (
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}",
        "playlist",
        PLAYLIST_ID,
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}",
    ),
    (
        f"music.youtube.com/playlist?list={PLAYLIST_ID}&si=x",
        "playlist",
        PLAYLIST_ID,
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}",
    ),
    (
        f"https://www.youtube.com/watch?list={PLAYLIST_ID}",
        "playlist",
        PLAYLIST_ID,
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}",
    ),
    # videos
    (
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://www.youtube.com/watch?v={VIDEO_ID}&t=42s&si=Xy_z",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://www.youtube.com/watch?feature=share&v={VIDEO_ID}#t=10",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    # A watch link inside a playlist is the video (decision recorded in youtube_urls.py).
    (
        f"https://www.youtube.com/watch?v={VIDEO_ID}&list={PLAYLIST_ID}&index=3",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://youtu.be/{VIDEO_ID}?si=abc&t=42",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (f"youtu.be/{VIDEO_ID}", "video", VIDEO_ID, f"https://www.youtube.com/watch?v={VIDEO_ID}"),
    (
        f"https://www.youtube.com/shorts/{VIDEO_ID}",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://www.youtube.com/live/{VIDEO_ID}?feature=shared",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://www.youtube.com/embed/{VIDEO_ID}",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}?rel=0",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://www.youtube.com/v/{VIDEO_ID}",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://m.youtube.com/watch?v={VIDEO_ID}",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
    (
        f"https://music.youtube.com/watch?v={VIDEO_ID}",
        "video",
        VIDEO_ID,
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
    ),
]

REJECTED = [
    "",
    "   \t\n",
    "mkbhd",
    "@ab",  # handles are at least 3 characters
    "@" + "a" * 31,  # and at most 30
    "@bad!handle",
    "@with space",
    "https://www.youtube.com/@bad$handle",
    "https://vimeo.com/123456",
    "https://youtube.com.evil.example/@mkbhd",
    "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
    "https://evil.example/?u=https://www.youtube.com/@mkbhd",
    "https://www.youtube.com@evil.example/@mkbhd",
    "https://evil.example@www.youtube.com/@mkbhd",
    "javascript:alert(1)",
    "JavaScript://www.youtube.com/@mkbhd",
    "ftp://www.youtube.com/@mkbhd",
    "data:text/html,<script>alert(1)</script>",
    "https://www.youtube.com/",
    "https://www.youtube.com/watch",
    "https://www.youtube.com/watch?v=short",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # 12 characters
    "https://www.youtube.com/watch?v=dQw4w9WgX!Q",
    "https://youtu.be/",
    "https://youtu.be/dQw4w9WgXcQ/extra",
    "https://www.youtube.com/shorts/",
    "https://www.youtube.com/playlist",
    "https://www.youtube.com/playlist?list=WL",  # private lists cannot be ingested
    "https://www.youtube.com/playlist?list=PL<script>",
    "https://www.youtube.com/channel/UCshort",
    "https://www.youtube.com/channel/XXBJycsmduvYEL83R_U4JriQ",
    "https://www.youtube.com/@mkbhd/community",
    "https://www.youtube.com/@mkbhd/videos/extra",
    "https://www.youtube.com/c/",
    "https://www.youtube.com/results?search_query=cats",
    "https://www.youtube-nocookie.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ and more",
    "https://[::1/",
    "https://www.youtube.com/@" + "x" * 2100,
    f"https://www.youtube.com/watch?v={VIDEO_ID}&pad=" + "x" * 2000,  # valid, but over 2,000 characters
    "x" * 2001,
    "\x00\x01",
]


@pytest.mark.parametrize(("text", "kind", "value", "canonical_url"), ACCEPTED)
def test_it_accepts_youtube_links(text, kind, value, canonical_url):
    assert parse_youtube_url(text) == YouTubeTarget(kind, value, canonical_url)


@pytest.mark.parametrize("text", REJECTED)
def test_it_rejects_anything_else_with_a_message(text):
    with pytest.raises(InvalidYouTubeUrl) as excinfo:
        parse_youtube_url(text)
    assert str(excinfo.value).strip()


@pytest.mark.parametrize("text", ["javascript:alert(1)", "data:text/html,hi", "mailto:a@youtube.com"])
def test_it_says_only_http_links_are_accepted(text):
    with pytest.raises(InvalidYouTubeUrl, match="http and https"):
        parse_youtube_url(text)


def test_its_error_is_a_value_error():
    assert issubclass(InvalidYouTubeUrl, ValueError)


def test_its_message_does_not_echo_a_huge_input():
    with pytest.raises(InvalidYouTubeUrl) as excinfo:
        parse_youtube_url("https://" + "e" * 1900 + ".example/")
    assert len(str(excinfo.value)) < 200


@given(st.text(max_size=300))
def test_arbitrary_text_raises_nothing_but_invalid_youtube_url(text):
    try:
        target = parse_youtube_url(text)
    except InvalidYouTubeUrl as exc:
        assert str(exc)
    else:
        assert target.kind in ("channel", "playlist", "video")


_pieces = st.sampled_from(
    [
        "https://",
        "http://",
        "www.",
        "m.",
        "youtube.com",
        "youtu.be",
        "youtube-nocookie.com",
        "/",
        "@",
        "watch",
        "?v=",
        "&list=",
        "playlist",
        "channel",
        "c",
        "user",
        "shorts",
        "embed",
        "live",
        "videos",
        ".",
        ":",
        "#",
        "%",
        "[",
        "\\",
        VIDEO_ID,
        CHANNEL_ID,
        PLAYLIST_ID,
        "mkbhd",
        "é",
    ]
)


@given(st.lists(_pieces, max_size=12).map("".join))
def test_url_shaped_text_parses_to_a_target_whose_canonical_url_parses_back_to_it(text):
    try:
        target = parse_youtube_url(text)
    except InvalidYouTubeUrl:
        return
    assert parse_youtube_url(target.canonical_url) == target
    assert target.canonical_url.startswith("https://www.youtube.com/")


_schemes = st.sampled_from(["", "http://", "https://"])
_hosts = st.sampled_from(["youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"])
_extra_query = st.dictionaries(
    st.sampled_from(["t", "si", "feature", "index", "pp"]),
    st.from_regex(r"\A[A-Za-z0-9_-]{1,20}\Z"),
    max_size=3,
)


@given(st.from_regex(r"\A[A-Za-z0-9_-]{11}\Z"), _schemes, _hosts, _extra_query)
def test_any_watch_link_gives_its_video(video_id, scheme, host, extra_query):
    url = f"{scheme}{host}/watch?" + urlencode({**extra_query, "v": video_id})

    assert parse_youtube_url(url) == YouTubeTarget(
        "video", video_id, f"https://www.youtube.com/watch?v={video_id}"
    )


@given(
    st.from_regex(r"\A@[A-Za-z0-9_.-]{3,30}\Z"),
    _schemes,
    _hosts,
    st.sampled_from(["", "/", "/videos", "/streams"]),
)
def test_any_valid_handle_link_gives_its_channel(handle, scheme, host, tab):
    target = parse_youtube_url(f"{scheme}{host}/{handle}{tab}")

    assert target == YouTubeTarget("channel", handle, f"https://www.youtube.com/{handle}")
    assert parse_youtube_url(handle) == target


# --- caption file names (issue 12: uploads matched to their YouTube video) --------------------

from yt_dlp.utils import DEFAULT_OUTTMPL, subtitles_filename  # noqa: E402

from channels_app.services.youtube_urls import (  # noqa: E402
    caption_filename_title,
    parse_video_ref,
    video_id_from_filename,
)


def _ytdlp_subtitle_name(title: str, video_id: str, lang: str, ext: str) -> str:
    """The name yt-dlp itself gives a subtitle file with its default output template."""
    video_file = DEFAULT_OUTTMPL["default"] % {"title": title, "id": video_id, "ext": "webm"}
    return subtitles_filename(video_file, lang, ext, "webm")


@pytest.mark.parametrize(("lang", "ext"), [("en", "vtt"), ("en-orig", "vtt"), ("de", "srt"), ("en", "json3")])
def test_it_takes_the_video_id_and_title_from_a_name_yt_dlp_wrote(lang, ext):
    name = _ytdlp_subtitle_name("Sourdough basics: the starter", VIDEO_ID, lang, ext)

    assert name == f"Sourdough basics: the starter [{VIDEO_ID}].{lang}.{ext}"
    assert video_id_from_filename(name) == VIDEO_ID
    assert caption_filename_title(name) == "Sourdough basics: the starter"


@pytest.mark.parametrize(
    ("name", "video_id", "title"),
    [
        (f"{VIDEO_ID}.en.vtt", VIDEO_ID, ""),  # "-o '%(id)s'": an id, no title
        (f"Lamination-{VIDEO_ID}.srt", VIDEO_ID, "Lamination"),  # youtube-dl's old "%(title)s-%(id)s"
        (f"downloads/Rye [{VIDEO_ID}].en.vtt", VIDEO_ID, "Rye"),
        ("captions.srt", "", ""),
        ("subtitles (2).vtt", "", ""),
        ("transcript-final.txt", "", ""),
        ("Episode 4 - rye bread.srt", "", "Episode 4 - rye bread"),
        # Eleven characters that are words, not ids: not taken for a video.
        ("sourdough12.srt", "", "sourdough12"),
        ("Episode_One.vtt", "", "Episode_One"),
    ],
)
def test_it_reads_what_a_caption_file_name_holds(name, video_id, title):
    assert (video_id_from_filename(name), caption_filename_title(name)) == (video_id, title)


@pytest.mark.parametrize(
    "text", [VIDEO_ID, f"https://www.youtube.com/watch?v={VIDEO_ID}&t=42s", f"https://youtu.be/{VIDEO_ID}", f" {VIDEO_ID} "]
)
def test_a_video_reference_is_a_link_or_a_bare_id(text):
    assert parse_video_ref(text) == VIDEO_ID


@pytest.mark.parametrize(
    ("text", "message"),
    [("https://www.youtube.com/@mkbhd", "one video"), ("dQw4w9", "not a YouTube link|not valid"), ("https://vimeo.com/1", "not a YouTube link")],
)
def test_a_video_reference_that_is_no_video_is_refused_with_a_reason(text, message):
    with pytest.raises(InvalidYouTubeUrl, match=message):
        parse_video_ref(text)
