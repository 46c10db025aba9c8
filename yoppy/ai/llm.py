"""LLM providers: write channel profiles now, stream chat answers later.

One small class per provider with the same shape (``name``, ``model``, ``complete``, ``stream``);
``llm_provider()`` builds the one chosen by settings, once per process, or returns None when the
site runs offline. Every provider failure reaches callers as ``LLMError``, whose message can be
shown to a fan as it is; the details go to the log.
"""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import groq
import httpx
import openai
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMMessage:
    role: str  # "system", "user" or "assistant"
    content: str


class LLMError(Exception):
    """The provider failed. ``str(error)`` is a short message safe to show a user."""


# The two SDKs share one design (same class names), so one translation serves both. Groq's stream
# lets raw httpx errors through mid-answer, hence httpx here; OpenAI's wraps them itself.
_TIMEOUT_ERRORS = (openai.APITimeoutError, groq.APITimeoutError, httpx.TimeoutException)
_CONNECTION_ERRORS = (openai.APIConnectionError, groq.APIConnectionError, httpx.TransportError)
_STATUS_ERRORS = (openai.APIStatusError, groq.APIStatusError)
_PROVIDER_ERRORS = (openai.OpenAIError, groq.GroqError, httpx.HTTPError, json.JSONDecodeError)


def _user_safe_error(provider: LLMProvider, exc: Exception) -> LLMError:
    """The LLMError to raise for a provider failure; logs the original for operators."""
    logger.warning("LLM %s/%s failed: %r", provider.name, provider.model, exc)
    if isinstance(exc, _TIMEOUT_ERRORS):
        return LLMError("The AI provider did not answer in time.")
    if isinstance(exc, _CONNECTION_ERRORS):
        return LLMError("The AI provider could not be reached.")
    if isinstance(exc, _STATUS_ERRORS):
        if exc.status_code == 429:
            return LLMError("The AI provider is too busy right now. Please try again in a minute.")
        if exc.status_code in (401, 403):
            return LLMError("The AI provider refused our credentials.")
        if exc.status_code >= 500:
            return LLMError("The AI provider had an internal error.")
        return LLMError("The AI provider rejected the request.")
    return LLMError("The AI provider sent an answer we could not read.")


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


class OpenAICompatibleLLM(LLMProvider):
    """OpenAI's chat completions API, or any server that copies it (Ollama, vLLM, LM Studio).

    The SDK retries once on a timeout, a connection error, 408/409/429 or a 5xx (with a short
    back-off); a stream is retried only before its first piece arrives.
    """

    name = "openai"
    default_model = "gpt-4o-mini"

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        model: str | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.model = model or self.default_model
        self._client = self._make_client(api_key=api_key, base_url=base_url, timeout_s=timeout_s)

    def _make_client(self, *, api_key: str | None, base_url: str | None, timeout_s: float) -> Any:
        # Local servers need no key, but the SDK refuses to start without one; a real provider
        # answers the placeholder with 401, which becomes "refused our credentials".
        return openai.OpenAI(
            api_key=api_key or "no-key", base_url=base_url or None, timeout=timeout_s, max_retries=1
        )

    def _request(
        self, messages: list[LLMMessage], *, max_tokens: int, temperature: float, stream: bool
    ) -> Any:
        return self._client.chat.completions.create(
            model=self.model,
            messages=[{"role": m.role, "content": m.content} for m in messages],
            # max_tokens, not max_completion_tokens: the one Ollama, vLLM, Gemini and Groq all accept.
            max_tokens=max_tokens,
            temperature=temperature,
            stream=stream,
        )

    def complete(self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3) -> str:
        try:
            response = self._request(messages, max_tokens=max_tokens, temperature=temperature, stream=False)
        except _PROVIDER_ERRORS as exc:
            raise _user_safe_error(self, exc) from exc
        if not response.choices:
            raise _user_safe_error(self, ValueError("no choices in the response"))
        return response.choices[0].message.content or ""

    def stream(
        self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3
    ) -> Iterator[str]:
        try:
            # closing(): a caller that stops early (the fan left) releases the connection now.
            with closing(
                self._request(messages, max_tokens=max_tokens, temperature=temperature, stream=True)
            ) as chunks:
                for chunk in chunks:
                    # Some servers send chunks without choices (usage) or with an empty delta.
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except _PROVIDER_ERRORS as exc:
            raise _user_safe_error(self, exc) from exc


class GeminiLLM(OpenAICompatibleLLM):
    """Gemini through its OpenAI-compatible endpoint (GEMINI_BASE_URL)."""

    name = "gemini"
    default_model = "gemini-2.0-flash"


class GroqLLM(OpenAICompatibleLLM):
    """Groq through its own SDK, which mirrors OpenAI's, so only the client differs.

    ``base_url`` is None in production (the SDK's default, or GROQ_BASE_URL from the environment).
    """

    name = "groq"
    default_model = "llama-3.3-70b-versatile"

    def _make_client(self, *, api_key: str | None, base_url: str | None, timeout_s: float) -> Any:
        return groq.Groq(api_key=api_key, base_url=base_url or None, timeout=timeout_s, max_retries=1)


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
    if kind == "gemini":
        return GeminiLLM(api_key=settings.GEMINI_API_KEY, base_url=settings.GEMINI_BASE_URL, **common)
    if kind == "groq":
        if not settings.GROQ_API_KEY:
            raise ImproperlyConfigured("LLM_PROVIDER=groq needs GROQ_API_KEY.")
        return GroqLLM(api_key=settings.GROQ_API_KEY, **common)
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
    if setting.startswith(("LLM_", "OPENAI_", "GEMINI_", "GROQ_")):
        llm_provider_reset()
