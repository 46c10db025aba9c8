"""LLM providers: write channel profiles now, stream chat answers later.

Every provider is LangChain's chat model for it (``langchain-openai``, ``-anthropic``,
``-google-genai``, ``-ollama``) behind one small shape (``name``, ``model``, ``complete``,
``stream``); ``llm_provider()`` builds the one chosen by settings, once per process, or returns
None when the site runs offline. Every provider failure reaches callers as ``LLMError``, whose
message can be shown to a fan as it is; the details go to the log.

Groq is reached through its OpenAI-compatible endpoint: ``langchain-groq`` pins ``groq<1``.

The SDKs' own retries are switched off and ``LangChainLLM`` retries once itself, so every provider
(Ollama's client has no retries at all) behaves the same: a timeout, a refused connection,
408/409/429 or a 5xx is tried again after a short pause; a stream only before its first piece.

Nothing here fetches data at run time: LangSmith tracing is switched off for the process (an
operator's LANGSMITH_TRACING=true must not ship fans' questions to a third party), and token
counting, which LangChain would do with tiktoken's or GPT-2's downloaded vocabularies, is local.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx
import httpx2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

logger = logging.getLogger(__name__)

# The LangChain packages and their SDKs are imported by the provider that needs them, when it is
# built: all five together take seconds to import, and every web process imports this module.


@cache
def _langchain_ready() -> None:
    """Run once before any model is built: LangChain asks LangSmith on every call whether to trace,
    and LangSmith answers from the environment unless told otherwise."""
    import langsmith

    langsmith.configure(enabled=False)


@dataclass(frozen=True)
class LLMMessage:
    role: str  # "system", "user" or "assistant"
    content: str


class LLMError(Exception):
    """The provider failed. ``str(error)`` is a short message safe to show a user."""


@dataclass(frozen=True)
class _Failure:
    """A provider failure in neutral terms: each provider class translates its SDK's errors."""

    kind: str  # "timeout", "connection", "status" or "unreadable"
    status: int | None = None

    @property
    def retryable(self) -> bool:
        if self.kind in ("timeout", "connection"):
            return True
        return (
            self.kind == "status"
            and self.status is not None
            and (self.status in (408, 409, 429) or self.status >= 500)
        )


def _httpx_failure(exc: Exception) -> _Failure | None:
    # The SDKs speak httpx (Ollama) or its successor httpx2 (OpenAI, Anthropic, google-genai), and
    # some let its errors through: mid-stream, or google-genai always.
    for module in (httpx, httpx2):
        if isinstance(exc, module.TimeoutException):
            return _Failure("timeout")
        if isinstance(exc, module.TransportError):
            return _Failure("connection")
        if isinstance(exc, module.HTTPStatusError):
            return _Failure("status", exc.response.status_code)
    return None


def _stainless_failure(sdk: Any, exc: Exception) -> _Failure | None:
    """OpenAI's and Anthropic's SDKs share one design (same class names): one translation."""
    if isinstance(exc, sdk.APITimeoutError):  # a subclass of APIConnectionError: first
        return _Failure("timeout")
    if isinstance(exc, sdk.APIConnectionError):
        return _Failure("connection")
    if isinstance(exc, sdk.APIStatusError):
        return _Failure("status", exc.status_code)
    return None


def _user_safe_error(provider: LLMProvider, exc: Exception) -> LLMError:
    """The LLMError to raise for a provider failure; logs the original for operators."""
    failure = provider._classify(exc) if isinstance(provider, LangChainLLM) else None
    # An error no provider class recognises may be our bug as much as the provider's: keep the
    # traceback in the log, but the fan still gets a sentence, not a 500.
    logger.warning("LLM %s/%s failed: %r", provider.name, provider.model, exc, exc_info=failure is None)
    if failure is None or failure.kind == "unreadable":
        return LLMError("The AI provider sent an answer we could not read.")
    if failure.kind == "timeout":
        return LLMError("The AI provider did not answer in time.")
    if failure.kind == "connection":
        return LLMError("The AI provider could not be reached.")
    status = failure.status or 0
    if status == 429:
        return LLMError("The AI provider is too busy right now. Please try again in a minute.")
    if status in (401, 403):
        return LLMError("The AI provider refused our credentials.")
    if status >= 500:
        return LLMError("The AI provider had an internal error.")
    return LLMError("The AI provider rejected the request.")


