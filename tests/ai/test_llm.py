from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.ai.openai_server import OpenAIServer
from yoppy.ai.llm import (
    GeminiLLM,
    GroqLLM,
    LLMError,
    LLMMessage,
    OpenAICompatibleLLM,
    llm_provider,
    llm_provider_reset,
)

MESSAGES = [
    LLMMessage(role="system", content="You are the channel's persona."),
    LLMMessage(role="user", content="Which camera do you use?"),
]
# Short enough to keep the timeout tests quick, long enough for a loaded CI machine.
TIMEOUT_S = 0.5


@pytest.fixture(autouse=True)
def _fresh_provider():
    llm_provider_reset()
    yield
    llm_provider_reset()


@pytest.fixture
def server():
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm(settings, server) -> OpenAICompatibleLLM:
    """The provider settings choose for an OpenAI-compatible server (here, the local one)."""
    settings.LLM_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = server.url
    settings.OPENAI_API_KEY = "sk-test"
    settings.LLM_MODEL = None
    settings.LLM_TIMEOUT_S = TIMEOUT_S
    provider = llm_provider()
    assert isinstance(provider, OpenAICompatibleLLM)
    return provider


@pytest.fixture
def groq_llm(server) -> GroqLLM:
    return GroqLLM(api_key="gsk-test", base_url=server.url, timeout_s=TIMEOUT_S)


def chat_requests(server: OpenAIServer) -> list:
    return server.requests_to("/chat/completions")


# --- OpenAI-compatible


def test_complete_returns_the_whole_answer(llm, server):
    server.answer("I film on a ", "Sony A7 IV.")

    answer = llm.complete(MESSAGES, max_tokens=200, temperature=0.1)

    assert answer == "I film on a Sony A7 IV."
    (request,) = chat_requests(server)
    assert request.body["model"] == "gpt-4o-mini" == llm.model
    assert request.body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert (request.body["max_tokens"], request.body["temperature"]) == (200, 0.1)
    assert not request.body.get("stream")


def test_stream_yields_the_pieces_in_order(llm, server):
    server.answer("I ", "film ", "on ", "a ", "Sony.")

    pieces = list(llm.stream(MESSAGES, max_tokens=200))

    assert pieces == ["I ", "film ", "on ", "a ", "Sony."]
    (request,) = chat_requests(server)
    assert request.body["stream"] is True


def test_stream_sends_nothing_until_it_is_read(llm, server):
    server.answer("ok")

    pieces = llm.stream(MESSAGES, max_tokens=10)
    assert chat_requests(server) == []

    assert list(pieces) == ["ok"]


def test_a_timeout_is_retried_once_then_becomes_a_user_safe_error(llm, server):
    server.hang(times=2)

    with pytest.raises(LLMError) as caught:
        llm.complete(MESSAGES, max_tokens=10)

    assert str(caught.value) == "The AI provider did not answer in time."
    assert len(chat_requests(server)) == 2


def test_one_timeout_then_an_answer_succeeds(llm, server):
    server.hang()
    server.answer("late but here")

    assert llm.complete(MESSAGES, max_tokens=10) == "late but here"
    assert len(chat_requests(server)) == 2


def test_a_500_twice_becomes_a_user_safe_error(llm, server):
    server.fail(500, times=2)

    with pytest.raises(LLMError, match=r"^The AI provider had an internal error\.$") as caught:
        llm.complete(MESSAGES, max_tokens=10)

    assert len(chat_requests(server)) == 2
    assert server.url not in str(caught.value)


def test_a_500_then_an_answer_succeeds(llm, server):
    server.fail(500)
    server.answer("recovered")

    assert llm.complete(MESSAGES, max_tokens=10) == "recovered"
    assert len(chat_requests(server)) == 2


def test_a_429_twice_asks_the_user_to_try_again_later(llm, server):
    server.fail(429, times=2)

    with pytest.raises(LLMError, match="too busy"):
        llm.complete(MESSAGES, max_tokens=10)

    assert len(chat_requests(server)) == 2


def test_a_400_is_not_retried(llm, server):
    server.fail(400)

    with pytest.raises(LLMError, match="rejected the request"):
        llm.complete(MESSAGES, max_tokens=10)

    assert len(chat_requests(server)) == 1


