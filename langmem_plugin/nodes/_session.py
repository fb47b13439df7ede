"""The pipeline's one model call per session: its prompts and its structured schema.

A run asks for the sections it needs (episode, profile changes, lessons, tasks) in one
structured call; ``session_schema`` builds that call's pydantic model, and the prompts
below are its system message, one section each.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, Field, create_model

from langmem_plugin.knowledge._model import KnowledgeExtraction
from langmem_plugin.knowledge._pipeline import KNOWLEDGE_FIELD
from langmem_plugin.nodes.episodes import EpisodeSummary
from langmem_plugin.nodes.profile import ProfileExtraction
from langmem_plugin.nodes.reflection import LessonDraft
from langmem_plugin.tasks._pipeline import TASKS_FIELD, TaskDraft

__all__ = [
    "EPISODE_SECTION",
    "LESSONS_SECTION",
    "PROFILE_SECTION",
    "REFLECTION_PROMPT",
    "SESSION_PROMPT",
    "SessionExtraction",
    "SessionLesson",
    "session_schema",
]

SESSION_PROMPT = """You maintain the long-term memory of an assistant from its conversations
with a user. Read the new messages and answer with every section the schema asks for."""

EPISODE_SECTION = """episode: summarise this conversation as an episode for long-term
memory: what the user wanted, what happened, outcomes and open points, in 1-3 sentences
with names. Give up to 5 topics, an importance from 0 (small talk) to 1 (vital), and the
user's tone."""

PROFILE_SECTION = """profile: you maintain a profile of facts about the user. Given the
current profile and the new messages, propose changes: "add" new facts, "update" facts the
user changed or corrected (e.g. "actually I moved to Berlin" updates location), "delete"
facts the user retracted. Categories: name, role, employer, location, likes, dislikes,
preferences, tools, languages, projects, relationships, or another short noun. Only facts
the USER states about themselves; cite the ids of the messages. Propose nothing when
nothing new was said."""

LESSONS_SECTION = """lessons: the numbered tasks below failed. For each, write a lesson for
next time, with the failed task's number: what went wrong (the cause, one sentence) and
what to do instead (one imperative sentence)."""

REFLECTION_PROMPT = """A task failed. Write a lesson for next time: what went wrong (the
cause, one sentence) and what to do instead (one imperative sentence)."""


class SessionLesson(LessonDraft):
    """A lesson in the combined answer, tied to the failed task it is about."""

    failure: int = Field(ge=1, description="the number of the failed task this lesson is for")


class SessionExtraction(BaseModel):
    """Structured output of one pipeline run: episode, profile changes and lessons at once.

    This is the full shape; a run asks for the sections it needs (``session_schema``), with
    ``profile`` typed as ``PipelineOptions.profile_schema`` when that is extended.
    """

    episode: EpisodeSummary = Field(description="the conversation as an episode")
    profile: ProfileExtraction = Field(
        default_factory=ProfileExtraction, description="proposed changes to the user profile"
    )
    lessons: list[SessionLesson] = Field(
        default_factory=list, description="one lesson per numbered failed task"
    )
    tasks: list[TaskDraft] = Field(default_factory=list, description=TASKS_FIELD)
    knowledge: KnowledgeExtraction = Field(
        default_factory=KnowledgeExtraction, description=KNOWLEDGE_FIELD
    )


@cache
def session_schema(
    profile_schema: type[ProfileExtraction] = ProfileExtraction,
    *,
    episode: bool = True,
    profile: bool = True,
    lessons: bool = True,
    tasks: bool = True,
    knowledge: bool = True,
) -> type[BaseModel]:
    """The ``SessionExtraction`` schema holding only the requested sections.

    The episode, when asked for, is required: an answer without one is malformed and is
    retried. ``profile`` and ``lessons`` default to empty, which is also how "nothing new"
    looks; a failed task left without a lesson gets the offline rules' lesson.

    Args:
        profile_schema: The profile section's schema (``ProfileExtraction`` or a subclass).
        episode: Ask for the episode summary.
        profile: Ask for profile changes.
        lessons: Ask for lessons (only when the run found failed tasks).
        tasks: Ask for tasks the user requested or committed to (see ``langmem_plugin.tasks``).
        knowledge: Ask for entities and relations (see ``langmem_plugin.knowledge``).

    Returns:
        A pydantic model named ``SessionExtraction``.
    """
    if (
        profile_schema is ProfileExtraction
        and episode
        and profile
        and lessons
        and tasks
        and knowledge
    ):
        return SessionExtraction
    fields: dict[str, Any] = {}
    if episode:
        fields["episode"] = (EpisodeSummary, Field(description="the conversation as an episode"))
    if profile:
        fields["profile"] = (
            profile_schema,
            Field(
                default_factory=profile_schema,
                description="proposed changes to the user profile",
            ),
        )
    if lessons:
        fields["lessons"] = (
            list[SessionLesson],
            Field(default_factory=list, description="one lesson per numbered failed task"),
        )
    if tasks:
        fields["tasks"] = (list[TaskDraft], Field(default_factory=list, description=TASKS_FIELD))
    if knowledge:
        fields["knowledge"] = (
            KnowledgeExtraction,
            Field(default_factory=KnowledgeExtraction, description=KNOWLEDGE_FIELD),
        )
    model: type[BaseModel] = create_model(
        "SessionExtraction", __doc__=SessionExtraction.__doc__, **fields
    )
    return model