_TOKEN = re.compile(r"\w+|[^\w\s]")


def _local_token_ids(text: str) -> list[int]:
    """Token ids for LangChain's counting helpers without a downloaded vocabulary.

    Words and punctuation marks, hashed: close enough to a BPE count for budgeting (English runs
    ~1.3 BPE tokens a word), and it never reaches the network the way tiktoken's first
    ``get_encoding`` or LangChain's GPT-2 fallback do.
    """
    return [zlib.crc32(token.encode()) for token in _TOKEN.findall(text)]


class LLMProvider(ABC):
    """The shape every provider has. ``name`` is the provider (``openai``), ``model`` its model."""

    name: str
    model: str

    @abstractmethod
    def complete(self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3) -> str:
        """The whole answer to ``messages``. Raises LLMError on any provider failure."""

    @abstractmethod
    def stream(
        self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3
    ) -> Iterator[str]:
        """The answer as text pieces, in order, as the provider produces them.

        Raises LLMError on any provider failure, possibly after some pieces were already yielded
        (the caller decides what to show of a cut answer). Nothing is sent until the first
        ``next()``.
        """


class LangChainLLM(LLMProvider):
    """A provider that is a LangChain chat model. Subclasses build the model (``_make_chat``),
    say how a call passes the answer's length and temperature (``_call_kwargs``), and translate
    their SDK's errors (``_failure``)."""

    default_model: str
    retries = 1
    retry_delay_s = 0.5

    def __init__(self, *, model: str | None = None, timeout_s: float = 30.0, **connection: Any) -> None:
        self.model = model or self.default_model
        _langchain_ready()
        self.chat = self._make_chat(timeout_s=timeout_s, **connection)
        # Belt and braces for get_num_tokens*(): no vocabulary download, whatever calls them.
        self.chat.custom_get_token_ids = _local_token_ids

    @abstractmethod
    def _make_chat(self, *, timeout_s: float, **connection: Any) -> BaseChatModel: ...

    def _call_kwargs(self, *, max_tokens: int, temperature: float) -> dict[str, Any]:
        return {"max_tokens": max_tokens, "temperature": temperature}

    def _failure(self, exc: Exception) -> _Failure | None:
        """The neutral failure ``exc`` is, or None when this provider does not recognise it."""
        if isinstance(exc, json.JSONDecodeError):
            return _Failure("unreadable")
        return _httpx_failure(exc)

    def _classify(self, exc: BaseException) -> _Failure | None:
        """``_failure`` of ``exc`` or of what caused it: LangChain packages re-raise some SDK
        errors as their own (langchain-google-genai's GoogleRateLimitError ``from`` the 429)."""
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if isinstance(current, Exception) and (failure := self._failure(current)) is not None:
                return failure
            current = current.__cause__ or current.__context__
        return None

    def _retry(self, exc: Exception, attempt: int) -> bool:
        failure = self._classify(exc)
        if attempt < self.retries and failure is not None and failure.retryable:
            logger.info("LLM %s/%s: retrying after %r", self.name, self.model, exc)
            time.sleep(self.retry_delay_s)
            return True
        return False

    def _messages(self, messages: list[LLMMessage]) -> list[BaseMessage]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        return [kinds[m.role](content=m.content) for m in messages]

    def complete(self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3) -> str:
        kwargs = self._call_kwargs(max_tokens=max_tokens, temperature=temperature)
        attempt = 0
        while True:
            try:
                return str(self.chat.invoke(self._messages(messages), **kwargs).text)
            except Exception as exc:
                if self._retry(exc, attempt):
                    attempt += 1
                    continue
                raise _user_safe_error(self, exc) from exc

    def stream(
        self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3
    ) -> Iterator[str]:
        kwargs = self._call_kwargs(max_tokens=max_tokens, temperature=temperature)
        attempt = 0
        while True:
            started = False
            try:
                # closing(): a caller that stops early (the fan left) releases the connection now.
                with closing(self.chat.stream(self._messages(messages), **kwargs)) as chunks:
                    for chunk in chunks:
                        # .text: Anthropic's and Gemini's chunks carry content blocks, not a string.
                        if text := str(chunk.text):
                            started = True
                            yield text
                return
            except Exception as exc:
                # Once pieces were shown, a silent restart would repeat them: raise instead.
                if not started and self._retry(exc, attempt):
                    attempt += 1
                    continue
                raise _user_safe_error(self, exc) from exc


