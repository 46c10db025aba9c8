from __future__ import annotations

import pytest

from widgets.origins import OriginError, origin_normalise, origins_parse


@pytest.mark.parametrize(
    ("written", "origin"),
    [
        ("https://Example.com/", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("  https://www.example.com  ", "https://www.example.com"),
    ],
)
def test_it_writes_an_origin_the_way_browsers_send_it(written, origin):
    assert origin_normalise(written) == origin


@pytest.mark.parametrize(
    "written",
    ["", "example.com", "ftp://example.com", "https://*.example.com", "https://example.com/blog",
     "https://example.com/?a=1", "https://user:pw@example.com", "javascript:alert(1)", "null", "https://"],
)  # fmt: skip
def test_it_refuses_anything_that_is_not_exactly_one_site(written):
    with pytest.raises(OriginError):
        origin_normalise(written)


def test_it_reads_one_origin_per_line_without_duplicates():
    assert origins_parse("https://a.example\n\nhttps://A.example/\nhttp://b.example:8000") == [
        "https://a.example", "http://b.example:8000",
    ]  # fmt: skip
