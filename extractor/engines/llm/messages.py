"""The request's messages and the schema's travel shape. Built once per engine where they can be.

Letter text is data, never a template: it goes to the server exactly as read, between two
marker lines the prompt names, and no code on the way renders it (the engine gives instructor
no `context`, with which instructor would render every message through Jinja).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ofsted_extractor.engines.llm.answers import (
    AnswerModel,
    CompactAnswer,
    StructureLike,
    bullet_texts,
    letter_from_answer,
    summary_sentences,
)
from ofsted_extractor.prompts import FewShotExample, Prompt

#: The marker lines around the letter. The prompt tells the model that what stands between
#: them is the letter to read, never instructions.
LETTER_START = "<<<LETTER"
LETTER_END = "LETTER>>>"


def delimit(text: str) -> str:
    """The letter between its marker lines. A letter that itself holds the end marker gets a
    numbered one it does not hold, so the data cannot close its own frame."""
    end, n = LETTER_END, 1
    while end in text:
        n += 1
        end = f"{LETTER_END}{n}"
    start = LETTER_START if n == 1 else f"{LETTER_START}{n}"
    return f"{start}\n{text}\n{end}"


def _first_words(s: str, n: int = 8) -> str:
    words = s.split()
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")


def reference_index(structure: StructureLike) -> str:
    """Short numbered indexes of the bullets and the summary sentences, so the compact answer
    can follow the bullets in order and name a sentence by its number."""
    lines = ["Bullets, in order:"]
    for head, bullets in (
        ("strengths ('Strengths')", structure.strengths),
        ("areas ('Areas for further improvement')", structure.areas),
    ):
        lines.append(f"{head}:")
        lines += [f"  {i}. {_first_words(b)}" for i, b in enumerate(bullet_texts(bullets), 1)]
    lines.append("Summary sentences:")
    lines += [
        f"  {i}. {_first_words(s)}" for i, s in enumerate(summary_sentences(structure.summary), 1)
    ]
    return "\n".join(lines)


def user_message(text: str, structure: StructureLike, answer_format: str) -> str:
    """The user message for one letter: the delimited letter (and, compact, its indexes)."""
    body = delimit(text.strip())
    if answer_format != "full":
        body += "\n\n" + reference_index(structure)
    return body


def _example_block(
    example: FewShotExample, answer_format: str, structure_of: Callable[[str], StructureLike]
) -> str:
    structure = structure_of(example.letter)
    if answer_format == "full":
        letter = letter_from_answer(CompactAnswer.model_validate(example.answer), structure)
        answer = letter.model_dump(mode="json", exclude={"provenance", "unfilled"})
    else:
        answer = example.answer
    user = user_message(example.letter, structure, answer_format)
    return f"Example:\n{user}\n\nExample answer:\n{json.dumps(answer, ensure_ascii=False)}"


def system_message(
    prompt: Prompt,
    answer_format: str,
    schema: dict[str, Any] | None,
    structure_of: Callable[[str], StructureLike],
) -> str:
    """The system message: instructions, worked examples and (when the request does not carry
    it as a tool) the answer schema. The same for every letter, so built once per engine.

    Args:
        prompt: the loaded prompt with its few-shot examples.
        answer_format: 'compact' or 'full'.
        schema: the answer's JSON schema to show the model, or None (a tool carries it).
        structure_of: the structure parser, for the examples' letters.
    """
    parts = [prompt.text]
    parts += [_example_block(e, answer_format, structure_of) for e in prompt.examples]
    if schema is not None:
        parts.append(
            "Answer with one JSON object (not the schema itself) that matches this JSON schema:\n"
            + json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
        )
    return "\n\n".join(parts)


def build_messages(
    prompt: Prompt,
    text: str,
    structure: StructureLike,
    answer_format: str,
    structure_of: Callable[[str], StructureLike],
    schema: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    """The chat messages for one letter (the engine builds the system message only once).

    Returns:
        A system message (instructions, examples, schema) and a user message (the letter).
    """
    return [
        {"role": "system", "content": system_message(prompt, answer_format, schema, structure_of)},
        {"role": "user", "content": user_message(text, structure, answer_format)},
    ]


def _portable_patterns(node: Any) -> Any:
    # llama.cpp's schema-to-grammar converter knows no regex shorthands: a `\d` in a pattern
    # makes the grammar fail to parse (and took the llama-cpp-python 0.3.16 server down).
    # [0-9] means the same to every server.
    if isinstance(node, dict):
        return {
            k: v.replace("\\d", "[0-9]")
            if k == "pattern" and isinstance(v, str)
            else _portable_patterns(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_portable_patterns(v) for v in node]
    return node


def answer_schema(model: AnswerModel) -> dict[str, Any]:
    """The answer model's JSON schema, in a form every server's grammar builder reads."""
    schema: dict[str, Any] = _portable_patterns(model.model_json_schema())
    return schema


def response_format_for(shape: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The `response_format` a backend's shape asks for (None: a tool carries the schema)."""
    if shape == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if shape == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    return None


def tool_for(schema: dict[str, Any], name: str, description: str, strict: bool) -> dict[str, Any]:
    """Request fields that make a function tool carry the schema (OpenAI's tools modes)."""
    function: dict[str, Any] = {"name": name, "description": description, "parameters": schema}
    if strict:
        function["strict"] = True
    return {
        "tools": [{"type": "function", "function": function}],
        "tool_choice": {"type": "function", "function": {"name": name}},
    }