@cache
def _chat_openai_compatible() -> type:
    from langchain_core.language_models import BaseChatModel
    from langchain_openai import ChatOpenAI

    class _ChatOpenAICompatible(ChatOpenAI):
        """ChatOpenAI for any OpenAI-compatible server, and without tiktoken.

        It sends ``max_tokens``, the one field Ollama, vLLM, LM Studio and Groq all accept (ChatOpenAI
        renames it to OpenAI's newer ``max_completion_tokens``), and counts tokens locally: ChatOpenAI's
        own count calls tiktoken directly, whose first use of an encoding downloads it.
        """

        def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

        def get_num_tokens_from_messages(self, messages: Any, tools: Any = None, **kwargs: Any) -> int:
            return BaseChatModel.get_num_tokens_from_messages(self, messages, tools)

    return _ChatOpenAICompatible


class OpenAICompatibleLLM(LangChainLLM):
    """OpenAI's chat completions API, or any server that copies it (vLLM, LM Studio, Ollama's /v1)."""

    name = "openai"
    default_model = "gpt-4o-mini"

    def _make_chat(
        self, *, timeout_s: float, api_key: str | None = None, base_url: str | None = None
    ) -> BaseChatModel:
        # Local servers need no key, but the SDK refuses to start without one; a real provider
        # answers the placeholder with 401, which becomes "refused our credentials".
        return _chat_openai_compatible()(
            model=self.model,
            api_key=api_key or "no-key",
            base_url=base_url or None,
            timeout=timeout_s,
            max_retries=0,
            # No stream_options: not every OpenAI-compatible server knows them, and usage is unused.
            stream_usage=False,
        )

    def _failure(self, exc: Exception) -> _Failure | None:
        import openai

        if isinstance(exc, openai.OpenAIError):
            return _stainless_failure(openai, exc) or _Failure("unreadable")
        return super()._failure(exc)


class GroqLLM(OpenAICompatibleLLM):
    """Groq through its OpenAI-compatible endpoint (GROQ_BASE_URL)."""

    name = "groq"
    default_model = "llama-3.3-70b-versatile"


class AnthropicLLM(LangChainLLM):
    """Anthropic's Messages API (ANTHROPIC_BASE_URL for a proxy; the SDK's default otherwise)."""

    name = "anthropic"
    default_model = "claude-haiku-4-5"

    def _make_chat(
        self, *, timeout_s: float, api_key: str | None = None, base_url: str | None = None
    ) -> BaseChatModel:
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(
            model=self.model,
            api_key=api_key,
            base_url=base_url or None,
            timeout=timeout_s,
            max_retries=0,
        )

    def _failure(self, exc: Exception) -> _Failure | None:
        import anthropic

        if isinstance(exc, anthropic.AnthropicError):
            return _stainless_failure(anthropic, exc) or _Failure("unreadable")
        return super()._failure(exc)


