from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ImproperlyConfigured
from langchain_core.tracers.langchain import wait_for_all_tracers
from langsmith import utils as langsmith_utils

from tests.ai.openai_server import OpenAIServer
from tests.ai.provider_servers import AnthropicServer, GeminiServer, OllamaServer
from yoppy.ai.llm import (
    AnthropicLLM,
    GeminiLLM,
    GroqLLM,
    LLMError,
    LLMMessage,
    OllamaLLM,
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


def test_groq_is_chosen_by_settings_and_talks_to_its_openai_compatible_endpoint(settings, server):
    settings.LLM_PROVIDER = "groq"
    settings.GROQ_API_KEY = "gsk-test"
    settings.GROQ_BASE_URL = server.url
    settings.LLM_MODEL = None
    server.answer("Hi from Groq")

    provider = llm_provider()

    assert isinstance(provider, GroqLLM)
    assert (provider.name, provider.model) == ("groq", "llama-3.3-70b-versatile")
    assert provider.complete(MESSAGES, max_tokens=10) == "Hi from Groq"
    assert chat_requests(server)[0].body["model"] == "llama-3.3-70b-versatile"


@pytest.mark.parametrize(
    ("provider", "key_setting"), [("gemini", "GEMINI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_a_provider_without_its_key_is_a_configuration_error(settings, provider, key_setting):
    settings.LLM_PROVIDER = provider
    setattr(settings, key_setting, None)

    with pytest.raises(ImproperlyConfigured, match=key_setting):
        llm_provider()


@pytest.mark.parametrize(
    ("kind", "cls", "model"),
    [
        ("gemini", GeminiLLM, "gemini-2.0-flash"),
        ("anthropic", AnthropicLLM, "claude-haiku-4-5"),
        ("ollama", OllamaLLM, "llama3.2:3b"),
    ],
)
def test_each_provider_is_chosen_by_settings(settings, kind, cls, model):
    settings.LLM_PROVIDER = kind
    settings.GEMINI_API_KEY = "gemini-test"
    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    settings.LLM_MODEL = None

    provider = llm_provider()

    assert isinstance(provider, cls)
    assert (provider.name, provider.model) == (kind, model)


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


def test_an_openai_stream_that_the_caller_leaves_early_sends_one_request(llm, server):
    server.answer("One ", "two ", "three")

    pieces = llm.stream(MESSAGES, max_tokens=10)
    assert next(pieces) == "One "
    pieces.close()

    assert len(chat_requests(server)) == 1


# --- Anthropic, Gemini and Ollama: the real LangChain clients against servers speaking their
# own wire formats (tests/ai/provider_servers.py says where each shape comes from)


@pytest.fixture
def anthropic_server():
    server = AnthropicServer().start()
    yield server
    server.stop()


@pytest.fixture
def gemini_server():
    server = GeminiServer().start()
    yield server
    server.stop()


@pytest.fixture
def ollama_server():
    server = OllamaServer().start()
    yield server
    server.stop()


@pytest.fixture
def anthropic_llm(settings, anthropic_server) -> AnthropicLLM:
    settings.LLM_PROVIDER = "anthropic"
    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    settings.ANTHROPIC_BASE_URL = anthropic_server.root_url
    settings.LLM_MODEL = None
    settings.LLM_TIMEOUT_S = TIMEOUT_S
    return llm_provider()


@pytest.fixture
def gemini_llm(settings, gemini_server) -> GeminiLLM:
    settings.LLM_PROVIDER = "gemini"
    settings.GEMINI_API_KEY = "gemini-test"
    settings.GEMINI_LLM_BASE_URL = gemini_server.root_url
    settings.LLM_MODEL = None
    settings.LLM_TIMEOUT_S = TIMEOUT_S
    return llm_provider()


@pytest.fixture
def ollama_llm(settings, ollama_server) -> OllamaLLM:
    settings.LLM_PROVIDER = "ollama"
    settings.OLLAMA_BASE_URL = ollama_server.root_url
    settings.LLM_MODEL = None
    settings.LLM_TIMEOUT_S = TIMEOUT_S
    return llm_provider()


def test_anthropic_completes_with_the_system_prompt_apart(anthropic_llm, anthropic_server):
    anthropic_server.answer("I film on a ", "Sony A7 IV.")

    answer = anthropic_llm.complete(MESSAGES, max_tokens=200, temperature=0.1)

    assert answer == "I film on a Sony A7 IV."
    (request,) = anthropic_server.requests_to("/v1/messages")
    assert request.body["model"] == "claude-haiku-4-5"
    assert request.body["system"] == "You are the channel's persona."
    assert request.body["messages"] == [{"role": "user", "content": "Which camera do you use?"}]
    assert (request.body["max_tokens"], request.body["temperature"]) == (200, 0.1)


def test_anthropic_streams_the_pieces_in_order(anthropic_llm, anthropic_server):
    anthropic_server.answer("I ", "film ", "on ", "a ", "Sony.")

    assert list(anthropic_llm.stream(MESSAGES, max_tokens=50)) == ["I ", "film ", "on ", "a ", "Sony."]
    assert anthropic_server.requests_to("/v1/messages")[0].body["stream"] is True


def test_anthropic_overloaded_twice_becomes_a_user_safe_error(anthropic_llm, anthropic_server):
    anthropic_server.fail(529, times=2)

    with pytest.raises(LLMError, match=r"^The AI provider had an internal error\.$"):
        list(anthropic_llm.stream(MESSAGES, max_tokens=10))

    assert len(anthropic_server.requests_to("/v1/messages")) == 2


def test_anthropic_refusing_the_key_is_not_retried(anthropic_llm, anthropic_server):
    anthropic_server.fail(401)

    with pytest.raises(LLMError, match="refused our credentials"):
        anthropic_llm.complete(MESSAGES, max_tokens=10)

    assert len(anthropic_server.requests_to("/v1/messages")) == 1


def test_gemini_completes_through_its_own_api(gemini_llm, gemini_server):
    gemini_server.answer("Hi from ", "Gemini")

    assert gemini_llm.complete(MESSAGES, max_tokens=200, temperature=0.1) == "Hi from Gemini"
    (request,) = gemini_server.requests_to(":generateContent")
    # langchain-google-genai picks the API version (v1 today); the model and method are ours.
    assert request.path.endswith("/models/gemini-2.0-flash:generateContent")
    assert request.body["contents"] == [{"role": "user", "parts": [{"text": "Which camera do you use?"}]}]
    assert request.body["systemInstruction"]["parts"] == [{"text": "You are the channel's persona."}]
    assert request.body["generationConfig"]["maxOutputTokens"] == 200
    assert request.body["generationConfig"]["temperature"] == 0.1


def test_gemini_streams_the_pieces_in_order(gemini_llm, gemini_server):
    gemini_server.answer("I ", "film ", "on ", "a ", "Pixel.")

    assert list(gemini_llm.stream(MESSAGES, max_tokens=50)) == ["I ", "film ", "on ", "a ", "Pixel."]
    (request,) = gemini_server.requests
    assert request.path.endswith("/models/gemini-2.0-flash:streamGenerateContent?alt=sse")


def test_gemini_busy_twice_asks_the_user_to_try_again_later(gemini_llm, gemini_server):
    gemini_server.fail(429, times=2)

    with pytest.raises(LLMError, match="too busy"):
        gemini_llm.complete(MESSAGES, max_tokens=10)

    assert len(gemini_server.requests) == 2


def test_gemini_timeout_once_then_an_answer_succeeds(gemini_llm, gemini_server):
    gemini_server.hang()
    gemini_server.answer("late but here")

    assert gemini_llm.complete(MESSAGES, max_tokens=10) == "late but here"
    assert len(gemini_server.requests) == 2


def test_ollama_completes_through_its_own_api(ollama_llm, ollama_server):
    ollama_server.answer("I film on a ", "Sony A7 IV.")

    assert ollama_llm.complete(MESSAGES, max_tokens=200, temperature=0.1) == "I film on a Sony A7 IV."
    (request,) = ollama_server.requests_to("/api/chat")
    assert request.body["model"] == "llama3.2:3b"
    assert request.body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert request.body["options"] == {"num_predict": 200, "temperature": 0.1}


def test_ollama_streams_the_pieces_in_order(ollama_llm, ollama_server):
    ollama_server.answer("I ", "film ", "on ", "a ", "Sony.")

    assert list(ollama_llm.stream(MESSAGES, max_tokens=50)) == ["I ", "film ", "on ", "a ", "Sony."]


def test_an_ollama_stream_that_stalls_mid_answer_keeps_its_pieces_then_raises(ollama_llm, ollama_server):
    ollama_server.answer("One ", "two ", "three", stall_after=1)
    received: list[str] = []

    with pytest.raises(LLMError, match="did not answer in time"):
        for piece in ollama_llm.stream(MESSAGES, max_tokens=10):
            received.append(piece)

    assert received == ["One "]
    assert len(ollama_server.requests) == 1


def test_ollama_without_the_model_pulled_is_not_retried(ollama_llm, ollama_server):
    ollama_server.fail(404)

    with pytest.raises(LLMError, match="rejected the request"):
        ollama_llm.complete(MESSAGES, max_tokens=10)

    assert len(ollama_server.requests) == 1


def test_ollama_not_running_becomes_a_user_safe_error():
    provider = OllamaLLM(base_url="http://127.0.0.1:9", timeout_s=TIMEOUT_S)

    with pytest.raises(LLMError, match="could not be reached"):
        provider.complete(MESSAGES, max_tokens=10)


# --- nothing leaves the machine but the request to the provider


@pytest.fixture
def outside_world_unreachable(monkeypatch, tmp_path):
    """Every connection or name lookup outside 127.0.0.1 fails, and is recorded.

    tiktoken gets an empty cache, so a count through it would have to download its vocabulary;
    LangSmith tracing is switched on the way an operator would, so it would try to upload.
    """
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError("network unreachable (test)")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(host)
            raise socket.gaierror("network unreachable (test)")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
        monkeypatch.setenv(name, "true")
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2-test")
    # LangSmith caches what it read from the environment: forget it now, and again afterwards.
    langsmith_utils.get_env_var.cache_clear()
    yield attempts
    langsmith_utils.get_env_var.cache_clear()


def test_answers_and_token_counts_need_no_network_beyond_the_provider(outside_world_unreachable, llm, server):
    server.answer("offline ", "answer")
    server.answer("streamed ", "answer")

    assert llm.complete(MESSAGES, max_tokens=10) == "offline answer"
    assert list(llm.stream(MESSAGES, max_tokens=10)) == ["streamed ", "answer"]
    counted = llm.chat.get_num_tokens_from_messages(llm._messages(MESSAGES))
    assert 10 < counted < 40
    assert llm.chat.get_num_tokens("Which camera do you use?") == 6
    wait_for_all_tracers()  # a tracer would upload from a background thread; let it try

    assert outside_world_unreachable == []
    assert langsmith_utils.tracing_is_enabled() is False


@pytest.mark.parametrize("make", [AnthropicServer, GeminiServer, OllamaServer])
def test_every_provider_answers_with_the_outside_world_unreachable(outside_world_unreachable, settings, make):
    server = make().start()
    try:
        settings.LLM_PROVIDER = {
            AnthropicServer: "anthropic",
            GeminiServer: "gemini",
            OllamaServer: "ollama",
        }[make]
        settings.ANTHROPIC_API_KEY = "sk-ant-test"
        settings.ANTHROPIC_BASE_URL = settings.GEMINI_LLM_BASE_URL = server.root_url
        settings.OLLAMA_BASE_URL = server.root_url
        settings.GEMINI_API_KEY = "gemini-test"
        settings.LLM_TIMEOUT_S = 5
        server.answer("still ", "here")
        provider = llm_provider()

        # (Token counts: Gemini's and Anthropic's packages ask the provider itself, no vocabulary.)
        assert list(provider.stream(MESSAGES, max_tokens=10)) == ["still ", "here"]
    finally:
        server.stop()

    assert outside_world_unreachable == []
