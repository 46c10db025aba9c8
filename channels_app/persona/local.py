"""The local profile: deterministic analysis of the transcripts alone, no network.

TF-IDF keyphrases and n-gram counts, about 1 s for 300 passages; used when no LLM is configured
or the LLM fails. Transcripts are usually YouTube auto-captions: lowercase, no punctuation,
"[Music]" tags, ">>" speaker changes. Everything below is written for that text first and for
punctuated manual captions second.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from channels_app.persona.profile import (
    MAX_CATCHPHRASES,
    MAX_OPENERS,
    MAX_TYPICAL_PHRASES,
    TOPIC_COUNT,
    ChannelProfile,
)
from yoppy.transcripts import CAPTION_TAG, overlap_size, singular, stem


def profile_build_local(*, channel_title: str, video_titles: list[str], passages: list[str]) -> ChannelProfile:
    """Build the profile from the text alone: deterministic, no network, about 1 s for 300 passages.

    Passages are the channel's transcript chunks, ideally video by video; consecutive chunks
    that overlap (as `chunk_segments` makes them) are counted once.
    """
    texts = _without_chunk_overlap([passage for passage in passages if passage.strip()])
    topics = _topics(texts, video_titles, channel_title=channel_title)
    style = _style(texts, topics)
    return ChannelProfile(
        summary=_summary(channel_title, _nameable_topics(texts, topics), style),
        topics=topics,
        style=style,
        source="local",
    )


# --- text preparation ---------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_SENTENCE_END_RE = re.compile(r"[.!?]+(?=\s|$)")
_CLAUSE_BREAK_RE = re.compile(r"[.!?;:,\"()|]+(?=\s|$)|\s[-\u2013\u2014|]+\s|^[-\u2013\u2014]+\s")


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return CAPTION_TAG.sub(" ", text).lower()


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_normalise(text))


def _clauses(text: str, *, at_commas: bool) -> list[list[str]]:
    """Token runs that a phrase may not cross: sentences, or also comma-separated parts.

    Auto-captions have no punctuation, so there a whole passage is one run.
    """
    text = _normalise(text)
    parts = (_CLAUSE_BREAK_RE if at_commas else _SENTENCE_END_RE).split(text)
    return [tokens for part in parts if (tokens := _TOKEN_RE.findall(part))]


def _without_chunk_overlap(passages: list[str]) -> list[str]:
    """Drop from each passage the words it repeats from the end of the previous one.

    chunk_segments starts each chunk with up to 40 words of the previous one; counted twice,
    any phrase in that overlap would look like it recurs across passages.
    """
    result = []
    previous: list[str] = []
    for passage in passages:
        words = passage.split()
        # At least 8 words, so a chance repeat of a short phrase is kept; never the whole passage.
        overlap = overlap_size(previous, words[:-1], max_size=120, min_size=8)
        result.append(" ".join(words[overlap:]))
        previous = words
    return result


def _ngrams(tokens: list[str], n: int) -> Iterable[tuple[str, ...]]:
    return zip(*(tokens[i:] for i in range(n)), strict=False)


# Filler and very common spoken words: never a topic, and a phrase made only of these (plus
# stop words) is never a catchphrase. A small built-in "background corpus" of speech.
_FILLER = frozenset(
    [
        "um", "uh", "uhm", "erm", "er", "hmm", "mm", "ah", "oh", "ooh", "wow", "yeah", "yep", "yup",
        "yes", "no", "nope", "okay", "ok", "alright", "gonna", "wanna", "gotta", "kinda", "sorta",
        "like", "just", "really", "basically", "literally", "totally", "honestly",
        "obviously", "right", "well", "stuff", "thing", "things", "lot", "lots", "pretty", "kind",
        "sort", "bit", "way", "ways", "going", "know", "knows", "knew", "think", "thought", "mean",
        "means", "want", "wants", "got", "get", "gets", "getting", "make", "makes", "making",
        "made", "say", "says", "said", "look", "looks", "looking", "see", "sees", "seen", "saw",
        "go", "goes", "went", "gone", "come", "comes", "came", "take", "takes", "took", "need",
        "needs", "use", "used", "uses", "using", "good", "great", "nice", "cool", "little", "big",
        "new", "old", "guys", "guy", "folks", "everyone", "everybody", "today", "video", "videos",
        "channel", "subscribe", "subscribed", "subscribers", "likes", "link", "description",
        "comment", "comments", "let", "hi", "hey", "hello", "welcome", "thanks", "thank", "please",
        "people", "person", "time", "times", "day", "days", "year", "years", "different", "course",
        "maybe", "probably", "sure", "also", "even", "still", "ever", "never", "always",
        "something", "anything", "everything", "nothing", "someone", "anyone", "one", "two",
        "three", "first", "second", "last", "start", "started", "end", "tell", "told", "try",
        "trying", "tried", "talk", "talking", "talked", "lets", "actually", "definitely",
        "absolutely", "important", "awesome", "amazing", "fine", "bad", "better", "best", "real",
        "whole", "example", "music", "applause", "laughter", "im", "youre", "thats", "dont", "did",
        "does", "doing", "done", "cuz", "coz", "cause", "guess", "vs", "sense", "anyway", "gosh",
        "dude", "bro", "man", "huh", "ha", "haha", "lol", "thinking", "remember", "feel", "feeling",
        "felt", "wait", "happen", "happened", "happening", "saying", "long", "hear", "couple", "week",
        "weeks", "month", "months",
    ]
)
# sklearn's list counts some nouns as stop words that are real subjects on some channels.
_STOP_WORDS = (ENGLISH_STOP_WORDS - {"computer", "system", "fire", "bill", "interest", "mill"}) | {
    "i'm", "you're", "it's", "that's", "don't", "let's", "here's", "there's", "what's",
}
_GENERIC = _STOP_WORDS | _FILLER


@functools.cache
def _is_topic_word(token: str) -> bool:
    if token.endswith("'s"):
        token = token[:-2]
    return len(token) > 1 and "'" not in token and token not in _GENERIC


# --- topics -----------------------------------------------------------------------------------


# "Oh my god" is an exclamation, not a subject; a clause break keeps "god" out of the topics.
_EXCLAMATION_RE = re.compile(r"\b(?:oh )?my (?:god|gosh|goodness|lord)\b", re.I)


def _topic_candidates(text: str, surfaces: dict[tuple[str, ...], Counter]) -> list[tuple[str, ...]]:
    """Stemmed 1-3-word phrases of topic words only, never across a clause break.

    Records each phrase's spoken forms in `surfaces` so the most frequent one can be shown.
    """
    phrases = []
    for clause in _clauses(_EXCLAMATION_RE.sub(" , ", text), at_commas=True):
        usable = [_is_topic_word(token) for token in clause]
        stems = [singular(token) for token in clause]
        for n in (1, 2, 3):
            for i in range(len(clause) - n + 1):
                if not all(usable[i : i + n]) or all(token.isdigit() for token in clause[i : i + n]):
                    continue  # "2023" or "80 20" alone is no subject; "80 20 principle" is
                key = tuple(stems[i : i + n])
                surfaces.setdefault(key, Counter())[" ".join(clause[i : i + n])] += 1
                phrases.append(key)
    return phrases


def _topics(texts: list[str], video_titles: list[str], *, channel_title: str) -> list[str]:
    """Most characteristic phrases: mean sublinear TF-IDF over passages plus a title bonus.

    Each passage is a document so a phrase spread over many passages outscores one repeated in
    a single passage; averaging over all passages scores the channel as a whole. A phrase also
    found in video titles counts double, and the share of titles naming it is added, so
    subjects the creator names in titles lead. Overlapping phrases are merged: a longer phrase
    replaces a shorter one it contains when it accounts for at least half of its uses. The
    channel's own name ("welcome to the book lab") is not a subject.
    """
    surfaces: dict[tuple[str, ...], Counter] = {}
    documents = [_topic_candidates(text, surfaces) for text in texts]
    counts = Counter(phrase for document in documents for phrase in document)
    title_share: Counter = Counter()
    for title in video_titles:
        title_share.update({phrase: 1 / len(video_titles) for phrase in set(_topic_candidates(title, surfaces))})

    scores: dict[tuple[str, ...], float] = {}
    if any(documents):
        vectorizer = TfidfVectorizer(analyzer=lambda document: document, sublinear_tf=True)
        matrix = vectorizer.fit_transform(documents)
        means = matrix.mean(axis=0).A1
        top = max(means) or 1.0
        for phrase, column in vectorizer.vocabulary_.items():
            # A multi-word phrase said once is chance; a single word said once still may be a subject.
            if counts[phrase] >= 2 or (len(phrase) == 1 and len(texts) < 3) or phrase in title_share:
                scores[phrase] = means[column] / top * (2.0 if phrase in title_share else 1.0)
    for phrase, share in title_share.items():
        scores[phrase] = scores.get(phrase, 0.0) + share
    own_name = "".join(singular(token) for token in _tokens(channel_title))
    scores = {phrase: score for phrase, score in scores.items() if "".join(phrase) != own_name}

    chosen: list[tuple[str, ...]] = []
    # Past the first TOPIC_COUNT, lower-scored phrases may still replace a word they contain.
    for phrase in sorted(scores, key=lambda p: (-scores[p], p))[: TOPIC_COUNT * 20]:
        if any(_contains(longer, phrase) for longer in chosen):
            continue
        shorter = [index for index, kept in enumerate(chosen) if _contains(phrase, kept)]
        if not shorter:
            if len(chosen) < TOPIC_COUNT:
                chosen.append(phrase)
            continue
        # "neural" mostly said as "neural network" gives way; "bitcoin" said alone just as often stays.
        replaced = [index for index in shorter if counts[phrase] >= 0.5 * counts[chosen[index]]]
        if replaced:
            chosen[replaced[0]] = phrase
            for index in reversed(replaced[1:]):
                del chosen[index]
    return [surfaces[phrase].most_common(1)[0][0].replace("'s", "") for phrase in chosen]


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return len(longer) > n and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


# --- style --------------------------------------------------------------------------------------


def _style(texts: list[str], topics: list[str]) -> dict:
    """The STYLE_KEYS measured from the passages, in that order.

    Subjects (`topics`) and the greeting (signature_openers) are kept out of the catchphrases:
    each is reported once, where it belongs.
    """
    per_passage = [[token for clause in _clauses(text, at_commas=False) for token in clause] for text in texts]
    openers = _openers(per_passage)
    catchphrases = _catchphrases(
        texts,
        topic_words={singular(word) for topic in topics for word in topic.split()},
        opener_runs={run for opener in openers for run in _ngrams(opener.split(), 3)},
    )
    return {
        "catchphrases": catchphrases,
        "typical_phrases": _typical_phrases(per_passage),
        "vocabulary_level": _vocabulary_level(per_passage),
        "avg_sentence_words": _avg_sentence_words(texts),
        "tone": _tone(texts, per_passage),
        "addresses_viewers_as": _address_form(per_passage),
        "signature_openers": openers,
    }


def _min_spread(passage_count: int) -> int:
    """Passages a phrase must occur in to count as a habit rather than a coincidence."""
    return max(2, math.ceil(0.04 * passage_count))


# A catchphrase neither starts nor ends mid-thought ("and welcome to the", "to the book lab").
_BAD_FIRST = frozenset(
    {
        "and", "or", "but", "so", "of", "to", "by", "as", "at", "in", "on", "for", "from", "with",
        "than",
    }
)
_BAD_LAST = _BAD_FIRST | frozenset(
    [
        "the", "a", "an", "i", "i'm", "we", "you", "my", "your", "our", "his", "her", "their", "is",
        "are", "was", "were", "be", "that", "this", "it's", "that's", "um", "uh", "like", "just",
        "very", "really", "if", "when", "because", "which", "who", "what", "where", "how", "than",
    ]
)


def _catchphrases(
    texts: list[str], *, topic_words: set[str], opener_runs: set[tuple[str, ...]]
) -> list[str]:
    """3-6-word phrases said in several different passages, most widespread first.

    A phrase needs at least one word that is neither a stop word nor common filler, and not
    only topic words ("the 80 20 principle" is a subject, not a habit). A phrase whose every use
    sits next to an already chosen catchphrase is a piece of the same longer repeated
    sentence, so it is skipped; so is one sharing three words in a row with a signature opener.
    """
    passage_sentences = [_clauses(text, at_commas=False) for text in texts]
    spread: Counter = Counter()
    for clauses in passage_sentences:
        spread.update({gram for clause in clauses for n in range(3, 7) for gram in _ngrams(clause, n)})
    needed = _min_spread(len(texts))
    candidates = [
        gram
        for gram, count in spread.items()
        if count >= needed
        and gram[0] not in _BAD_FIRST
        and gram[-1] not in _BAD_LAST
        and any(_is_topic_word(token) for token in gram)
        and not all(singular(token) in topic_words for token in gram if _is_topic_word(token))
        and not opener_runs.intersection(_ngrams(list(gram), 3))
    ]
    # A phrase always said as part of a longer candidate is that longer phrase ("that's the
    # secret" inside "that's the secret folks").
    candidates = _without_parts(candidates, spread, share=0.8)
    content = {gram: sum(_is_topic_word(token) for token in gram) for gram in candidates}
    candidates.sort(key=lambda g: (-spread[g], -content[g], -len(g), g))

    positions = _positions(passage_sentences, set(candidates[:200]))
    chosen: list[tuple[str, ...]] = []
    near_chosen: set[tuple[int, int]] = set()
    for gram in candidates[:200]:
        if len(chosen) >= MAX_CATCHPHRASES:
            break
        if all(position in near_chosen for position in positions[gram]):
            continue
        chosen.append(gram)
        for passage, start in positions[gram]:
            near_chosen.update((passage, i) for i in range(start - 8, start + len(gram) + 8))
    return [" ".join(gram) for gram in chosen]


def _without_parts(
    grams: list[tuple[str, ...]], counts: Counter, *, share: float, prefixes_only: bool = False
) -> list[tuple[str, ...]]:
    """Drop each phrase that a longer listed phrase contains (or starts with) in at least `share`
    of its uses: it is nearly always said as part of the longer one."""
    covered: dict[tuple[str, ...], int] = {}
    for longer in grams:
        for n in range(1, len(longer)):
            for part in [longer[:n]] if prefixes_only else _ngrams(list(longer), n):
                covered[part] = max(covered.get(part, 0), counts[longer])
    return [gram for gram in grams if covered.get(gram, 0) < share * counts[gram]]


def _positions(
    passage_sentences: list[list[list[str]]], wanted: set[tuple[str, ...]]
) -> dict[tuple[str, ...], list[tuple[int, int]]]:
    """(passage index, word offset) of every occurrence of the wanted phrases."""
    found: dict[tuple[str, ...], list[tuple[int, int]]] = {gram: [] for gram in wanted}
    lengths = sorted({len(gram) for gram in wanted})
    for passage, clauses in enumerate(passage_sentences):
        offset = 0
        for clause in clauses:
            for n in lengths:
                for i, gram in enumerate(_ngrams(clause, n)):
                    if gram in found:
                        found[gram].append((passage, offset + i))
            offset += len(clause)
    return found


# Discourse markers worth reporting when a creator leans on them. Deliberately curated:
# "i think" or "of course" are in everyone's speech and say nothing about this creator.
_DISCOURSE_MARKERS = tuple(
    tuple(marker.split())
    for marker in (
        "you know", "i mean", "you see", "the thing is", "here's the thing", "to be honest",
        "by the way", "at the end of the day", "let's dive in", "let's dive", "let's get into it",
        "let's get into", "let's get started", "let's go", "let's talk about", "let's take a look",
        "let's be honest", "in other words", "believe it or not", "trust me", "if you will",
        "as you can see", "okay so", "alright so", "all right so", "so basically", "first of all",
        "on the other hand", "the point is", "long story short", "check this out",
        "without further ado", "let me know", "that being said", "having said that", "the truth is",
        "to be fair", "you know what", "it turns out", "like i said", "as i said", "no joke",
        "for real", "make sure to", "don't forget to", "here we go", "in a nutshell", "the key is",
    )
)


def _typical_phrases(per_passage: list[list[str]]) -> list[str]:
    """Discourse markers and "let's ..."/"here's ..." openings used in several passages, most used first."""
    counts: Counter = Counter()
    spread: Counter = Counter()
    for tokens in per_passage:
        joined = f" {' '.join(tokens)} "
        seen = Counter({marker: joined.count(f" {' '.join(marker)} ") for marker in _DISCOURSE_MARKERS})
        for i, token in enumerate(tokens):
            if token in ("let's", "here's"):
                for n in (2, 3):
                    gram = tuple(tokens[i : i + n])
                    if len(gram) == n and gram not in seen and gram[-1] not in _BAD_LAST:
                        seen[gram] += 1
        seen = +seen  # drop the markers never said
        counts.update(seen)
        spread.update(set(seen))
    needed = min(2, len(per_passage))
    candidates = [gram for gram in counts if counts[gram] >= 2 and spread[gram] >= needed]
    # Keep "let's dive in" over "let's dive" when it is nearly always said in full.
    candidates = _without_parts(candidates, counts, share=0.8)
    candidates.sort(key=lambda g: (-counts[g], g))
    return [" ".join(gram) for gram in candidates[:MAX_TYPICAL_PHRASES]]


def _vocabulary_level(per_passage: list[list[str]]) -> str | None:
    """simple / conversational / technical from the share of 8+-letter words and mean word length.

    Thresholds were set on the real captions in shared/realdata: game streams and let's-plays
    have ~6% long words and 3.85 letters a word, book reviews and tutorials 9-13% and 4.3,
    3Blue1Brown's quaternion video 15% and 4.5. A moving type-token ratio was tried and dropped:
    it ranged 0.60-0.74 with no relation to those three groups.
    """
    words = [token for tokens in per_passage for token in tokens if token.isalpha()]
    if len(words) < 30:
        return None
    long_share = sum(len(word) >= 8 for word in words) / len(words)
    mean_length = sum(map(len, words)) / len(words)
    if long_share >= 0.14 and mean_length >= 4.5:
        return "technical"
    if long_share < 0.07 and mean_length < 4.0:
        return "simple"
    return "conversational"


def _avg_sentence_words(texts: list[str]) -> float | None:
    """Mean words per sentence over the punctuated passages, or None when there are too few.

    Auto-captions carry no punctuation, and any estimate from pauses or caption lines would be
    a number that looks measured but is not; None tells the prompt to say nothing about it.
    A passage counts as punctuated with at least one sentence end per 40 words.
    """
    words = sentences = 0
    for text in texts:
        count = len(_tokens(text))
        ends = len(_SENTENCE_END_RE.findall(_normalise(text)))
        if count and ends * 40 >= count:
            words += count
            sentences += ends
    if words < 100 or not sentences:
        return None
    return round(words / sentences, 1)


# Words that mark unscripted, informal speech (scripted narration rarely has them).
_CASUAL = frozenset(
    {
        "um", "uh", "yeah", "gonna", "wanna", "gotta", "kinda", "sorta", "like", "okay", "ok", "alright",
        "stuff", "guys", "cool", "pretty", "basically", "literally", "actually", "totally", "yep", "nope",
        "wow", "oh", "hmm", "cuz", "dude", "bro", "lol", "haha", "awesome", "super",
    }
)
_HYPE = frozenset(
    {
        "wow", "amazing", "awesome", "incredible", "insane", "crazy", "love", "super", "epic",
        "huge", "fantastic", "excited", "omg",
    }
)
_HUMOUR = frozenset(
    {
        "haha", "hahaha", "lol", "lmao", "joke", "joking", "kidding", "funny", "hilarious",
        "laughs", "laughing",
    }
)
_HEDGES = ("i think", "i guess", "maybe", "probably", "perhaps", "kind of", "sort of")
_VIEWER_QUESTIONS = (
    "have you ever", "do you", "did you", "would you", "can you guess", "let me know", "are you",
    "what would you",
)


def _tone(texts: list[str], per_passage: list[list[str]]) -> str | None:
    """A few words on tone from counted signals, per 1,000 words; None without enough text.

    Exclamation and question marks are only read from punctuated text; for auto-captions the
    questions are recognised by their wording ("have you ever", "do you", "let me know").
    """
    tokens = [token for passage in per_passage for token in passage]
    if len(tokens) < 30:
        return None
    per_k = 1000 / len(tokens)
    raw = " ".join(texts).lower()
    exclamations = raw.count("!") * per_k
    questions = raw.count("?") * per_k
    counts = Counter(tokens)

    joined = [f" {' '.join(passage)} " for passage in per_passage]

    def phrases(wanted: tuple[str, ...]) -> int:
        return sum(text.count(f" {phrase} ") for text in joined for phrase in wanted)

    hype = sum(counts[word] for word in _HYPE) * per_k
    humour = (sum(counts[word] for word in _HUMOUR) + raw.count("[laugh")) * per_k
    hedges = phrases(_HEDGES) * per_k
    asks = questions + phrases(_VIEWER_QUESTIONS) * per_k
    we = sum(counts[word] for word in ("we", "we're", "let's", "us", "our", "we've", "we'll")) * per_k
    casual = sum(counts[word] for word in _CASUAL) * per_k
    contractions = sum(count for token, count in counts.items() if "'" in token and not token.endswith("'s")) * per_k

    parts = ["enthusiastic" if exclamations >= 8 or hype >= 6 else "calm"]
    # In the real captions, unscripted talk (streams, talks, let's-plays) had 54-125 casual words
    # and contractions per 1,000 words, scripted narration (book reviews, 3Blue1Brown) 13-38.
    parts.append("conversational" if contractions + casual >= 45 else "measured")
    if asks >= 4:
        parts.append("asks the viewer questions")
    if we >= 15:
        parts.append("inclusive (says \"we\" and \"let's\")")
    if humour >= 1.5:
        parts.append("joking")
    if hedges >= 8:
        parts.append("hedges often")
    return ", ".join(parts)


# Words after which "guys", "everyone", "friends" or "chat" is someone being addressed.
_ADDRESS_AFTER = frozenset(
    {
        "hey", "hi", "hello", "yo", "welcome", "back", "thanks", "thank", "you", "okay", "alright",
        "bye", "morning", "evening", "and", "so",
    }
)


# Greetings that are followed by the audience's name ("hi bakers"), not by a clause.
_VOCATIVE_AFTER = frozenset({"hey", "hi", "hello", "bye", "thanks"})
_NOT_AUDIENCE = frozenset(
    {"guys", "this", "is", "was", "its", "has", "does", "thanks", "as", "us", "yes", "his", "hers", "ours", "yours"}
)


def _looks_like_audience(word: str) -> bool:
    """A plural noun such as "bakers" or "gamers" (the closed words above are not)."""
    return len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word not in _NOT_AUDIENCE


def _address_form(per_passage: list[list[str]]) -> str | None:
    """The dominant way of addressing viewers: "you guys", "folks", "y'all", "everyone", "friends",
    "chat" or "you".

    Named forms are counted only where they address someone ("hey guys", "thanks everyone"),
    not in "these guys" or "everyone knows"; a named form wins when used at least twice,
    otherwise plain "you" when the creator talks to the viewer at all.
    """
    greet = _ADDRESS_AFTER
    forms: Counter = Counter()
    you = 0
    for tokens in per_passage:
        for i, word in enumerate(tokens):
            before = tokens[i - 1] if i else ""
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            if word in ("you", "your", "you're", "yourself"):
                you += 1
            if word == "guys" and before in greet:
                forms["you guys"] += 1
            elif word in ("folks", "y'all"):
                forms["folks" if word == "folks" else "y'all"] += 1
            elif word in ("everyone", "everybody") and (before in greet or before == "all" or i == 0):
                forms["everyone"] += 1
            elif word == "friends" and (before in greet or before in ("my", "dear")):
                forms["friends"] += 1
            elif word == "chat" and (before in greet or i == 0) and after not in ("gpt", "bot", "room", "app"):
                forms["chat"] += 1
            elif before in _VOCATIVE_AFTER and _looks_like_audience(word):
                # A creator's own name for the audience: "hi bakers", "thanks, gamers".
                forms[word] += 1
    if forms:
        form, count = min(forms.items(), key=lambda item: (-item[1], item[0]))
        if count >= 2:
            return form
    return "you" if you else None


_OPENER_STARTS = frozenset({"hey", "hi", "hello", "yo", "howdy", "welcome", "greetings"})
_OPENER_WINDOW = 100  # words: intros come early, often after a short cold-open hook


def _openers(per_passage: list[list[str]]) -> list[str]:
    """Greetings ("hey guys", "hi and welcome to the book lab") that open several passages.

    Looked for in each passage's first 100 words, since only a video's first passage holds its
    intro; a greeting must recur in at least two passages (or the only one) to be a signature.
    """
    spread: Counter = Counter()
    for tokens in per_passage:
        head = tokens[:_OPENER_WINDOW]
        spread.update(
            {
                tuple(head[i : i + n])
                for i, token in enumerate(head)
                if token in _OPENER_STARTS or head[i : i + 2] == ["what's", "up"]
                for n in range(2, 8)
                if i + n <= len(head)
            }
        )
    needed = min(2, len(per_passage))
    candidates = [
        gram
        for gram, count in spread.items()
        if count >= needed
        and gram[-1] not in _BAD_LAST
        and all(a != b for a, b in zip(gram, gram[1:], strict=False))  # "hey hey hey" is no signature
    ]
    # The longest usual form: "hi and welcome to the book lab", not also "hi and welcome",
    # unless the short form is said far more often on its own.
    candidates = _without_parts(candidates, spread, share=0.5, prefixes_only=True)
    candidates.sort(key=lambda g: (-spread[g], -len(g), g))
    chosen: list[tuple[str, ...]] = []
    said: set[tuple[str, ...]] = set()  # 3-word runs of the chosen openers
    for gram in candidates:
        if len(chosen) >= MAX_OPENERS or any(_contains(kept, gram) for kept in chosen):
            continue
        if not said.intersection(_ngrams(list(gram), 3)):
            chosen.append(gram)  # "welcome to the book lab i'm bjorn" is the same intro again
            said.update(_ngrams(list(gram), 3))
    return [" ".join(gram) for gram in chosen]


# --- summary ------------------------------------------------------------------------------------


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# A word said after one of these is used as a noun ("the fold", "about bitcoin"); a topic word that
# never is ("you fold it", "later", "helps") is a verb, adverb or adjective and reads oddly after
# "makes videos about". Measured on the real auto-captions: nouns follow one in 25-100% of their
# uses, the verbs and adverbs the topics picked up in 0-10%.
_NOUN_BEFORE = frozenset(
    """the a an this that these those my your his her our their its some any every each no another
    in about from with for on of at into""".split()  # noqa: SIM905 - a word block reads better
)
_NOUN_SHARE = 0.25


def _nameable_topics(texts: list[str], topics: list[str]) -> list[str]:
    """The topics that read as subjects in a sentence: every phrase of two or more words (a phrase
    is only a topic when it recurs, so it was said as a unit) and single words used as a noun in at
    least ``_NOUN_SHARE`` of their (at least two) uses; each word once ("reading" and "read" are one
    subject, and "reading habit" names "reading" too). The topics themselves when none pass, so a summary is never empty for a topic list."""
    single = {topic for topic in topics if " " not in topic}
    uses: Counter = Counter()
    as_noun: Counter = Counter()
    for text in texts:
        tokens = _tokens(text)
        for index, token in enumerate(tokens):
            if token in single:
                uses[token] += 1
                as_noun[token] += index > 0 and tokens[index - 1] in _NOUN_BEFORE
    chosen: list[str] = []
    for topic in topics:
        if " " not in topic and not (as_noun[topic] >= 2 and as_noun[topic] >= _NOUN_SHARE * uses[topic]):
            continue
        topic_stems = {stem(word) for word in topic.split()}
        # A phrase takes the place of a single word it holds ("reading" → "reading habit"); a word
        # already named, alone or in a phrase, is not named again.
        held = [index for index, kept in enumerate(chosen) if " " not in kept and stem(kept) in topic_stems]
        if held and " " in topic:
            chosen[held[0]] = topic
            for index in reversed(held[1:]):
                del chosen[index]
        elif not any(topic_stems & {stem(word) for word in kept.split()} for kept in chosen) or " " in topic:
            chosen.append(topic)
    return chosen or topics


def _summary(channel_title: str, topics: list[str], style: dict) -> str:
    """Two or three template sentences that state only what the analysis found."""
    title = channel_title.strip() or "This channel"
    if not topics:
        return f"{title} has too little transcript text to tell what its videos are about."
    sentences = [f"{title} makes videos about {_join(topics[:3])}."]
    if len(topics) > 3:
        sentences.append(f"Other recurring subjects include {_join(topics[3:6])}.")
    if style.get("tone"):
        sentence = f"The tone is {style['tone']}"
        if style.get("vocabulary_level"):
            sentence += f", with {style['vocabulary_level']} vocabulary"
        if style.get("addresses_viewers_as") and style["addresses_viewers_as"] != "you":
            sentence += f"; viewers are addressed as \"{style['addresses_viewers_as']}\""
        sentences.append(sentence + ".")
    return " ".join(sentences)