class GeminiLLM(LangChainLLM):
    """Gemini's own generateContent API (GEMINI_LLM_BASE_URL; Google's endpoint when unset)."""

    name = "gemini"
    default_model = "gemini-2.0-flash"

    def _make_chat(
        self, *, timeout_s: float, api_key: str | None = None, base_url: str | None = None
    ) -> BaseChatModel:
        from langchain_google_genai import ChatGoogleGenerativeAI

        return ChatGoogleGenerativeAI(
            model=self.model,
            google_api_key=api_key,
            base_url=base_url or None,
            timeout=timeout_s,
            max_retries=1,  # google-genai counts attempts: 1 is the request alone
        )

    def _call_kwargs(self, *, max_tokens: int, temperature: float) -> dict[str, Any]:
        return {"max_output_tokens": max_tokens, "temperature": temperature}

    def _failure(self, exc: Exception) -> _Failure | None:
        from google.genai import errors as genai_errors

        if isinstance(exc, genai_errors.APIError):
            return _Failure("status", exc.code)
        return super()._failure(exc)


class OllamaLLM(LangChainLLM):
    """Ollama's native /api/chat (OLLAMA_BASE_URL). No key; the model must be pulled already."""

    name = "ollama"
    default_model = "llama3.2:3b"

    def _make_chat(self, *, timeout_s: float, base_url: str | None = None) -> BaseChatModel:
        from langchain_ollama import ChatOllama

        return ChatOllama(model=self.model, base_url=base_url or None, client_kwargs={"timeout": timeout_s})

    def _call_kwargs(self, *, max_tokens: int, temperature: float) -> dict[str, Any]:
        return {"options": {"num_predict": max_tokens, "temperature": temperature}}

    def _failure(self, exc: Exception) -> _Failure | None:
        import ollama

        if isinstance(exc, ollama.ResponseError):
            return _Failure("status", exc.status_code)
        if isinstance(exc, ConnectionError):  # the client's own, for httpx's ConnectError
            return _Failure("connection")
        return super()._failure(exc)


# --------------------------------------------------------------------------------------------
# The provider chosen by settings, built once per process

_provider: LLMProvider | None = None
_provider_lock = threading.Lock()


def _build_from_settings() -> LLMProvider | None:
    kind = settings.LLM_PROVIDER
    common = {"model": settings.LLM_MODEL, "timeout_s": settings.LLM_TIMEOUT_S}
    if kind == "offline":
        return None
    if kind == "openai":
        return OpenAICompatibleLLM(
            api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL, **common
        )
    if kind == "groq":
        if not settings.GROQ_API_KEY:
            raise ImproperlyConfigured("LLM_PROVIDER=groq needs GROQ_API_KEY.")
        return GroqLLM(api_key=settings.GROQ_API_KEY, base_url=settings.GROQ_BASE_URL, **common)
    if kind == "gemini":
        if not settings.GEMINI_API_KEY:
            raise ImproperlyConfigured("LLM_PROVIDER=gemini needs GEMINI_API_KEY.")
        return GeminiLLM(api_key=settings.GEMINI_API_KEY, base_url=settings.GEMINI_LLM_BASE_URL, **common)
    if kind == "anthropic":
        if not settings.ANTHROPIC_API_KEY:
            raise ImproperlyConfigured("LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY.")
        return AnthropicLLM(
            api_key=settings.ANTHROPIC_API_KEY, base_url=settings.ANTHROPIC_BASE_URL, **common
        )
    if kind == "ollama":
        return OllamaLLM(base_url=settings.OLLAMA_BASE_URL, **common)
    raise ImproperlyConfigured(f"Unknown LLM_PROVIDER {kind!r}.")


def llm_provider() -> LLMProvider | None:
    """The provider chosen by settings, shared by every caller in the process (one connection
    pool), or None when LLM_PROVIDER is ``offline``: callers then answer without an LLM."""
    global _provider
    with _provider_lock:
        if _provider is None:
            _provider = _build_from_settings()
        return _provider


def llm_provider_reset() -> None:
    """Forget the shared provider; the next ``llm_provider()`` builds a new one from settings."""
    global _provider
    with _provider_lock:
        _provider = None


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: object) -> None:
    # Tests switch providers with override_settings / pytest-django's `settings`; without this the
    # provider built under the old settings would outlive them.
    if setting.startswith(("LLM_", "OPENAI_", "GEMINI_", "GROQ_", "ANTHROPIC_", "OLLAMA_")):
        llm_provider_reset()
