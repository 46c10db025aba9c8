"""Follow-up questions made standalone before they are searched."""

from __future__ import annotations

from chat.retrieval import query_for_retrieval
from yoppy.ai.llm import LLMError, LLMMessage


class FakeLLM:
    """Just what query_for_retrieval uses of an LLMProvider."""

    name = "fake"
    model = "fake-1"

    def __init__(self, answer: str = "", error: bool = False) -> None:
        self.answer, self.error, self.calls = answer, error, []

    def complete(self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3) -> str:
        self.calls.append(messages)
        if self.error:
            raise LLMError("The AI provider could not be reached.")
        return self.answer


HISTORY = [("What does he think of the XT-4000 tripod?", "He loves it: the carbon legs fold small.")]


def test_a_follow_up_without_an_llm_borrows_the_previous_questions_topic():
    query = query_for_retrieval(question="Why?", history=HISTORY)
    assert query.startswith("Why?")
    assert "xt-4000" in query and "tripod" in query


def test_a_follow_up_pointing_back_borrows_the_topic_too():
    query = query_for_retrieval(question="What did he say after that about the price?", history=HISTORY)
    assert "tripod" in query and "price" in query


def test_a_standalone_question_is_searched_as_asked():
    question = "What camera does he use for the cabin build videos?"
    llm = FakeLLM("something else")
    assert query_for_retrieval(question=question, history=HISTORY, llm=llm) == question
    assert llm.calls == []  # no LLM round trip for a question that needs no context
    assert query_for_retrieval(question="Why?", history=[], llm=llm) == "Why?"


def test_a_follow_up_with_an_llm_uses_its_rewrite():
    llm = FakeLLM('Query: "Why does he like the XT-4000 tripod?"\n')
    query = query_for_retrieval(question="Why?", history=HISTORY, llm=llm)
    assert query == "Why does he like the XT-4000 tripod?"
    prompt = "\n".join(message.content for message in llm.calls[0])
    assert "XT-4000" in prompt and "Why?" in prompt


def test_an_llm_failure_or_empty_answer_falls_back_to_blending():
    blended = query_for_retrieval(question="Why?", history=HISTORY)
    assert query_for_retrieval(question="Why?", history=HISTORY, llm=FakeLLM(error=True)) == blended
    assert query_for_retrieval(question="Why?", history=HISTORY, llm=FakeLLM("  \n")) == blended