def test_a_stream_that_fails_before_its_first_piece_is_retried_once(llm, server):
    server.fail(500, times=2)

    with pytest.raises(LLMError, match="internal error"):
        list(llm.stream(MESSAGES, max_tokens=10))

    assert len(chat_requests(server)) == 2


def test_a_stream_that_stalls_mid_answer_keeps_its_pieces_then_raises(llm, server):
    server.answer("One ", "two ", "three", stall_after=2)
    received: list[str] = []

    with pytest.raises(LLMError, match="did not answer in time"):
        for piece in llm.stream(MESSAGES, max_tokens=10):
            received.append(piece)

    assert received == ["One ", "two "]
    assert len(chat_requests(server)) == 1  # pieces were already shown: no silent restart


def test_an_unreachable_server_becomes_a_user_safe_error():
    # Port 9 (discard) on localhost: nothing listens, the connection is refused at once.
    provider = OpenAICompatibleLLM(api_key="sk-test", base_url="http://127.0.0.1:9/v1", timeout_s=TIMEOUT_S)

    with pytest.raises(LLMError, match="could not be reached"):
        provider.complete(MESSAGES, max_tokens=10)


# --- choosing the provider


def test_there_is_no_provider_offline(settings):
    settings.LLM_PROVIDER = "offline"

    assert llm_provider() is None


def test_the_provider_is_built_once_per_process(llm):
    assert llm_provider() is llm


def test_gemini_uses_its_openai_compatible_endpoint(settings, server):
    settings.LLM_PROVIDER = "gemini"
    settings.GEMINI_BASE_URL = server.url
    settings.GEMINI_API_KEY = "gemini-test"
    settings.LLM_MODEL = None
    server.answer("Hi from Gemini")

    provider = llm_provider()

    assert isinstance(provider, GeminiLLM)
    assert (provider.name, provider.model) == ("gemini", "gemini-2.0-flash")
    assert provider.complete(MESSAGES, max_tokens=10) == "Hi from Gemini"
    assert chat_requests(server)[0].body["model"] == "gemini-2.0-flash"


def test_llm_model_overrides_the_default(settings, server):
    settings.LLM_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = server.url
    settings.LLM_MODEL = "llama3.2:3b"

    assert llm_provider().model == "llama3.2:3b"


def test_groq_without_a_key_is_a_configuration_error(settings):
    settings.LLM_PROVIDER = "groq"
    settings.GROQ_API_KEY = None

    with pytest.raises(ImproperlyConfigured, match="GROQ_API_KEY"):
        llm_provider()


def test_groq_is_chosen_by_settings(settings):
    settings.LLM_PROVIDER = "groq"
    settings.GROQ_API_KEY = "gsk-test"
    settings.LLM_MODEL = None

    provider = llm_provider()

    assert isinstance(provider, GroqLLM)
    assert (provider.name, provider.model) == ("groq", "llama-3.3-70b-versatile")


# --- Groq, through its OpenAI-compatible endpoint, against the same local server


def test_groq_completes_and_streams(groq_llm, server):
    server.answer("Groq ", "answer")
    server.answer("Groq ", "stream")

    assert groq_llm.complete(MESSAGES, max_tokens=10) == "Groq answer"
    assert list(groq_llm.stream(MESSAGES, max_tokens=10)) == ["Groq ", "stream"]
    assert all(r.path == "/v1/chat/completions" for r in chat_requests(server))


def test_groq_retries_a_timeout_once_then_raises(groq_llm, server):
    server.hang(times=2)

    with pytest.raises(LLMError, match="did not answer in time"):
        groq_llm.complete(MESSAGES, max_tokens=10)

    assert len(chat_requests(server)) == 2


def test_groq_500_twice_becomes_a_user_safe_error(groq_llm, server):
    server.fail(500, times=2)

    with pytest.raises(LLMError, match="internal error"):
        groq_llm.complete(MESSAGES, max_tokens=10)

    assert len(chat_requests(server)) == 2


def test_a_groq_stream_that_stalls_mid_answer_raises_a_user_safe_error(groq_llm, server):
    server.answer("One ", "two ", "three", stall_after=1)
    received: list[str] = []

    with pytest.raises(LLMError, match="did not answer in time"):
        for piece in groq_llm.stream(MESSAGES, max_tokens=10):
            received.append(piece)

    assert received == ["One "]
